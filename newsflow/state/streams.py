"""Stream entries: how a record is written to and read from the output and dead-letter streams, and how a
downstream consumer should follow the output stream (a consumer group, acknowledged records).

Every entry has two fields: ``id`` (the article id, empty when unknown) and ``record`` (the record as orjson).
The Lua scripts under lua/ write the same two fields.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import redis

from newsflow.wire import loads

Fields = dict[Any, Any]  # redis-py's shape of an entry's fields: bytes keys and values


def entry_article_id(fields: Fields) -> str:
    return bytes(fields[b"id"]).decode()


def entry_record(fields: Fields) -> dict[str, Any]:
    record: dict[str, Any] = loads(fields[b"record"])
    return record


def entries(client: redis.Redis, stream: str, start: str = "-", end: str = "+", count: int | None = None
            ) -> list[tuple[str, Fields]]:  # fmt: skip
    """Entries of ``stream`` from ``start`` to ``end`` (ids, inclusive), oldest first, at most ``count``."""
    found: list[tuple[bytes, Fields]] = client.xrange(stream, min=start, max=end, count=count)  # type: ignore[assignment]  # redis-py types responses as unions of every shape
    return [(entry_id.decode(), fields) for entry_id, fields in found]


def last_entry_id(client: redis.Redis, stream: str) -> str:
    """The newest entry's id, or ``0-0`` for an empty stream: reading after it yields only what comes next."""
    last: list[tuple[bytes, Fields]] = client.xrevrange(stream, count=1)  # type: ignore[assignment]  # see entries()
    return last[0][0].decode() if last else "0-0"


def follow(
    client: redis.Redis, stream: str, group: str, consumer: str, from_start: bool, count: int = 0, idle_s: float = 0
) -> Iterator[dict[str, Any]]:
    """Records for this consumer: its unacknowledged ones first (after a crash), then new ones.
    Stops after ``count`` records or ``idle_s`` seconds without one; 0 means no such limit."""
    try:
        client.xgroup_create(stream, group, id="0" if from_start else "$", mkstream=True)
    except redis.ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise
    seen, cursor = 0, "0"  # "0": this consumer's pending entries; ">" once they are drained
    last = time.monotonic()
    while (count == 0 or seen < count) and (idle_s == 0 or time.monotonic() - last < idle_s):
        batch: Any = client.xreadgroup(
            group, consumer, {stream: cursor}, count=min(100, count - seen) if count else 100, block=1000
        )
        found = batch[0][1] if batch else []
        if cursor == "0" and not found:
            cursor = ">"
        if found:
            last = time.monotonic()
        for entry_id, fields in found:
            yield entry_record(fields)
            client.xack(stream, group, entry_id)
            seen += 1
