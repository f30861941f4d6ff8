"""docker-compose.yml with docker-compose.ha.yml over it, where Docker cannot run: the two files merged as compose
merges them, every service's own command run here as a local process (master, replica and three sentinels
included, each on a free loopback port for its container's host name), each service's own health check passing;
then an article pushed through the gateway is published, the master is SIGKILLed, the sentinels promote the
replica, and the next article is published too; every node refused nothing to newsflow, the replica or the sentinels,
each logged in as its own Redis user."""

from __future__ import annotations

import re
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import httpx
import pytest
import redis
import yaml

from tests.integration.test_compose_services import PORTS, ROOT, SECRETS, interpolate, local_argv, mounted, service_env
from workers.dev.embedded import _spawn, _stop, free_port

pytestmark = pytest.mark.integration

DATA_NODES = ("redis", "redis-replica")
SENTINELS = ("sentinel-1", "sentinel-2", "sentinel-3")
# Each container's host name, here a port of its own on loopback.
HOSTS = {**{name: free_port() for name in (*DATA_NODES, *SENTINELS)}, "gateway": PORTS["8000"], "flower": PORTS["5555"]}
SENTINEL_FILES = Path(tempfile.mkdtemp(prefix="compose-ha-"))  # what each sentinel's volume holds


def merged() -> dict[str, dict]:
    """docker-compose.yml's services with docker-compose.ha.yml's over them: mappings merge, the rest is replaced."""
    base = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    for name, override in yaml.safe_load((ROOT / "docker-compose.ha.yml").read_text())["services"].items():
        service = dict(base.get(name, {}))
        for key, value in override.items():
            service[key] = {**service[key], **value} if isinstance(value, dict) and key in service else value
        base[name] = service
    return base


def localise(value: str, own: str) -> str:
    """The compose network on loopback: a host name (with its container port, or announced) becomes 127.0.0.1 and
    that container's port here; a bare container port in a service's own command is that service's own."""
    hosts = "|".join(sorted(map(re.escape, HOSTS), key=len, reverse=True))
    value = re.sub(rf"\b({hosts})[: ](6379|26379|8000)\b", lambda m: f"127.0.0.1{m.group(0)[len(m.group(1))]}"
                   f"{HOSTS[m.group(1)]}", value)  # fmt: skip
    value = re.sub(rf"(announce-ip) ({hosts})\b", r"\1 127.0.0.1", value)
    return re.sub(r"(?<![\d.])(26379|6379|8000|5555)\b", str(HOSTS[own]) if own in HOSTS else r"\1", value)


@cache
def command(name: str) -> tuple[str, ...]:
    """The service's command here; the same every time it starts (a data node keeps its folder, as its volume)."""
    service = merged()[name]
    argv = [localise(a, name) for a in local_argv(service["command"])] if "command" in service else []
    if name in DATA_NODES:
        argv = [*argv[: argv.index("--port") + 1], str(HOSTS[name]), *argv[argv.index("--port") + 2 :]]
    if "entrypoint" not in service:
        return tuple(argv)
    shell, flag, script, *rest = service["entrypoint"]
    script = localise(mounted(service, interpolate(script)), name).replace("docker-entrypoint.sh ", "")
    script = script.replace("/data/", f"{SENTINEL_FILES}/{name}-") if name in SENTINELS else script
    return (shell, flag, script, *rest, *argv)


def start(name: str, service: dict) -> subprocess.Popen:
    return _spawn(list(command(name)), env=env(name, service), cwd=ROOT, stdout=subprocess.DEVNULL)


def env(name: str, service: dict) -> dict[str, str]:
    found = service_env(service)
    return {key: localise(value, name) if key != "SENTINEL_HOST" else "127.0.0.1" for key, value in found.items()}


