"""Writes confirmed by replicas. Redis replicates asynchronously: a write the master acknowledged can vanish in a
failover if no replica had it yet. WAIT blocks until the replicas have everything its connection wrote; a tiny
write on any connection, then WAIT, covers every write that finished before it, since a master's replication
stream is one ordered log. So each place where newsflow relies on a write (a queued message, a published record,
a dead letter) confirms once, after its writes, before it reports success or acknowledges its message."""

from __future__ import annotations

from dataclasses import dataclass

import redis

from config import Settings
from newsflow.state.keys import Keys


class NotReplicated(redis.RedisError):
    """Fewer replicas than required confirmed a write in time: the write may not survive a failover, so whatever
    relied on it fails and is tried again later. Not a connection error, on purpose: kombu would send the message
    again at once, and again, while the replica is away; the write is already on the master."""


@dataclass(frozen=True)
class Replication:
    replicas: int
    timeout_ms: int
    probe: str

    @classmethod
    def from_settings(cls, settings: Settings) -> Replication:
        probe = Keys.from_settings(settings).replication_probe()
        return cls(settings.replicas_to_confirm, settings.redis_confirm_timeout_ms, probe)

    def confirm(self, client: redis.Redis) -> None:
        """Return once the replicas hold every write that finished before this call; raise NotReplicated if they
        do not within the timeout. No replicas required: returns at once."""
        if not self.replicas:
            return
        pipe = client.pipeline(transaction=False)
        pipe.incr(self.probe)
        pipe.wait(self.replicas, self.timeout_ms)
        self.check(pipe.execute()[-1])

    def check(self, acknowledged: int) -> None:
        if acknowledged < self.replicas:
            raise NotReplicated(
                f"{acknowledged} of {self.replicas} replica(s) confirmed the write within {self.timeout_ms} ms"
            )
