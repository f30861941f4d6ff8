"""docker-compose.yml where Docker cannot run: every service's own command runs here as a local process (Redis
included, on free ports), each service's own health check must pass, and then Flower, fed by those workers,
must show every stage's worker and the tasks that processed articles pushed through the gateway over HTTP; every
service connects as Redis's `newsflow` user, which was refused nothing and may not administer Redis."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
import redis
import yaml
from redis.exceptions import NoPermissionError

from config.redis_acl import USER, newsflow_acl_rules
from newsflow.stages import PIPELINE
from workers.dev.embedded import _spawn, _stop, free_port, redis_server_binary

STAGES = PIPELINE.names

ROOT = Path(__file__).resolve().parents[2]
SECRETS = {"REDIS_PASSWORD": "compose-test-pw", "NEWSFLOW_GATEWAY_TOKEN": "compose-test-token-0123456789abcdef",
           "FLOWER_BASIC_AUTH": "ops:compose-test", "REDIS_ADMIN_PASSWORD": "compose-admin-pw",
           "REDIS_REPLICA_PASSWORD": "compose-replica-pw", "REDIS_SENTINEL_USER_PASSWORD": "compose-sentinel-pw"}  # fmt: skip
PORTS = {"6379": free_port(), "8000": free_port(), "5555": free_port()}


def interpolate(value: str) -> str:
    """Compose's ${NAME}, ${NAME:?message} and ${NAME:-default}, and $$ for a literal $."""
    value = re.sub(r"\$\{(\w+)(?::([?-])([^}]*))?\}",
                   lambda m: SECRETS[m.group(1)] if m.group(2) != "-" else SECRETS.get(m.group(1), m.group(3)), value)  # fmt: skip
    return value.replace("$$", "$")


def localise(value: str) -> str:
    """Compose's network, on this machine: the redis host and the published ports on loopback."""
    value = value.replace("@redis:6379", f"@127.0.0.1:{PORTS['6379']}")
    return re.sub(r"(?<=[:=])(6379|8000|5555)\b", lambda m: str(PORTS[m.group(1)]), value)


def local_argv(argv: list[str]) -> list[str]:
    argv = [str(PORTS[a]) if a in PORTS else localise(interpolate(a)) for a in argv]
    if argv[0] == "redis-server":  # plus what the container's volume and network give it
        return [redis_server_binary(), *argv[1:], "--bind", "127.0.0.1", "--port", str(PORTS["6379"]),
                "--dir", tempfile.mkdtemp(prefix="compose-redis-")]  # fmt: skip
    return [str(Path(sys.executable).with_name(argv[0])) if argv[0] in {"newsflow", "celery"} else argv[0], *argv[1:]]


def local_command(service: dict) -> list[str]:
    """The service's command, behind its own entrypoint where it has one (the image's docker-entrypoint.sh, which
    only drops privileges, is not here: the command runs as it is)."""
    command = local_argv(service["command"])
    if "entrypoint" not in service:
        return command
    shell, flag, script, name = service["entrypoint"]
    return [shell, flag, mounted(service, interpolate(script)).replace("docker-entrypoint.sh ", ""), name, *command]


def mounted(service: dict, script: str) -> str:
    """The files that the service's bind mounts put in its container, read from this checkout instead."""
    for volume in service.get("volumes", []):
        source, target, *_ = volume.split(":")
        if source.startswith("./"):
            script = script.replace(target, str(ROOT / source))
    return script


def service_env(service: dict) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSFLOW_")}
    env |= {k: localise(interpolate(str(v))) for k, v in (service.get("environment") or {}).items()}
    env["NEWSFLOW_METRICS_PORT"] = "0"  # one port per container there; several workers share this machine here
    env["PATH"] = f"{Path(sys.executable).parent}:{env['PATH']}"
    env["HOSTNAME"] = socket.gethostname()  # what a container's shell has; the node names end in it
    return env


def healthy(service: dict) -> subprocess.CompletedProcess:
    kind, *test = service["healthcheck"]["test"]
    env = service_env(service)
    if kind == "CMD-SHELL":
        # redis-cli in the redis container finds its server on the default port; here it is told the port
        command = ["sh", "-c", localise(interpolate(test[0])).replace("redis-cli ", f"redis-cli -p {PORTS['6379']} ")]
    else:
        command = [Path(sys.executable).as_posix() if test[0] == "python" else test[0], *map(localise, test[1:])]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def compose() -> Iterator[dict[str, dict]]:
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    with ExitStack() as stack:
        for name in ["redis", *(n for n in services if n != "redis")]:
            service = services[name]
            process = _spawn(local_command(service), env=service_env(service), cwd=ROOT, stdout=subprocess.DEVNULL)
            stack.callback(_stop, process, 30)
            if name == "redis":
                wait_healthy(name, service)
        yield services


