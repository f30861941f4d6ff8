"""Guarantees under failure, each on a deployment of its own: a redis-server with AOF and real worker processes
that the test kills, restarts or feeds poison. Each test fails without the mechanism it names."""

from __future__ import annotations

import base64
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress

import orjson
import pytest
import redis
from kombu import Connection, Exchange, Producer
from pydantic import SecretStr

from config import Settings
from newsflow.errors import QueueFull
from newsflow.ids import article_id
from newsflow.schema import Article, IngestedArticle
from newsflow.stages import PIPELINE, Stage, task_name
from newsflow.state.deadletters import DeadLetterStore
from newsflow.state.keys import Keys
from newsflow.wire import loads
from tests.conftest import wait_until_idle
from tests.integration.deployments import Deployment, assert_once_each, deployment, quick_article, slow_article
from workers.dev.embedded import LocalWorkers
from workers.runtime.app import create_app, create_ingest, dispatcher
from workers.runtime.health import consumes

pytestmark = pytest.mark.integration


def test_killing_pool_processes_loses_nothing():
    with deployment(max_deliveries=10) as running:  # here every death is the test's doing, not the message's
        ids = {running.gateway.submit(slow_article(n)).id for n in range(10)}
        for _ in range(3):
            time.sleep(1.5)
            for child in running.workers[0].pool_processes():
                os.kill(child, signal.SIGKILL)
        running.wait_until_done(ids)
        assert_once_each(running, ids)


def kill(victim: LocalWorkers, how: str) -> list[int]:
    """SIGKILL the worker (``whole``: main process and pool), its main process alone, or one pool process; returns
    the pool processes it had, which a main process killed alone leaves running."""
    pool = victim.pool_processes()
    assert victim.process is not None and pool
    if how == "pool process":
        os.kill(pool[0], signal.SIGKILL)
        return []
    if how == "whole worker":
        os.killpg(victim.process.pid, signal.SIGKILL)
    else:
        os.kill(victim.process.pid, signal.SIGKILL)
    victim.process.wait()
    return pool


@pytest.mark.parametrize("how", ["whole worker", "main process", "pool process"])
def test_a_dead_workers_articles_are_published_within_30_s_of_the_kill(how):
    # A 10-minute visibility timeout and ledger delay: only the heartbeat sweep can bring the messages back in time.
    slow = {"visibility_timeout_s": 600, "task_time_limit_s": 60, "reconcile_after_s": 900, "max_deliveries": 10}
    with deployment(workers=2, **slow) as running:
        ids = {running.gateway.submit(slow_article(n)).id for n in range(6)}
        holders = Keys.from_settings(running.settings).message_holders()
        deadline = time.monotonic() + 20
        while len(set(running.client.hvals(holders))) < 2:  # both workers hold messages
            assert time.monotonic() < deadline, "the two workers never both held messages"
            time.sleep(0.05)
        left_running = kill(running.workers[0], how)
        try:
            took = running.wait_until_done(ids, timeout_s=30)
        finally:
            for pid in left_running:
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        print(f"SIGKILL of the {how}: last article out {took:.1f} s later")
        assert_once_each(running, ids)


LINGER_S = 4.0


def linger(article: Article, client: redis.Redis) -> Article:
    """A stage slower than three heartbeats that counts its runs."""
    client.incr(f"linger-runs:{article.id}")
    time.sleep(LINGER_S)
    return article


LINGER = Stage("linger", "1", Article, load=lambda res: res.redis, apply=linger)
WITH_LINGER = PIPELINE.inserted(LINGER, after="tag")


def test_a_live_workers_slow_task_is_never_run_twice():
    # A heartbeat lapses after 1.5 s, a task takes 4 s; the visibility timeout is far off.
    beats = {"worker_heartbeat_s": 0.5, "pipeline": f"{__name__}:WITH_LINGER", "task_time_limit_s": 20,
             "visibility_timeout_s": 120, "reconcile_after_s": 240}  # fmt: skip
    with deployment(workers=2, **beats) as running:
        ids = {running.gateway.submit(quick_article(n)).id for n in range(4)}
        running.wait_until_done(ids, timeout_s=90)
        assert_once_each(running, ids)
        assert [int(running.client.get(f"linger-runs:{aid}") or 0) for aid in ids] == [1] * 4


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
    with pytest.raises(QueueFull, match="backlog.extract holds 11 messages"):
        gateway.submit(quick_article(99))
    assert client.llen("backlog.extract") == len(accepted) == 11


def test_concurrent_submitters_overshoot_the_depth_by_at_most_one_article_each(redis_server):
    settings = Settings(redis_url=SecretStr(redis_server.url), key_prefix="overshoot", max_queue_depth=20)
    client = redis.Redis.from_url(redis_server.url)
    submitters = 8

    def submit(who: int) -> None:
        gateway = create_ingest(settings, redis.Redis.from_url(redis_server.url))
        with suppress(QueueFull):
            for n in range(10):
                gateway.submit(quick_article(100 * who + n))

    with ThreadPoolExecutor(submitters) as pool:
        list(pool.map(submit, range(submitters)))
    # Admission (lua/admit.lua) reads the depth and opens the entry in one step; the message is pushed right after,
    # so only submissions between those two steps at once can pass the limit (21, one over, is the limit's own).
    assert 21 <= client.llen("overshoot.extract") <= 21 + submitters - 1


def test_health_tells_a_frozen_worker_from_a_consuming_one():
    with deployment() as running:
        app, keys = create_app(running.settings), Keys.from_settings(running.settings)
        node = f"chaos@{os.uname().nodename}"
        assert consumes(app, running.client, keys, node, timeout_s=20)
        os.kill(running.workers[0].process.pid, signal.SIGSTOP)  # alive, connected, consuming nothing
        try:
            assert not consumes(app, running.client, keys, node, timeout_s=3), "a frozen worker passed its health check"
        finally:
            os.kill(running.workers[0].process.pid, signal.SIGCONT)
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
