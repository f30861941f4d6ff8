"""Guarantees under failure, each on a deployment of its own: a redis-server with AOF and real worker processes
that the test kills, restarts or feeds poison. Each test fails without the mechanism it names."""

from __future__ import annotations

import base64
import os
import signal
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

import orjson
import pytest
import redis
from kombu import Connection, Exchange, Producer
from pydantic import SecretStr

from config import Settings
from newsflow.errors import QueueFull
from newsflow.ids import article_id
from newsflow.schema import IngestedArticle, RawArticle
from newsflow.stages import task_name
from newsflow.state.deadletters import DeadLetterStore
from newsflow.state.ingest import Ingest
from newsflow.state.keys import Keys
from newsflow.wire import loads
from tests.conftest import wait_until_idle
from workers.dev.embedded import LocalWorkers, PrivateRedis
from workers.runtime.app import create_app, create_ingest, dispatcher
from workers.runtime.health import consumes

pytestmark = pytest.mark.integration

# Short enough for a test to wait out; the settings keep time limits and back-off below it.
CHAOS_SETTINGS = {"visibility_timeout_s": 12, "task_time_limit_s": 8, "retry_backoff_max_s": 4, "reconcile_after_s": 30}


@dataclass
class Deployment:
    server: PrivateRedis
    settings: Settings
    client: redis.Redis
    gateway: Ingest
    workers: LocalWorkers
    env: dict[str, str]
    concurrency: int = 2

    def start_workers(self, name: str = "chaos") -> LocalWorkers:
        self.workers = LocalWorkers(self.server.url, concurrency=self.concurrency, name=name, env=self.env).start()
        app = create_app(self.settings)
        deadline = time.monotonic() + 60
        while not app.control.ping(timeout=0.5):
            assert time.monotonic() < deadline, "the workers did not start"
        return self.workers

    def published(self) -> Counter[str]:
        return Counter(f[b"id"].decode() for _, f in self.client.xrange(self.settings.output_stream))

    def dead_letters(self) -> list[dict]:
        return [loads(f[b"record"]) for _, f in self.client.xrange(self.settings.dead_letter_stream)]

    def wait_until_done(self, ids: set[str], timeout_s: float = 120) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            done = set(self.published()) | {d["article_id"] for d in self.dead_letters()}
            if ids <= done:
                return
            time.sleep(0.2)
        missing = ids - set(self.published()) - {d["article_id"] for d in self.dead_letters()}
        raise AssertionError(f"{len(missing)} accepted articles never came out: lost")


@contextmanager
def deployment(password: str | None = None, concurrency: int = 2, **overrides) -> Iterator[Deployment]:
    values = {**CHAOS_SETTINGS, **overrides}
    env = {f"NEWSFLOW_{k.upper()}": str(v) for k, v in values.items()}
    with PrivateRedis(appendonly=True, password=password) as server:
        settings = Settings(redis_url=SecretStr(server.url), **values)
        client = redis.Redis.from_url(server.url)
        gateway = create_ingest(settings, client)
        running = Deployment(server, settings, client, gateway, None, env, concurrency)  # type: ignore[arg-type]
        running.start_workers()
        try:
            yield running
        finally:
            running.workers.stop(timeout_s=10)


def slow_article(n: int, paragraphs: int = 8000) -> RawArticle:
    """About half a second of extraction on this machine."""
    body = "".join(f"<p>Item {n}.{i}: ships queued at Rotterdam and Antwerp.</p>" for i in range(paragraphs))
    return RawArticle(url=f"https://chaos.example/{n}", html=f"<html><body><article>{body}</article></body></html>")


def quick_article(n: int) -> RawArticle:
    return RawArticle(
        url=f"https://quick.example/{n}", text="Officials in Doha met on Sunday to discuss the port. " * 4
    )


def assert_once_each(running: Deployment, ids: set[str]) -> None:
    published = running.published()
    assert not [i for i in ids if published[i] > 1], "an article was published twice"
    assert {i for i in ids if published[i] == 1} == ids, f"dead letters instead of records: {running.dead_letters()}"