def health(name: str, service: dict) -> subprocess.CompletedProcess:
    kind, *test = service["healthcheck"]["test"]
    found = env(name, service)
    if kind == "CMD-SHELL":
        script = localise(interpolate(test[0]), name)
        if name in DATA_NODES:
            script = script.replace("redis-cli ", f"redis-cli -p {HOSTS[name]} ")
        return subprocess.run(["sh", "-c", script], env=found, capture_output=True, text=True, timeout=60)
    argv = [localise(a, name) for a in local_argv(test)]
    return subprocess.run(argv, env=found, capture_output=True, text=True, timeout=60)


def wait_healthy(name: str, service: dict, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while (check := health(name, service)).returncode != 0:
        assert time.monotonic() < deadline, f"{name} is not healthy: {check.stdout} {check.stderr}"
        time.sleep(1)


@pytest.fixture(scope="module")
def compose_ha() -> Iterator[tuple[dict[str, dict], dict[str, subprocess.Popen]]]:
    services, processes = merged(), {}
    try:
        for name in DATA_NODES:
            processes[name] = start(name, services[name])
            wait_healthy(name, services[name])
        for name in SENTINELS:  # together, as compose starts them: each one's health check needs a quorum
            processes[name] = start(name, services[name])
        for name in SENTINELS:
            wait_healthy(name, services[name])
        for name in (n for n in services if n not in (*DATA_NODES, *SENTINELS)):
            processes[name] = start(name, services[name])
        yield services, processes
    finally:
        for process in reversed(processes.values()):
            _stop(process, 30)


def publish_one(n: int) -> None:
    token = {"Authorization": f"Bearer {SECRETS['NEWSFLOW_GATEWAY_TOKEN']}"}
    base = f"http://127.0.0.1:{HOSTS['gateway']}"
    text = f"Officials in Doha said on Tuesday that talks on the port agreement would resume next week ({n}). " * 3
    deadline = time.monotonic() + 120
    while True:  # the gateway answers 503 while the master is away: a producer sends again
        try:
            answer = httpx.post(f"{base}/v1/articles", json={"url": f"https://ha.example/{n}", "text": text},
                                headers=token, timeout=30)  # fmt: skip
        except httpx.TimeoutException:  # it may have been queued all the same: the next answer says so
            continue
        if answer.status_code == 202 and answer.json()["results"][0]["status"] in ("queued", "duplicate"):
            break
        assert time.monotonic() < deadline, answer.text
        time.sleep(1)
    aid = answer.json()["results"][0]["id"]
    while httpx.get(f"{base}/v1/articles/{aid}", headers=token, timeout=30).json().get("state") != "published":
        assert time.monotonic() < deadline, f"article {n} was not published through the HA services"
        time.sleep(0.5)


def test_the_ha_services_run_their_own_commands_and_ride_through_a_failover(compose_ha):
    services, processes = compose_ha
    for name, service in services.items():
        wait_healthy(name, service)
    publish_one(1)
    processes["redis"].send_signal(signal.SIGKILL)
    processes["redis"].wait()
    sentinel = redis.Redis(port=HOSTS["sentinel-1"], socket_timeout=2)
    deadline = time.monotonic() + 60
    while int(sentinel.sentinel_get_master_addr_by_name("newsflow")[1]) != HOSTS["redis-replica"]:
        assert time.monotonic() < deadline, "the sentinels did not promote the replica"
        time.sleep(0.5)
    processes["redis"] = start("redis", services["redis"])  # restart: unless-stopped; it comes back as a replica
    publish_one(2)
    assert all(p.poll() is None for name, p in processes.items()), "a service exited"
    wait_healthy("redis", services["redis"])
    for node in DATA_NODES:  # each Redis user (newsflow, replica, sentinel) had what it needed
        admin = redis.Redis(port=HOSTS[node], password=SECRETS["REDIS_ADMIN_PASSWORD"], socket_timeout=5)
        assert admin.acl_log() == [], f"{node} refused a service, a replica or a sentinel something: see its ACL LOG"
