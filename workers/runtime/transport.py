"""kombu's Redis transport with one Redis client object per connection pool, instead of one per command.

kombu wraps its connection pool in a new ``redis.Redis`` for every publish, every delivery's bookkeeping and
every acknowledgement; redis-py 8 fills a table of about 170 response callbacks in each constructor, which
made client construction a visible share of a task's cost (benchmarks/results/pipeline.md). A ``redis.Redis``
holds no connection of its own, only its pool, so one per pool is enough; a new pool (after a reconnect)
gets a new client.

``install()`` makes it the transport of redis:// and rediss:// URLs in this process, rather than naming it in
Celery's broker_transport: URLs stay plain redis://, which Flower (and anything else that reads the scheme)
understands.
"""

from __future__ import annotations

import redis
from kombu.transport import TRANSPORT_ALIASES
from kombu.transport import redis as kombu_redis


class Channel(kombu_redis.Channel):
    _pooled_client: tuple[redis.ConnectionPool, redis.Redis] | None = None

    def _create_client(self, asynchronous: bool = False) -> redis.Redis:
        if self.connection.client is None:
            # The kombu connection was already released: Celery closing a lost connection closes its channel, and
            # the channel asks for a client to restore unacked messages. kombu would fail with an AttributeError,
            # which escapes Celery's ignore_errors and stops the worker; a connection error is ignored there (the
            # visibility sweep restores those messages later).
            raise redis.ConnectionError("the broker connection was already closed")
        if asynchronous:  # kombu keeps this one itself (Channel.client), bound to the poller's connection
            return super()._create_client(asynchronous=True)
        pool = self.pool
        if self._pooled_client is None or self._pooled_client[0] is not pool:
            self._pooled_client = (pool, super()._create_client())
        return self._pooled_client[1]


class Transport(kombu_redis.Transport):
    Channel = Channel


def install() -> None:
    for scheme in ("redis", "rediss"):
        TRANSPORT_ALIASES[scheme] = f"{__name__}:Transport"
