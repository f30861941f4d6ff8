"""The in-flight ledger: every accepted article from ingest until it is published or dead-lettered.

Ingest writes an entry (the article's id, scored by when it was queued, its ingest message, and the bytes it
holds, which back-pressure adds up) when it admits the article (lua/admit.lua); each stage task
notes the stage the article entered; the publish and dead-letter scripts (lua/) close the entry in the same step
that writes the record or the letter. The sweep queues again what stayed open too long: kombu's Redis transport
pops a message (BRPOP) and only then records it as unacknowledged, so a worker killed, or a Redis restarted, in
between loses the message outright (benchmarks/soak.py lost 2 of 10,000 this way). Publish's idempotency absorbs
the rare second run.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import redis

from newsflow.state import Dispatch, scripts
from newsflow.state.keys import Keys
from newsflow.wire import dumps, loads

log = logging.getLogger("newsflow.ledger")
SWEEP_LIMIT = 500


@dataclass(frozen=True)
class Entry:
    queued_at: datetime
    stage: str | None  # the stage it last entered; None: still queued for the first


@dataclass(frozen=True)
class Admission:
    """Ingest's answer for one article: admitted, or which limit it would pass."""

    full_stage: int | None = None  # index of the stage whose queue is over the depth limit
    depth: int = 0
    bytes_held: int | None = None  # set when the articles in flight hold too many bytes to take this one

    @property
    def admitted(self) -> bool:
        return self.full_stage is None and self.bytes_held is None


@dataclass(frozen=True)
class Limits:
    depth: int  # messages in any one stage queue
    bytes: int  # bytes held by the articles in flight, together


class Ledger:
    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self._redis, self._keys = client, keys
        self._admit = scripts.register(client, "admit")
        self._close = scripts.register(client, "close", prelude="ledger")

    def admit(self, article_id: str, message: dict, size: int, body: tuple[str, bytes] | None,
              seen: tuple[str, int] | None, ttl_s: int, queues: Sequence[Sequence[str]], limits: Limits
              ) -> Admission:  # fmt: skip
        """Open the article's entry, holding ``size`` bytes, with its ``body`` (key, bytes) stored by reference where
        it has one and its dedup marker ``seen`` (key, window) set to "queued", unless one of the ``queues`` (each
        stage's lists) is over ``limits.depth`` or the bytes held would pass ``limits.bytes``: one atomic step
        (lua/admit.lua)."""
        keys = self._keys
        body_key, body_bytes = body or ("", b"")
        seen_key, window_s = seen or ("", 0)
        answer = self._admit(
            keys=[keys.in_flight(), keys.in_flight_message(article_id), keys.in_flight_bytes(), body_key, seen_key,
                  *(name for lists in queues for name in lists)],
            args=[article_id, dumps(message), ttl_s, size, body_bytes, limits.depth, limits.bytes, time.time(),
                  window_s, *(len(lists) for lists in queues)],
        )  # fmt: skip
        if answer[0] == 1:
            return Admission(full_stage=int(answer[1]) - 1, depth=int(answer[2]))
        if answer[0] == 2:
            return Admission(bytes_held=int(answer[1]))
        return Admission()

    def closing_keys(self, article_id: str) -> list[str]:
        """The keys the publish and dead-letter scripts close the entry with: set, message, stage marker, bytes."""
        keys = self._keys
        return [keys.in_flight(), keys.in_flight_message(article_id), keys.stage(article_id), keys.in_flight_bytes()]

    def entered(self, article_id: str, stage: str, ttl_s: int) -> None:
        """Note the stage the article is in, for `GET /v1/articles/{id}` (one write per task)."""
        self._redis.set(self._keys.stage(article_id), stage, ex=ttl_s)

    def entry(self, article_id: str) -> Entry | None:
        pipe = self._redis.pipeline(transaction=False)
        pipe.zscore(self._keys.in_flight(), article_id)
        pipe.get(self._keys.stage(article_id))
        queued_at, stage = pipe.execute()
        if queued_at is None:
            return None
        return Entry(datetime.fromtimestamp(queued_at, UTC), stage.decode() if stage else None)

    def size(self) -> int:
        return int(self._redis.zcard(self._keys.in_flight()))

    def requeue_stale(self, dispatch: Dispatch, first_stage: str, older_than_s: float) -> int:
        """Queue again the articles in flight for longer than ``older_than_s``; returns how many. A Redis lock lets
        one sweep run at a time across all workers."""
        client, keys = self._redis, self._keys
        if not client.set(keys.reconcile_lock(), "1", nx=True, ex=max(10, int(older_than_s))):
            return 0
        try:
            now = time.time()
            stale: list[bytes] = client.zrangebyscore(  # type: ignore[assignment]  # a sync client's answer
                keys.in_flight(), "-inf", now - older_than_s, start=0, num=SWEEP_LIMIT
            )
            requeued = sum(self._requeue(raw_id.decode(), dispatch, first_stage, now) for raw_id in stale)
            if requeued:
                log.warning("queued %d articles again that were in flight for over %.0f s", requeued, older_than_s)
            return requeued
        finally:
            client.delete(keys.reconcile_lock())

    def _requeue(self, article_id: str, dispatch: Dispatch, first_stage: str, now: float) -> bool:
        client, keys = self._redis, self._keys
        message = client.get(keys.in_flight_message(article_id))
        if message is None:  # expired with its body: nothing left to run
            self._close(keys=self.closing_keys(article_id), args=[article_id])
            return False
        client.zadd(keys.in_flight(), {article_id: now}, xx=True)
        dispatch(first_stage, loads(message))
        return True
