"""Ingest: validate a submission, give it its deterministic id, drop exact duplicates, queue it for extract.

An invalid submission fails here, at once, with an InvalidSubmission that says what is wrong; nothing is queued.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
import redis
from celery import Celery
from kombu.transport.redis import PRIORITY_STEPS
from pydantic import ValidationError

from config import STAGES, Settings
from newsflow.errors import BodyTooLarge, InvalidSubmission, QueueFull, TransientError
from newsflow.ids import article_id
from newsflow.keys import Keys
from newsflow.schema import ArticleStatus, IngestedArticle, RawArticle
from newsflow.wire import dumps, loads
from workers.app import pipeline


@dataclass(frozen=True)
class Accepted:
    id: str
    duplicate: bool


def describe(exc: ValidationError) -> str:
    """One line per problem: `field: what is wrong`."""
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'record'}: {e['msg']}" for e in exc.errors())


def parse_submission(data: bytes | str | dict[str, Any]) -> RawArticle:
    """A RawArticle from JSON bytes, text or an already-decoded object."""
    if not isinstance(data, dict):
        try:
            data = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise InvalidSubmission(f"invalid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidSubmission(f"a raw article is a JSON object, not {type(data).__name__}")
    try:
        return RawArticle.model_validate(data)
    except ValidationError as exc:
        raise InvalidSubmission(describe(exc)) from None


class Gateway:
    # Queue depths are read at most this often while they are under the limit: a busy feed would otherwise pay
    # a Redis round trip per article for them. Over the limit, every submission looks again.
    BACKLOG_CHECK_INTERVAL_S = 0.5

    def __init__(self, app: Celery, client: redis.Redis, settings: Settings) -> None:
        self._app, self._redis, self._settings = app, client, settings
        self._keys = Keys.from_settings(settings)
        self._backlog_ok_until = 0.0

    @property
    def keys(self) -> Keys:
        return self._keys

    def submit(self, raw: RawArticle) -> Accepted:
        """Queue one validated article, unless the same one was accepted within the dedup window.
        Raises QueueFull, and queues nothing, while a stage is behind by more than NEWSFLOW_MAX_QUEUE_DEPTH."""
        s = self._settings
        size = len(raw.body.encode("utf-8"))
        if size > s.max_body_bytes:
            raise BodyTooLarge(size, s.max_body_bytes)
        self.check_backlog()
        aid = article_id(raw)
        seen = self._keys.seen(aid)
        window = s.dedup_window_s
        # The marker reads "pending" until the article is queued, "queued" after: a resubmission finds "queued"
        # and is a duplicate; one that finds "pending" (an earlier attempt may have failed in between) is queued
        # again, and publish's idempotency absorbs the repeat. So no accepted article depends on a marker alone.
        first = not window or self._redis.set(seen, "pending", nx=True, ex=window)
        if not first and self._redis.get(seen) == b"queued":
            return Accepted(aid, duplicate=True)
        try:
            self._queue(raw, aid, size)
        except Exception as exc:
            raise TransientError(f"could not queue article {aid}: {exc}") from exc
        if window:
            self._redis.set(seen, "queued", ex=window)
        return Accepted(aid, duplicate=False)

    def status(self, aid: str) -> ArticleStatus | None:
        """Where article ``aid`` is, or None when this deployment does not know it (or has forgotten it)."""
        s, keys = self._settings, self._keys
        pipe = self._redis.pipeline(transaction=False)
        pipe.get(keys.published(aid, s.pipeline_version))
        for stage in STAGES:
            pipe.get(keys.dead_lettered(aid, stage, s.pipeline_version))
        pipe.zscore(keys.in_flight(), aid).get(keys.stage(aid))
        published, *letters, queued_at, stage = pipe.execute()
        if published:
            return ArticleStatus(id=aid, state="published", entry_id=published.decode())
        for failed_stage, entry in zip(STAGES, letters, strict=True):
            if entry is not None:
                found = self._redis.xrange(s.dead_letter_stream, min=entry, max=entry) if entry else []
                reason = loads(found[0][1][b"record"])["reason"] if found else None
                return ArticleStatus(id=aid, state="dead_lettered", stage=failed_stage,
                                     entry_id=entry.decode() or None, reason=reason)  # fmt: skip
        if queued_at is not None:
            return ArticleStatus(id=aid, state="in_flight", stage=stage.decode() if stage else None,
                                 queued_at=datetime.fromtimestamp(queued_at, UTC))  # fmt: skip
        return None

    def queue_depths(self) -> dict[str, int]:
        """Messages waiting in each stage's queue, by stage (kombu keeps a list per priority step)."""
        pipe = self._redis.pipeline(transaction=False)
        for stage in STAGES:
            queue = self._settings.queue(stage)
            for key in [queue, *(f"{queue}\x06\x16{step}" for step in PRIORITY_STEPS[1:])]:
                pipe.llen(key)
        lengths = pipe.execute()
        per_queue = len(PRIORITY_STEPS)
        return {stage: sum(lengths[i * per_queue : (i + 1) * per_queue]) for i, stage in enumerate(STAGES)}

    def check_backlog(self) -> None:
        if time.monotonic() < self._backlog_ok_until:
            return
        for stage, depth in self.queue_depths().items():
            if depth > self._settings.max_queue_depth:
                raise QueueFull(self._settings.queue(stage), depth, self._settings.max_queue_depth)
        self._backlog_ok_until = time.monotonic() + self.BACKLOG_CHECK_INTERVAL_S

    def _queue(self, raw: RawArticle, aid: str, size: int) -> None:
        s, pipe = self._settings, self._redis.pipeline()
        body_ref = self._keys.body(aid) if size > s.inline_body_max_bytes else None
        if body_ref:
            pipe.set(body_ref, raw.body.encode("utf-8"), ex=s.body_ttl_s)
        message = IngestedArticle.from_raw(raw, aid, body_ref).model_dump(mode="json")
        # In flight until published or dead-lettered: workers/reconcile.py queues it again if the broker lost it.
        pipe.set(self._keys.in_flight_message(aid), dumps(message), ex=s.body_ttl_s)
        pipe.zadd(self._keys.in_flight(), {aid: time.time()})
        pipe.execute()
        pipeline(self._app, message).apply_async()
