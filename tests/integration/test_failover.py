"""Redis Sentinel failover on real servers: a master, a replica and three redis-sentinel processes on free loopback
ports, real worker processes and the gateway. The master is SIGKILLed mid-run (what it had not replicated is gone
with it), the sentinels promote the replica, the killed node comes back as a replica; every accepted article is
published exactly once and no worker exits."""

from __future__ import annotations

import re
import threading
import time

import httpx
import pytest
from pydantic import SecretStr

from newsflow.errors import QueueFull, TransientError
from tests.integration.deployments import Deployment, assert_once_each, deployment, quick_article
from tests.integration.test_gateway_http import AUTH, TOKEN, article, serving
from tests.integration.test_observability import newsflow
from workers.dev.sentinel import ReplicatedRedis

pytestmark = pytest.mark.integration

# Short enough for a test to wait out (the settings keep time limits and back-off below the visibility timeout).
FAILOVER_SETTINGS = {"visibility_timeout_s": 120, "task_time_limit_s": 30, "reconcile_after_s": 60}


def submit(running: Deployment, n: int) -> str:
    """Ingest as a producer would: a refusal during the failover is tried again."""
    deadline = time.monotonic() + 60
    while True:
        try:
            return running.gateway.submit(quick_article(n)).id
        except (TransientError, QueueFull):
            assert time.monotonic() < deadline, "ingest refused for a minute"
            time.sleep(0.5)


def fail_over(running: Deployment) -> None:
    """SIGKILL the master; once the sentinels have promoted the replica, start the killed node again."""
    server = running.server
    old = server.master()
    old.kill()
    server.wait_for_master(not_port=old.port)
    old.start()
    server.wait_for_replica()


def assert_workers_alive(running: Deployment) -> None:
    assert all(w.process is not None and w.process.poll() is None for w in running.workers), "a worker exited"


def test_a_master_killed_mid_run_loses_nothing_and_duplicates_nothing():
    with deployment(replicated=True, **FAILOVER_SETTINGS) as running:
        ids = {submit(running, n) for n in range(30)}
        deadline = time.monotonic() + 60
        while len(running.published()) < 5:  # mid-run: some published, most still in the stages
            assert time.monotonic() < deadline, "nothing was published before the failover"
            time.sleep(0.1)
        fail_over(running)
        ids |= {submit(running, n) for n in range(30, 40)}
        running.wait_until_done(ids, timeout_s=120)
        assert_once_each(running, ids)
        assert_workers_alive(running)


def test_a_switchover_that_demotes_the_master_under_the_workers_loses_nothing():
    """SENTINEL FAILOVER turns the live master into a replica with every connection still open: blocked reads end
    with UNBLOCKED, writes with READONLY (which made Celery workers exit)."""
    with deployment(replicated=True, **FAILOVER_SETTINGS) as running:
        ids = {submit(running, n) for n in range(20)}
        old = running.server.master()
        running.server.sentinel_client(1).execute_command("SENTINEL", "FAILOVER", "newsflow")
        running.server.wait_for_master(not_port=old.port)
        running.server.wait_for_replica()
        ids |= {submit(running, n) for n in range(20, 30)}
        running.wait_until_done(ids, timeout_s=120)
        assert_once_each(running, ids)
        assert_workers_alive(running)


def test_workers_start_and_run_with_the_first_sentinel_down():
    with deployment(replicated=True, workers=0, **FAILOVER_SETTINGS) as running:
        running.server.stop_sentinel(0)
        running.start_workers()
        ids = {submit(running, n) for n in range(5)}
        running.wait_until_done(ids, timeout_s=60)
        assert_once_each(running, ids)
        assert_workers_alive(running)


def test_a_failover_while_the_gateway_takes_submissions():
    with deployment(replicated=True, **FAILOVER_SETTINGS) as running:
        accepted: set[str] = set()
        refused, stop = [0], threading.Event()

        def post_articles(http: httpx.Client) -> None:
            n = 0
            while not stop.is_set():
                try:
                    answer = http.post("/v1/articles", json=article(n), headers=AUTH)
                except httpx.TransportError:
                    answer = None
                result = answer.json()["results"][0] if answer is not None and answer.status_code == 202 else {}
                if result.get("status") in ("queued", "duplicate"):
                    accepted.add(result["id"])
                    n += 1
                else:  # 503 or "refused" while the master is away: the producer sends the same article again
                    assert answer is None or answer.status_code in (202, 503), answer.text
                    refused[0] += 1
                    time.sleep(0.2)

        gateway = running.settings.model_copy(update={"gateway_token": SecretStr(TOKEN)})
        with serving(gateway) as http:
            producer = threading.Thread(target=post_articles, args=(http,), daemon=True)
            producer.start()
            time.sleep(2)
            fail_over(running)
            time.sleep(2)
            stop.set()
            producer.join(60)
            health, metrics = http.get("/healthz"), http.get("/metrics").text
        assert health.status_code == 200, health.text
        changes = re.search(r"^newsflow_gateway_redis_master_changes_total (\S+)$", metrics, re.MULTILINE)
        assert changes and float(changes.group(1)) >= 1, "the gateway did not count the failover it followed"
        assert len(accepted) > 10, f"only {len(accepted)} accepted ({refused[0]} refused)"
        running.wait_until_done(accepted, timeout_s=120)
        assert_once_each(running, accepted)
        assert_workers_alive(running)


def test_doctor_checks_the_sentinels_quorum_and_replicas_and_the_cli_follows_a_failover():
    with ReplicatedRedis("doctor-pw", sentinel_password="sentinels-pw") as server:
        env = {"NEWSFLOW_REDIS_URL": server.url, "NEWSFLOW_REDIS_SENTINEL_MASTER": server.master_name,
               "NEWSFLOW_REDIS_SENTINEL_PASSWORD": "sentinels-pw"}  # fmt: skip
        sound = newsflow("doctor", env=env)
        report = sound.stderr.decode()
        assert sound.returncode == 0, report
        assert "3 of 3 answer" in report and "can agree on a failover" in report
        assert "1 of 1 replica(s) online and in sync" in report and "min-replicas-to-write 0" in report
        assert "doctor-pw" not in report and "sentinels-pw" not in report
        old = server.master()
        old.kill()
        server.wait_for_master(not_port=old.port)
        for command in (["status"], ["dlq", "list"]):  # the CLI finds the new master through the sentinels
            done = newsflow(*command, env=env)
            assert done.returncode == 0, done.stderr.decode()
        old.start()
        server.wait_for_replica()
        server.stop_sentinel(0)
        server.stop_sentinel(1)
        replica = next(node for node in server.nodes if node.port != server.master().port)
        replica.stop()
        degraded = newsflow("doctor", env=env)
        report = degraded.stderr.decode()
        assert degraded.returncode == 1, report
        assert "1 of 3 answer" in report and "writes fail until one is back" in report
