"""What ops watch: a worker's Prometheus endpoint, JSON logs carrying the article and stage, `newsflow status`
and `newsflow doctor`, each against a real redis-server and real worker processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx
import orjson
import pytest
import redis
from pydantic import SecretStr

from config import Settings
from newsflow.stages import PIPELINE
from tests.conftest import ROOT
from tests.integration.deployments import quick_article
from workers.dev.embedded import PrivateRedis, free_port
from workers.runtime.app import create_ingest

STAGES = PIPELINE.names

pytestmark = pytest.mark.integration


def newsflow(*args: str, env: dict[str, str], **kwargs) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("NEWSFLOW_")} | env
    return subprocess.run([sys.executable, "-m", "workers.cli", *args], cwd=ROOT, env=clean, capture_output=True,
                          timeout=120, stdin=subprocess.DEVNULL, **kwargs)  # fmt: skip


def test_a_worker_serves_stage_metrics_and_logs_json_with_article_and_stage(tmp_path):
    port, log = free_port(), tmp_path / "worker.log"
    with PrivateRedis() as server:
        env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSFLOW_")}
        env |= {"NEWSFLOW_REDIS_URL": server.url, "NEWSFLOW_METRICS_PORT": str(port), "NEWSFLOW_LOG_FORMAT": "json"}
        with log.open("wb") as sink:
            worker = subprocess.Popen([sys.executable, "-m", "workers.cli", "worker", "--concurrency", "2",
                                       "--name", "obs", "--loglevel", "INFO"],
                                      cwd=ROOT, env=env, stdout=sink, stderr=sink)  # fmt: skip
            try:
                settings = Settings(redis_url=SecretStr(server.url))
                client = redis.Redis.from_url(server.url)
                aid = create_ingest(settings, client).submit(quick_article(1)).id
                deadline = time.monotonic() + 90
                while client.xlen(settings.output_stream) < 1:
                    assert time.monotonic() < deadline and worker.poll() is None, log.read_text()[-3000:]
                    time.sleep(0.2)
                metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
            finally:
                worker.send_signal(signal.SIGTERM)
                worker.wait(30)
    for stage in STAGES:
        assert f'newsflow_stage_outcomes_total{{outcome="ok",stage="{stage}"}} 1.0' in metrics
        assert f'newsflow_stage_duration_seconds_count{{stage="{stage}"}} 1.0' in metrics
    lines = [orjson.loads(line) for line in log.read_bytes().splitlines() if line.startswith(b"{")]
    assert lines and all({"ts", "level", "logger", "message"} <= set(line) for line in lines)
    in_tasks = {line["stage"] for line in lines if line.get("article_id") == aid}
    assert in_tasks == set(STAGES), "every stage's task logged with the article id and its stage"


def test_status_shows_queues_workers_and_throughput(redis_server, workers, gateway, wait_for, settings):
    aid = gateway.submit(quick_article(77)).id
    wait_for(settings.output_stream, {aid})
    run = newsflow("status", "--json", env={"NEWSFLOW_REDIS_URL": redis_server.url})
    assert run.returncode == 0, run.stderr
    status = orjson.loads(run.stdout)
    assert set(status["queue_depths"]) == set(PIPELINE.served)
    assert all(any(node.startswith("test@") for node in status["workers"][stage]) for stage in PIPELINE.served)
    assert status["published_last_minute"] >= 1
    table = newsflow("status", env={"NEWSFLOW_REDIS_URL": redis_server.url}).stdout.decode()
    assert "extract" in table and "in flight" in table


def test_doctor_passes_a_sound_redis_and_fails_one_that_may_evict():
    with PrivateRedis(appendonly=True) as server:
        sound = newsflow("doctor", env={"NEWSFLOW_REDIS_URL": server.url})
        assert sound.returncode == 0, sound.stderr
        report = sound.stderr.decode()
        assert (
            "AOF on" in report
            and "maxmemory-policy noeviction" in report
            and "model: language" in report
            and "model: tagger" in report
            and "no maxmemory: Redis grows until the host runs out" in report
        )
        redis.Redis.from_url(server.url).config_set("maxmemory-policy", "allkeys-lru")
        evicting = newsflow("doctor", env={"NEWSFLOW_REDIS_URL": server.url})
        assert evicting.returncode == 1 and "may drop queued articles" in evicting.stderr.decode()
    unreachable = newsflow("doctor", env={"NEWSFLOW_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"})
    assert unreachable.returncode == 1 and "unreachable" in unreachable.stderr.decode()
