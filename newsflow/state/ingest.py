"""Ingest: validate a submission, give it its deterministic id and its version, drop duplicates, queue the rest.

The id names the story (its canonical URL); the content digest (newsflow/ids.py) names what it says. The same id
and content again is a duplicate; the same id with new content is an update, queued as the story's next version
and published as a record of its own. One ``Ingest`` serves the HTTP gateway, `newsflow submit` and `newsflow
process`, and the `newsflow.ingest` task (workers/runtime/ingesttask.py). An invalid submission fails here, at once,
with an InvalidSubmission that says what is wrong; nothing is queued.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import orjson
import redis
from pydantic import ValidationError

from config import Settings
from newsflow.errors import BatchTooLarge, BodyTooLarge, InvalidSubmission, QueueFull, TransientError
from newsflow.ids import article_id, content_digest
from newsflow.schema import IngestedArticle, RawArticle
from newsflow.state import Dispatch
from newsflow.state.figures import queue_depths
from newsflow.state.keys import Keys
from newsflow.state.ledger import Ledger
from newsflow.state.output import Publisher
from newsflow.state.versions import Versions
from newsflow.wire import json_type

Outcome = Literal["queued", "updated", "duplicate"]


@dataclass(frozen=True)
class Accepted:
    id: str
    status: Outcome  # queued: a new story; updated: a new version of a known one; duplicate: nothing new
    version: int

    @property
    def duplicate(self) -> bool:
        return self.status == "duplicate"


def describe(exc: ValidationError) -> str:
    """One line per problem: `field: what is wrong`."""
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'record'}: {e['msg']}" for e in exc.errors())


def submissions(data: object, limit: int) -> list[object]:
    """The articles of one submission, decoded: an object is one article, an array a batch of up to ``limit``."""
    if isinstance(data, dict):
        return [data]
    if not isinstance(data, list):
        raise InvalidSubmission(
            f"a submission is a raw article (a JSON object) or an array of them, not {json_type(data)}"
        )
    if not data:
        raise InvalidSubmission("an empty batch")
    if len(data) > limit:
        raise BatchTooLarge(len(data), limit)
    return data


def parse_submission(data: bytes | str) -> RawArticle:
    """A RawArticle from JSON bytes or text."""
    try:
        decoded = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise InvalidSubmission(f"invalid JSON: {exc}") from None
    return parse_article(decoded)


def parse_article(item: object) -> RawArticle:
    """A RawArticle from a decoded JSON value."""
    if not isinstance(item, dict):
        raise InvalidSubmission(f"a raw article is a JSON object, not {json_type(item)}")
    try:
        return RawArticle.model_validate(item)
    except ValidationError as exc:
        raise InvalidSubmission(describe(exc)) from None


class Ingest:
    # Queue depths are read at most this often, and again once this process alone could have filled the room that
    # was left: a busy feed would otherwise pay a Redis round trip per article for them. Over the limit, every
    # submission looks again.
    BACKLOG_CHECK_INTERVAL_S = 0.5

    def __init__(self, client: redis.Redis, settings: Settings, stages: Sequence[str], dispatch: Dispatch) -> None:
        self._redis, self._settings, self._stages, self._dispatch = client, settings, tuple(stages), dispatch
        self._keys = Keys.from_settings(settings)
        self._ledger = Ledger(client, self._keys)
        self._versions = Versions(client, self._keys, settings.published_marker_ttl_s)
        self._published = Publisher(client, settings)
        self._backlog_ok_until, self._room = 0.0, 0

    def submit(self, raw: RawArticle) -> Accepted:
        """Queue one validated article, unless this version of it was published already or accepted within the
        dedup window. Raises QueueFull, and queues nothing, while a stage is behind by more than
        NEWSFLOW_MAX_QUEUE_DEPTH."""
        s = self._settings
        size = len(raw.body.encode("utf-8"))
        if size > s.max_body_bytes:
            raise BodyTooLarge(size, s.max_body_bytes)
        self.check_backlog()
        aid, digest = article_id(raw), content_digest(raw)
        version = self._versions.of(aid, digest)
        if self._published.was_published(aid, version):
            return Accepted(aid, "duplicate", version)
        seen, window = self._keys.seen(aid, digest), s.dedup_window_s
        # The marker reads "pending" until the article is queued, "queued" after: a resubmission finds "queued"
        # and is a duplicate; one that finds "pending" (an earlier attempt may have failed in between) is queued
        # again, and publish's idempotency absorbs the repeat. So no accepted article depends on a marker alone.
        first = not window or self._redis.set(seen, "pending", nx=True, ex=window)
        if not first and self._redis.get(seen) == b"queued":
            return Accepted(aid, "duplicate", version)
        try:
            self._queue(raw, aid, size, version)
        except Exception as exc:
            raise TransientError(f"could not queue article {aid}: {exc}") from exc
        if window:
            self._redis.set(seen, "queued", ex=window)
        return Accepted(aid, "updated" if version > 1 else "queued", version)

    def check_backlog(self) -> None:
        """Raises QueueFull while a stage queue holds more than NEWSFLOW_MAX_QUEUE_DEPTH messages. Each call counts
        as one article on its way to the first queue."""
        if self._room > 0 and time.monotonic() < self._backlog_ok_until:
            self._room -= 1
            return
        limit = self._settings.max_queue_depth
        depths = queue_depths(self._redis, self._keys, self._stages)
        for stage, depth in depths.items():
            if depth > limit:
                raise QueueFull(self._keys.queue(stage), depth, limit)
        self._backlog_ok_until = time.monotonic() + self.BACKLOG_CHECK_INTERVAL_S
        self._room = limit - max(depths.values(), default=0)

    def _queue(self, raw: RawArticle, aid: str, size: int, version: int) -> None:
        s, pipe = self._settings, self._redis.pipeline()
        body_ref = self._keys.body(aid, version) if size > s.inline_body_max_bytes else None
        if body_ref:
            pipe.set(body_ref, raw.body.encode("utf-8"), ex=s.body_ttl_s)
        message = IngestedArticle.from_raw(raw, aid, body_ref, version).model_dump(mode="json")
        self._ledger.open(pipe, aid, message, s.body_ttl_s)
        pipe.execute()
        self._dispatch(self._stages[0], message)