def test_killing_pool_processes_loses_nothing():
    with deployment(max_deliveries=10) as running:  # here every death is the test's doing, not the message's
        ids = {running.gateway.submit(slow_article(n)).id for n in range(10)}
        for _ in range(3):
            time.sleep(1.5)
            for child in running.workers.pool_processes():
                os.kill(child, signal.SIGKILL)
        running.wait_until_done(ids)
        assert_once_each(running, ids)


def test_killing_the_whole_worker_loses_nothing():
    with deployment(max_deliveries=10) as running:
        ids = {running.gateway.submit(slow_article(n)).id for n in range(8)}
        time.sleep(1.5)
        os.killpg(running.workers.process.pid, signal.SIGKILL)  # main process and pool: nothing acknowledges
        running.workers.process.wait()
        running.start_workers(name="replacement")  # the unacked messages return after the visibility timeout
        running.wait_until_done(ids)
        assert_once_each(running, ids)


def test_a_redis_restart_loses_nothing_and_workers_consume_again():
    with deployment() as running:
        before = {running.gateway.submit(quick_article(n)).id for n in range(20)}
        running.server.stop()  # SIGTERM: Redis writes its AOF out before it exits
        time.sleep(1)
        running.server.start()
        after = {running.gateway.submit(quick_article(n)).id for n in range(20, 30)}
        running.wait_until_done(before | after)
        assert_once_each(running, before | after)
        keys = Keys.from_settings(running.settings)
        node = f"chaos@{os.uname().nodename}"
        assert consumes(create_app(running.settings), running.client, keys, node, timeout_s=30), (
            "worker stopped consuming"
        )


def busy_pool_processes(running: Deployment) -> set[int]:
    """Pool processes running a task now, as the worker reports them."""
    active = create_app(running.settings).control.inspect(timeout=0.5).active() or {}
    return {task["worker_pid"] for tasks in active.values() for task in tasks}


def test_a_message_whose_worker_dies_every_time_is_dead_lettered_and_the_queue_moves_on():
    slow = {"visibility_timeout_s": 60, "task_time_limit_s": 40, "reconcile_after_s": 120}
    with deployment(concurrency=1, max_deliveries=2, **slow) as running:
        poison = running.gateway.submit(slow_article(0, paragraphs=40000)).id  # about 3 s of extraction
        killed: set[int] = set()
        deadline = time.monotonic() + 90
        while not running.dead_letters() and time.monotonic() < deadline:
            for child in busy_pool_processes(running) - killed:  # busy with the poison: crash it, as an OOM kill would
                os.kill(child, signal.SIGKILL)
                killed.add(child)
            time.sleep(0.1)
        (letter,) = running.dead_letters()
        assert (letter["article_id"], letter["stage"], letter["error_type"]) == (poison, "extract", "WorkerLostError")
        assert "died 2 times" in letter["reason"] and len(killed) >= 2
        good = running.gateway.submit(quick_article(1)).id
        running.wait_until_done({good})
        assert running.published()[good] == 1 and running.published()[poison] == 0


def test_a_task_past_its_time_limit_is_dead_lettered():
    with deployment(task_time_limit_s=6) as running:  # the soft limit fires after 1 s
        slow = running.gateway.submit(slow_article(0, paragraphs=30000)).id
        running.wait_until_done({slow})
        (letter,) = running.dead_letters()
        assert letter["article_id"] == slow and "time limit" in letter["reason"]


def test_pickle_and_unknown_tasks_are_dead_lettered_and_workers_go_on():
    with deployment() as running:
        with Connection(running.server.url) as connection:
            producer = Producer(connection)
            exchange = Exchange("newsflow.extract", type="direct")
            headers = {"task": task_name("extract"), "id": "pickled", "lang": "py"}
            producer.publish(([{"id": "x"}], {}, {}), exchange=exchange, routing_key="newsflow.extract",
                             serializer="pickle", headers=headers, declare=[])  # fmt: skip
            producer.publish(([{"id": "x"}], {}, {}), exchange=exchange, routing_key="newsflow.extract",
                             serializer="json", headers={**headers, "task": "evil.task", "id": "unknown"})  # fmt: skip
        good = running.gateway.submit(quick_article(1)).id
        running.wait_until_done({good})
        deadline = time.monotonic() + 20
        while len(running.dead_letters()) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        letters = {d["error_type"]: d for d in running.dead_letters()}
        assert set(letters) == {"InvalidTaskError", "NotRegistered"}, letters  # Celery reports pickle as invalid
        assert letters["InvalidTaskError"]["stage"] == "extract"
        assert "application/x-python-serialize" in letters["InvalidTaskError"]["reason"]
        store = DeadLetterStore(running.client, running.settings)
        _, message = store.get(next(e for e, d in store.list() if d.error_type == "NotRegistered"))
        assert message["content_type"] == "application/json"
        assert b'"id": "x"' in base64.b64decode(message["body_base64"]), "the raw body is kept for inspection"