def wait_healthy(name: str, service: dict, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        check = healthy(service)
        if check.returncode == 0:
            return
        assert time.monotonic() < deadline, f"{name} is not healthy: {check.stdout} {check.stderr}"
        time.sleep(1)


def test_every_service_runs_its_own_command_and_passes_its_own_health_check(compose):
    for name, service in compose.items():
        wait_healthy(name, service)


def test_no_command_line_shows_a_secret(compose):
    """`ps` shows every process's arguments to anyone on the machine; the secrets travel in environments only."""
    wait_healthy("redis", compose["redis"])
    secrets = set(SECRETS.values()) | {value.split(":", 1)[1] for value in SECRETS.values() if ":" in value}
    shown = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = cmdline.read_bytes().decode(errors="replace")
        except OSError:  # the process ended while we looked
            continue
        shown += [cmdline.parent.name for secret in secrets if secret in argv]
    assert not shown, f"processes {shown} carry a secret on their command line"
    assert subprocess.run(["redis-cli", "-p", str(PORTS["6379"]), "ping"], capture_output=True, text=True,
                          timeout=10).stdout.strip().startswith("NOAUTH"), "Redis must require its password"  # fmt: skip


def test_flower_shows_every_stage_worker_and_the_tasks_that_ran(compose):
    for name, service in compose.items():
        wait_healthy(name, service)
    gateway = f"http://127.0.0.1:{PORTS['8000']}"
    token = {"Authorization": f"Bearer {SECRETS['NEWSFLOW_GATEWAY_TOKEN']}"}
    text = "Officials in Doha said on Tuesday that talks on the port agreement would resume next week. " * 3
    batch = [{"url": f"https://compose.example/{n}", "text": f"{text} ({n})"} for n in range(3)]
    results = httpx.post(f"{gateway}/v1/articles", json=batch, headers=token, timeout=30).json()["results"]
    ids = [r["id"] for r in results]
    deadline = time.monotonic() + 90
    while any(httpx.get(f"{gateway}/v1/articles/{i}", headers=token).json().get("state") != "published" for i in ids):
        assert time.monotonic() < deadline, "the articles were not published through the compose services"
        time.sleep(0.5)

    user, password = SECRETS["FLOWER_BASIC_AUTH"].split(":")
    with httpx.Client(base_url=f"http://127.0.0.1:{PORTS['5555']}", auth=(user, password), timeout=30) as flower:
        assert httpx.get(f"http://127.0.0.1:{PORTS['5555']}/api/workers").status_code == 401
        deadline = time.monotonic() + 60
        while True:
            workers = flower.get("/api/workers", params={"refresh": "1"}).json()
            tasks = flower.get("/api/tasks").json().values()
            done = {
                t["name"]
                for t in tasks
                if t["state"] == "SUCCESS" and t.get("args") in {f"(<article {i}>,)" for i in ids}
            }
            if done >= {f"newsflow.{s}" for s in STAGES} or time.monotonic() > deadline:
                break
            time.sleep(1)
        assert {node.split("@")[0] for node in workers} >= set(STAGES)
        assert done == {f"newsflow.{s}" for s in STAGES}, "Flower did not see every stage's tasks"
        queues = {q["name"] for q in flower.get("/api/queues/length").json()["active_queues"]}
        assert {f"newsflow.{s}" for s in STAGES} <= queues


def test_flowers_metrics_sit_behind_its_auth(compose):
    wait_healthy("flower", compose["flower"])
    user, password = SECRETS["FLOWER_BASIC_AUTH"].split(":")
    base = f"http://127.0.0.1:{PORTS['5555']}"
    assert httpx.get(f"{base}/metrics", timeout=30).status_code == 401, "Flower's metrics are open to anyone"
    assert httpx.get(f"{base}/metrics", auth=(user, password), timeout=30).status_code == 200


def test_redis_gives_newsflow_a_user_of_its_own_that_cannot_administer_it(compose):
    """The redis service's `newsflow` user has the rules of config/redis/newsflow.acl: every service ran as it with
    nothing refused (Redis's ACL LOG, read after the tests above), and it may not flush, reconfigure or stop Redis."""
    wait_healthy("redis", compose["redis"])
    admin = redis.Redis(port=PORTS["6379"], password=SECRETS["REDIS_ADMIN_PASSWORD"], decode_responses=True)
    assert admin.acl_log() == [], "a service was refused a command, key or channel: see the ACL LOG"
    (user,) = [line.split() for line in admin.acl_list() if line.startswith(f"user {USER} ")]
    assert {rule for rule in newsflow_acl_rules().split() if rule[0] in "~&"} <= set(user), "not the file's rules"
    newsflow = redis.Redis(port=PORTS["6379"], username=USER, password=SECRETS["REDIS_PASSWORD"], decode_responses=True)
    assert newsflow.acl_whoami() == USER
    for command in (("FLUSHALL",), ("CONFIG", "SET", "maxmemory", "1"), ("SHUTDOWN", "NOSAVE"), ("KEYS", "*")):
        with pytest.raises(NoPermissionError):
            newsflow.execute_command(*command)
    with pytest.raises(redis.AuthenticationError):  # the administrator's user has a password of its own
        redis.Redis(port=PORTS["6379"], password=SECRETS["REDIS_PASSWORD"]).ping()
