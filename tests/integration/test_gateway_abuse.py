"""The gateway probed as an attacker would, on loopback with bounded loops: a real `newsflow gateway` process and a
redis-server of its own, no workers (what is accepted stays in flight, so the bytes it holds can be counted)."""

from __future__ import annotations

import os
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson
import pytest
import redis

from tests.conftest import ROOT
from workers.dev.embedded import PrivateRedis, free_port

pytestmark = pytest.mark.integration

TOKEN = "abuse-test-token-0123456789abcdef0123"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
LIMITS = {
    "NEWSFLOW_GATEWAY_MAX_CONNECTIONS": "2100",
    "NEWSFLOW_GATEWAY_HEADER_TIMEOUT_S": "3",
    "NEWSFLOW_GATEWAY_BODY_TIMEOUT_S": "1.5",
    "NEWSFLOW_GATEWAY_REDIS_TIMEOUT_S": "2",
    "NEWSFLOW_MAX_QUEUE_BYTES": "300000",
    "NEWSFLOW_MAX_BODY_BYTES": "30000",
}
IDLE = 2000


@dataclass
class Gateway:
    process: subprocess.Popen
    port: int
    redis: PrivateRedis
    log_path: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def raw(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=5)


def gateway_env(redis_url: str, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSFLOW_")}
    return env | {"NEWSFLOW_REDIS_URL": redis_url, "NEWSFLOW_GATEWAY_TOKEN": TOKEN, **settings}


@pytest.fixture(scope="module")
def gateway(tmp_path_factory) -> Iterator[Gateway]:
    log_path = tmp_path_factory.mktemp("gateway") / "gateway.log"
    port = free_port()
    with PrivateRedis() as server, log_path.open("wb") as log:
        process = subprocess.Popen(gateway_command(port), cwd=ROOT, env=gateway_env(server.url, **LIMITS), stdout=log, stderr=log,
                                   stdin=subprocess.DEVNULL)  # fmt: skip
        try:
            _wait_until_up(f"http://127.0.0.1:{port}", process)
            yield Gateway(process, port, server, log_path)
        finally:
            process.terminate()
            process.wait(20)


def _wait_until_up(base: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, "the gateway exited at start"
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("the gateway did not answer /healthz within 30 s")


def article(n: int, **fields) -> dict:
    return {"url": f"https://abuse.example/{n}", "text": f"The harbour board met on Monday ({n}). " * 20, **fields}


@pytest.fixture(scope="module")
def open_files() -> None:
    """This process holds the idle connections: room for them."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < IDLE + 500:
        pytest.skip(f"the open-files hard limit ({hard}) cannot hold {IDLE} connections")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, IDLE + 1000)), hard))


def test_idle_connections_do_not_starve_the_probes_and_are_closed(gateway, open_files):
    idle = [gateway.raw() for _ in range(IDLE)]
    try:
        for half_open in idle[::2]:  # half of them start a request head and never finish it
            half_open.sendall(b"POST /v1/articles HTTP/1.1\r\nHost: x\r\n")
        assert httpx.get(f"{gateway.base}/healthz", timeout=1).json() == {"status": "ok"}
        beyond = [gateway.raw() for _ in range(150)]  # past NEWSFLOW_GATEWAY_MAX_CONNECTIONS: closed at once
        closed_at_once = sum(_closed_within(s, 2) for s in beyond)
        assert closed_at_once >= 50, closed_at_once
        # The header deadline (3 s) closes every idle connection; nothing holds them open.
        assert all(_closed_within(s, 10) for s in idle)
        assert httpx.get(f"{gateway.base}/healthz", timeout=1).status_code == 200
    finally:
        for s in idle:
            s.close()
    assert "connections are open, the most NEWSFLOW_GATEWAY_MAX_CONNECTIONS allows" in gateway.log()
    assert gateway.log().count("NEWSFLOW_GATEWAY_MAX_CONNECTIONS allows") <= 2, "one warning per 10 s, not per socket"


def _closed_within(s: socket.socket, timeout_s: float) -> bool:
    s.settimeout(timeout_s)
    try:
        return s.recv(1024) == b""
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True
    finally:
        s.close()


def test_a_slow_body_gets_408_and_a_vanished_client_no_traceback(gateway):
    head = (f"POST /v1/articles HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n"
            "Content-Type: application/json\r\nContent-Length: 5000\r\n\r\n").encode()  # fmt: skip
    with gateway.raw() as slow:
        slow.sendall(head + b'{"text": "')
        slow.settimeout(5)
        assert slow.recv(200).startswith(b"HTTP/1.1 408 ")
    with gateway.raw() as gone:
        gone.sendall(head + b'{"text": "half a body')
        time.sleep(0.3)
    time.sleep(0.5)
    assert httpx.get(f"{gateway.base}/healthz", timeout=1).status_code == 200
    assert "Traceback" not in gateway.log()


def test_every_field_is_bounded_at_the_door(gateway):
    too_much = {
        "url": {"url": "https://abuse.example/" + "a" * 2100},
        "metadata": {"metadata": {"note": "x" * 2001}},
        "metadata total": {"metadata": {f"k{i}": "x" * 1000 for i in range(17)}},
        "source_name": {"source_name": "s" * 201},
        "record": {"text": "w " * 14_000, "metadata": {f"k{i}": "x" * 900 for i in range(5)}},
    }
    batch = [article(100 + i, **fields) for i, fields in enumerate(too_much.values())]
    answer = httpx.post(f"{gateway.base}/v1/articles", json=batch, headers=AUTH, timeout=10).json()
    assert answer["invalid"] == len(too_much), answer
    reasons = [r["error"] for r in answer["results"]]
    assert "url: Value error, a URL of 2,122 characters is over the limit of 2,048" in reasons[0]
    assert "'note' is 2,001 characters" in reasons[1] and "metadata is" in reasons[2] and "source_name" in reasons[3]
    assert "with its fields; the limit is 30,000 (NEWSFLOW_MAX_BODY_BYTES)" in reasons[4]


def test_control_and_bidi_characters_never_reach_the_queue(gateway):
    sent = article(200, source_name="Gulf\x00 Daily\u202e", feed_id="feed\x07", title="\u2066Port\u2069 talks",
                   metadata={"desk\x00": "economy\u202d"})  # fmt: skip
    (result,) = httpx.post(f"{gateway.base}/v1/articles", json=sent, headers=AUTH, timeout=10).json()["results"]
    queued = orjson.loads(redis.Redis.from_url(gateway.redis.url).get(f"newsflow:in-flight:{result['id']}"))
    assert (queued["source_name"], queued["feed_id"], queued["title"]) == ("Gulf Daily", "feed", "Port talks")
    assert queued["metadata"] == {"desk": "economy"}


def test_the_bytes_in_flight_stop_at_the_limit_under_concurrent_submitters(gateway):
    client = redis.Redis.from_url(gateway.redis.url)
    before = client.info("memory")["used_memory_dataset"]
    statuses: list[int] = []

    def submit(worker: int) -> None:
        with httpx.Client(base_url=gateway.base, headers=AUTH, timeout=10) as http:
            for n in range(25):
                sent = article(1000 + 100 * worker + n, text=f"Cargo volumes rose again ({worker}, {n}). " * 120)
                statuses.append(http.post("/v1/articles", json=sent).status_code)

    threads = [threading.Thread(target=submit, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    held = int(client.hget("newsflow:in-flight-bytes", "*"))
    assert 429 in statuses and held <= 300_000, (held, statuses.count(202))
    grown = client.info("memory")["used_memory_dataset"] - before
    # Redis holds each article about three times on its way (its ledger message, the queued message in base64 with
    # Celery's headers): 2.8 to 2.9 times measured, client buffers left out.
    assert grown < 3.5 * 300_000, grown
    assert f"newsflow_in_flight_bytes {float(held)}" in httpx.get(f"{gateway.base}/metrics", timeout=10).text
    big = article(5000, text="Cargo volumes rose again. " * 1000)
    refused = httpx.post(f"{gateway.base}/v1/articles", json=big, headers=AUTH, timeout=10)
    assert refused.status_code == 429 and "NEWSFLOW_MAX_QUEUE_BYTES" in refused.json()["detail"]


def test_401s_are_logged_without_the_token_and_forwarded_headers_are_not_believed(gateway):
    forged = {"Authorization": "Bearer guess-0123456789abcdef0123456789ab", "X-Forwarded-For": "203.0.113.9"}
    assert httpx.post(f"{gateway.base}/v1/articles", json=article(300), headers=forged).status_code == 401
    assert httpx.get(f"{gateway.base}/v1/stories").status_code == 401
    time.sleep(0.3)
    log = gateway.log()
    assert "401 POST /v1/articles from 127.0.0.1: a wrong bearer token" in log
    assert "401 GET /v1/stories from 127.0.0.1: no bearer token" in log
    assert "203.0.113.9" not in log and "guess-0123" not in log and TOKEN not in log


def test_a_stalled_redis_answers_each_request_503_on_its_own_deadline(gateway):
    os.kill(gateway.redis.process.pid, signal.SIGSTOP)
    try:
        finished: list[tuple[float, int]] = []
        started = time.monotonic()

        def post(n: int) -> None:
            answer = httpx.post(f"{gateway.base}/v1/articles", json=article(400 + n), headers=AUTH, timeout=30)
            finished.append((time.monotonic() - started, answer.status_code))

        posts = [threading.Thread(target=post, args=(n,)) for n in range(4)]
        for thread in posts:
            thread.start()
        health = httpx.get(f"{gateway.base}/healthz", timeout=10)
        for thread in posts:
            thread.join(30)
    finally:
        os.kill(gateway.redis.process.pid, signal.SIGCONT)
    # NEWSFLOW_GATEWAY_REDIS_TIMEOUT_S is 2: all four at about 2 s, none waiting for another (2, 4, 6, 8 s).
    assert [status for _, status in finished] == [503] * 4
    assert max(at for at, _ in finished) < 4, finished
    assert health.status_code == 503 and health.json() == {"detail": "redis unavailable"}
    assert str(gateway.redis.port) not in health.text
    _wait_until_up(gateway.base, gateway.process)


def test_the_gateway_refuses_short_tokens_and_never_prints_a_secret(tmp_path):
    refusals = {
        "must be at least 32 characters": gateway_env(SECRET_URL, NEWSFLOW_GATEWAY_TOKEN="fifteen-chars-x"),
        "has a port that is not a number": gateway_env("redis://:se/cret-pw@127.0.0.1:6379/0"),
    }
    for words, env in refusals.items():
        done = subprocess.run(gateway_command(free_port()), cwd=ROOT, env=env, capture_output=True, timeout=60,
                              stdin=subprocess.DEVNULL)  # fmt: skip
        output = (done.stdout + done.stderr).decode()
        assert done.returncode == 2 and words in output, output
        assert "fifteen-chars-x" not in output and "cret-pw" not in output and "Traceback" not in output, output
    # Redis unreachable: the gateway serves, and neither its answers nor its log show the password.
    port, log_path = free_port(), tmp_path / "gateway.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(gateway_command(port), cwd=ROOT, env=gateway_env(SECRET_URL), stdout=log,
                                   stderr=log, stdin=subprocess.DEVNULL)  # fmt: skip
        try:
            answers = _answers_when_up(f"http://127.0.0.1:{port}", process)
        finally:
            process.terminate()
            process.wait(20)
    assert [a.status_code for a in answers] == [503, 503, 503]
    assert all(a.json() == {"detail": "redis unavailable"} for a in answers)
    assert "redis unavailable" in log_path.read_text() and "hunter2" not in log_path.read_text()


SECRET_URL = "redis://:hunter2-secret-pw@127.0.0.1:1/0"


def gateway_command(port: int) -> list[str]:
    return [sys.executable, "-m", "workers.cli", "gateway", "--port", str(port)]


def _answers_when_up(base: str, process: subprocess.Popen) -> list[httpx.Response]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, "the gateway exited at start"
        try:
            health = httpx.get(f"{base}/healthz", timeout=10)
            break
        except httpx.TransportError:
            time.sleep(0.2)
    return [health, httpx.get(f"{base}/metrics", timeout=10),
            httpx.post(f"{base}/v1/articles", json=article(1), headers=AUTH, timeout=10)]  # fmt: skip


def test_a_passwordless_redis_outside_loopback_is_refused_unless_allowed():
    env = gateway_env("redis://192.0.2.10:6379/0")
    refused = subprocess.run(
        gateway_command(free_port()), cwd=ROOT, env=env, capture_output=True, timeout=60, stdin=subprocess.DEVNULL
    )
    assert refused.returncode == 2 and "NEWSFLOW_ALLOW_INSECURE_REDIS" in refused.stderr.decode()
    worker = subprocess.run([sys.executable, "-m", "workers.cli", "worker"], cwd=ROOT, env=env, capture_output=True,
                            timeout=60, stdin=subprocess.DEVNULL)  # fmt: skip
    assert worker.returncode == 2 and "outside this host with no password" in worker.stderr.decode()
