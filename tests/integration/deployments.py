"""A deployment of newsflow for a test: a redis-server of its own (or a replicated one), real worker processes
that the test may kill or restart, and the helpers that account for every article afterwards."""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import redis
from pydantic import SecretStr

from config import Settings
from newsflow.schema import RawArticle
from newsflow.state.client import connect
from newsflow.state.ingest import Ingest
from newsflow.wire import loads
from workers.dev.embedded import LocalWorkers, PrivateRedis
from workers.dev.sentinel import ReplicatedRedis
from workers.runtime.app import create_app, create_ingest

# Short enough for a test to wait out; the settings keep time limits and back-off below it.
CHAOS_SETTINGS = {"visibility_timeout_s": 12, "task_time_limit_s": 8, "retry_backoff_max_s": 4, "reconcile_after_s": 30}


@dataclass
class Deployment:
    server: PrivateRedis | ReplicatedRedis
    settings: Settings
    client: redis.Redis
    gateway: Ingest
    env: dict[str, str]
    concurrency: int = 2
    workers: list[LocalWorkers] = field(default_factory=list)

    def start_workers(self, name: str = "chaos") -> LocalWorkers:
        started = LocalWorkers(self.server.url, concurrency=self.concurrency, name=name, env=self.env).start()
        self.workers.append(started)
        app, node = create_app(self.settings), f"{name}@{os.uname().nodename}"
        deadline = time.monotonic() + 60
        while not app.control.ping(destination=[node], timeout=0.5):
            assert started.process is not None and started.process.poll() is None, "a worker exited at start"
            assert time.monotonic() < deadline, "the workers did not start"
        return started

    def published(self) -> Counter[str]:
        return Counter(f[b"id"].decode() for _, f in self.client.xrange(self.settings.output_stream))

    def dead_letters(self) -> list[dict]:
        return [loads(f[b"record"]) for _, f in self.client.xrange(self.settings.dead_letter_stream)]

    def wait_until_done(self, ids: set[str], timeout_s: float = 120) -> float:
        """Seconds until every article in ``ids`` came out, as a record or a dead letter."""
        started = time.monotonic()
        while time.monotonic() < started + timeout_s:
            done = set(self.published()) | {d["article_id"] for d in self.dead_letters()}
            if ids <= done:
                return time.monotonic() - started
            time.sleep(0.2)
        missing = ids - set(self.published()) - {d["article_id"] for d in self.dead_letters()}
        raise AssertionError(f"{len(missing)} accepted articles did not come out within {timeout_s:g} s")


@contextmanager
def deployment(password: str | None = None, concurrency: int = 2, workers: int = 1, replicated: bool = False,
               **overrides: object) -> Iterator[Deployment]:  # fmt: skip
    """A redis-server with AOF (or, ``replicated``, a master, a replica and three sentinels) and ``workers``
    `newsflow worker` processes of every stage, stopped afterwards."""
    values = {**CHAOS_SETTINGS, **overrides}
    if replicated:
        values["redis_sentinel_master"] = "newsflow"
    env = {f"NEWSFLOW_{k.upper()}": str(v) for k, v in values.items()}
    server = (
        ReplicatedRedis(password or "failover-pw") if replicated else PrivateRedis(appendonly=True, password=password)
    )
    with server:
        settings = Settings(redis_url=SecretStr(server.url), **values)
        client = connect(settings)
        running = Deployment(server, settings, client, create_ingest(settings, client), env, concurrency)
        try:
            for n in range(workers):
                running.start_workers(name=f"chaos{n}" if n else "chaos")
            yield running
        finally:
            for started in running.workers:
                started.stop(timeout_s=10)


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
