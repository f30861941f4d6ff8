"""Reading the output stream the way a downstream consumer should: a consumer group, acknowledged records."""

from __future__ import annotations

import time
from collections.abc import Iterator

import redis

from newsflow.wire import loads


def follow(
    client: redis.Redis, stream: str, group: str, consumer: str, from_start: bool, count: int = 0, idle_s: float = 0
) -> Iterator[dict]:
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
        batch = client.xreadgroup(
            group, consumer, {stream: cursor}, count=min(100, count - seen) if count else 100, block=1000
        )
        entries = batch[0][1] if batch else []
        if cursor == "0" and not entries:
            cursor = ">"
        if entries:
            last = time.monotonic()
        for entry_id, fields in entries:
            yield loads(fields[b"record"])
            client.xack(stream, group, entry_id)
            seen += 1
