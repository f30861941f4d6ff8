"""The one way newsflow builds a Redis client: from the settings, with the same options everywhere."""

from __future__ import annotations

import redis

from config import Settings
from newsflow.errors import NotConfigured


def connect(settings: Settings, timeout_s: float | None = None) -> redis.Redis:
    """A client of the configured Redis. It connects on first use; idle connections are checked before reuse
    (a Redis restart or a dropped connection costs no failed command) and kept alive by TCP keepalives.
    ``timeout_s`` bounds every command (doctor's checks); the default waits as long as a blocking read asks."""
    if settings.redis_url is None:
        raise NotConfigured("NEWSFLOW_REDIS_URL is not set")
    return redis.Redis.from_url(
        settings.redis_url.get_secret_value(),
        health_check_interval=30,
        socket_keepalive=True,
        socket_connect_timeout=timeout_s or 10,
        socket_timeout=timeout_s,
    )
