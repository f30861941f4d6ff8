"""Which worker process holds each unacknowledged broker message, and which of those processes are alive.

kombu's Redis transport moves a message it delivers into its unacked hash and returns it to the queue only after
the visibility timeout (an hour by default), because it cannot tell a dead worker's message from a slow task's.
Here each holder (a worker's main process, which consumes and acknowledges) writes its name beside every message
it takes and keeps a heartbeat key alive; a message whose holder's heartbeat has expired is an orphan, which any
worker queues again (workers/runtime/transport.py does the moving, with kombu's own restore). A live holder's
message is never an orphan, however long its task runs.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Collection
from dataclasses import dataclass

import redis

from newsflow.state.keys import Keys


def holder_name() -> str:
    """A name for this process, unique across hosts and restarts."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class Holders:
    keys: Keys
    lapse_s: float  # a heartbeat key lives this long after each beat

    def hold(self, pipe: redis.client.Pipeline, tag: str, holder: str) -> None:
        pipe.hset(self.keys.message_holders(), tag, holder)

    def release(self, pipe: redis.client.Pipeline, tag: str) -> None:
        pipe.hdel(self.keys.message_holders(), tag)

    def beat(self, client: redis.Redis, holder: str) -> None:
        client.set(self.keys.heartbeat(holder), "1", px=int(self.lapse_s * 1000))

    def orphans(self, client: redis.Redis, holder: str, held_here: Collection[str]) -> list[str]:
        """The messages to queue again: those of holders whose heartbeat lapsed, and those the hash gives to
        ``holder`` (this process) that it no longer holds (its connection was replaced, or a failover lost the
        acknowledgement or the restore)."""
        held: dict[bytes, bytes] = client.hgetall(self.keys.message_holders())  # type: ignore[assignment]
        others = sorted({h.decode() for h in held.values()} - {holder})
        pipe = client.pipeline(transaction=False)
        for other in others:
            pipe.exists(self.keys.heartbeat(other))
        alive = {other for other, exists in zip(others, pipe.execute(), strict=True) if exists} | {holder}
        orphaned = []
        for raw_tag, raw_holder in held.items():
            tag, by = raw_tag.decode(), raw_holder.decode()
            if by not in alive or (by == holder and tag not in held_here):
                orphaned.append(tag)
        return orphaned