def test_duplicates_concurrent_and_replayed_yield_one_record():
    with deployment(dedup_window_s=0) as running:  # no ingest dedup: only publish's idempotency stands
        raw = quick_article(7)
        with ThreadPoolExecutor(8) as pool:
            ids = set(pool.map(lambda _: running.gateway.submit(raw).id, range(16)))
        (aid,) = ids
        running.wait_until_done({aid})
        app = create_app(running.settings)
        wait_until_idle(app, running.client, running.settings)  # all 16 submissions have run
        assert running.published()[aid] == 1
        record = loads(running.client.xrange(running.settings.output_stream)[0][1][b"record"])
        store = DeadLetterStore(running.client, running.settings)
        store.write(stage="publish", message=record, error_type="TransientError", reason="test", attempts=6, worker="w")
        store.replay(store.list()[0][0], dispatcher(app))
        assert not store.list(), "the replay was queued"
        wait_until_idle(app, running.client, running.settings)
        assert running.published()[aid] == 1, "replaying an already-published article added a record"


def test_a_password_protected_redis_works_end_to_end():
    with deployment(password="s3cret-pw") as running:
        aid = running.gateway.submit(quick_article(3)).id
        running.wait_until_done({aid})
        assert running.published()[aid] == 1
        with pytest.raises(redis.AuthenticationError):
            redis.Redis(port=running.server.port).ping()


def test_back_pressure_refuses_before_redis_fills(redis_server):
    settings = Settings(redis_url=SecretStr(redis_server.url), key_prefix="backlog", max_queue_depth=10)
    client = redis.Redis.from_url(redis_server.url)
    gateway = create_ingest(settings, client)  # no worker consumes backlog.* queues
    accepted = [gateway.submit(quick_article(n)) for n in range(11)]
    time.sleep(Ingest.BACKLOG_CHECK_INTERVAL_S)  # depths are re-read at most this often while under the limit
    with pytest.raises(QueueFull, match="backlog.extract holds 11 messages"):
        gateway.submit(quick_article(99))
    assert client.llen("backlog.extract") == len(accepted) == 11


def test_health_tells_a_frozen_worker_from_a_consuming_one():
    with deployment() as running:
        app, keys = create_app(running.settings), Keys.from_settings(running.settings)
        node = f"chaos@{os.uname().nodename}"
        assert consumes(app, running.client, keys, node, timeout_s=20)
        os.kill(running.workers.process.pid, signal.SIGSTOP)  # alive, connected, consuming nothing
        try:
            assert not consumes(app, running.client, keys, node, timeout_s=3), "a frozen worker passed its health check"
        finally:
            os.kill(running.workers.process.pid, signal.SIGCONT)
        assert consumes(app, running.client, keys, node, timeout_s=20)


def test_an_article_the_broker_lost_is_queued_again_from_the_ledger():
    with deployment() as running:  # the workers sweep every 3 s for articles in flight for over 30 s
        raw = quick_article(42)
        aid = article_id(raw)
        message = IngestedArticle.from_raw(raw, aid).model_dump(mode="json")
        keys = Keys.from_settings(running.settings)
        # What ingest writes before sending; the send itself "lost" (a BRPOP'd message whose worker died).
        running.client.set(keys.in_flight_message(aid), orjson.dumps(message))
        running.client.zadd(keys.in_flight(), {aid: time.time() - 40})
        running.wait_until_done({aid}, timeout_s=60)
        assert running.published()[aid] == 1
        assert running.client.zscore(keys.in_flight(), aid) is None, "a published article must leave the ledger"
        assert running.client.zcard(keys.in_flight()) == 0
