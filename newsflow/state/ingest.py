"""Ingest: validate a submission, give it its deterministic id and its version, drop duplicates, queue the rest.

The id names the story (its canonical URL); the content digest (newsflow/ids.py) names what it says. The same id
and content again is a duplicate; the same id with new content is an update, queued as the story's next version
and published as a record of its own. One ``Ingest`` serves the HTTP gateway, `newsflow submit` and `newsflow
process`, and the `newsflow.ingest` task (workers/runtime/ingesttask.py). An invalid submission fails here, at once,
with an InvalidSubmission that says what is wrong; nothing is queued.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import orjson
import redis
from pydantic import ValidationError

from config import Settings
from newsflow.errors import (
    BatchTooLarge,
    BodyTooLarge,
    InFlightBytesFull,
    InvalidSubmission,
    QueueFull,
    TransientError,
)
from newsflow.ids import article_id, content_digest
from newsflow.schema import IngestedArticle, RawArticle
from newsflow.state import Dispatch
from newsflow.state.keys import Keys
from newsflow.state.ledger import Ledger, Limits
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
    def __init__(self, client: redis.Redis, settings: Settings, stages: Sequence[str], dispatch: Dispatch) -> None:
        self._redis, self._settings, self._stages, self._dispatch = client, settings, tuple(stages), dispatch
        self._keys = Keys.from_settings(settings)
        self._ledger = Ledger(client, self._keys)
        self._versions = Versions(client, self._keys, settings.published_marker_ttl_s)
        self._queues = [self._keys.queue_lists(stage) for stage in self._stages]
        self._limits = Limits(depth=settings.max_queue_depth, bytes=settings.max_queue_bytes)

    def submit(self, raw: RawArticle) -> Accepted:
        """Queue one validated article, unless this version of it was published already or accepted within the
        dedup window. Raises QueueFull, and queues nothing, while a stage is behind by more than
        NEWSFLOW_MAX_QUEUE_DEPTH or the articles in flight hold NEWSFLOW_MAX_QUEUE_BYTES."""
        s = self._settings
        size = raw.size()
        if size > s.max_body_bytes:
            raise BodyTooLarge(size, s.max_body_bytes)
        aid, digest = article_id(raw), content_digest(raw)
        version = self._versions.of(aid, digest)
        seen = self._keys.seen(aid, digest) if s.dedup_window_s else None
        if self._known(aid, version, seen):
            return Accepted(aid, "duplicate", version)
        self._queue(raw, aid, size, version, seen)
        return Accepted(aid, "updated" if version > 1 else "queued", version)

    def _known(self, aid: str, version: int, seen: str | None) -> bool:
        """Whether this version was published already, or queued within the dedup window: one round trip.
        The window's marker reads "pending" from here until admission writes "queued" with the ledger entry. A
        resubmission that finds "pending" (an attempt refused or failed in between) is queued again, and publish's
        idempotency absorbs a repeat; one admitted is in the ledger, whose sweep queues it again if the push after
        admission failed. So no accepted article depends on a marker alone."""
        pipe = self._redis.pipeline(transaction=False)
        pipe.exists(self._keys.published(aid, self._settings.pipeline_version, version))
        if seen is not None:
            pipe.set(seen, "pending", nx=True, ex=self._settings.dedup_window_s)
            pipe.get(seen)
        published, *marker = pipe.execute()
        return bool(published) or (bool(marker) and not marker[0] and marker[1] == b"queued")

    def _queue(self, raw: RawArticle, aid: str, size: int, version: int, seen: str | None) -> None:
        s = self._settings
        body_ref = self._keys.body(aid, version) if size > s.inline_body_max_bytes else None
        message = IngestedArticle.from_raw(raw, aid, body_ref, version).model_dump(mode="json")
        body = (body_ref, raw.body.encode("utf-8")) if body_ref else None
        try:
            admission = self._ledger.admit(aid, message, size, body, (seen, s.dedup_window_s) if seen else None,
                                           s.body_ttl_s, self._queues, self._limits)  # fmt: skip
            if admission.admitted:
                self._dispatch(self._stages[0], message)
        except Exception as exc:
            raise TransientError(f"could not queue article {aid}: {exc}") from exc
        if admission.full_stage is not None:
            raise QueueFull(self._keys.queue(self._stages[admission.full_stage]), admission.depth, self._limits.depth)
        if admission.bytes_held is not None:
            raise InFlightBytesFull(admission.bytes_held, size, self._limits.bytes)
