"""The one way newsflow builds a Redis client: from the settings, with the same options everywhere, on one Redis
or on the master a Redis Sentinel set names (found again after a failover)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import redis
from redis.sentinel import MasterNotFoundError, Sentinel

from config import Settings
from newsflow.errors import NotConfigured

log = logging.getLogger("newsflow.redis")


@dataclass(frozen=True)
class SentinelSet:
    """What a sentinel:// URL list names: the sentinels, and the master's credentials and database."""

    sentinels: list[tuple[str, int]]
    username: str | None
    password: str | None
    db: int

    @classmethod
    def parse(cls, url: str) -> SentinelSet:
        parts = [urlsplit(part.strip()) for part in url.split(";") if part.strip()]
        with_auth = next((p for p in parts if p.password or p.username), None)
        with_db = next((p for p in parts if p.path.strip("/")), None)
        try:
            sentinels = [(p.hostname or "127.0.0.1", p.port or 26379) for p in parts]
            db = int(with_db.path.strip("/")) if with_db else 0
        except ValueError:
            raise NotConfigured("NEWSFLOW_REDIS_URL: a sentinel URL has a bad port or database number") from None
        username = unquote(with_auth.username) if with_auth and with_auth.username else None
        password = unquote(with_auth.password) if with_auth and with_auth.password else None
        return cls(sentinels, username, password, db)


class FollowedSentinels(Sentinel):
    """Sentinels whose answer is logged, and reported to ``on_master_change``, when it names a new master."""

    def __init__(self, *args: Any, on_master_change: Callable[[], None] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._master: tuple[str, int] | None = None
        self._on_master_change = on_master_change

    def discover_master(self, service_name: str) -> tuple[str, int]:
        try:
            address: tuple[str, int] = super().discover_master(service_name)
        except MasterNotFoundError:  # redis-py's message is the repr of every sentinel client
            asked = ", ".join(f"{s.connection_pool.connection_kwargs['host']}:{s.connection_pool.connection_kwargs['port']}"
                              for s in self.sentinels)  # fmt: skip
            raise MasterNotFoundError(f"no sentinel ({asked}) names a master for {service_name!r}") from None
        if self._master is not None and address != self._master:
            log.warning("the Redis master of %s is now %s:%s (it was %s:%s): a failover", service_name, *address,
                        *self._master)  # fmt: skip
            if self._on_master_change is not None:
                self._on_master_change()
        self._master = address
        return address


def connect(
    settings: Settings, timeout_s: float | None = None, on_master_change: Callable[[], None] | None = None
) -> redis.Redis:
    """A client of the configured Redis. It connects on first use; idle connections are checked before reuse
    (a Redis restart or a dropped connection costs no failed command) and kept alive by TCP keepalives; a failed
    command is retried on a new connection (redis-py's default, three times with back-off), which under Sentinel
    asks the sentinels for the master again. ``timeout_s`` bounds every command (doctor's checks); the default
    waits as long as a blocking read asks. ``on_master_change`` is called after a failover (a metric)."""
    if settings.redis_url is None:
        raise NotConfigured("NEWSFLOW_REDIS_URL is not set")
    options: dict[str, Any] = {
        "health_check_interval": 30,
        "socket_keepalive": True,
        "socket_connect_timeout": timeout_s or 10,
        "socket_timeout": timeout_s,
    }
    url = settings.redis_url.get_secret_value()
    if not settings.sentinel:
        return redis.Redis.from_url(url, **options)
    followed = sentinels(settings, timeout_s, on_master_change)
    return followed.master_for(settings.redis_sentinel_master or "", **options)


def sentinels(
    settings: Settings, timeout_s: float | None = None, on_master_change: Callable[[], None] | None = None
) -> FollowedSentinels:
    """The sentinels of a sentinel:// NEWSFLOW_REDIS_URL, with the master's credentials for what they name."""
    assert settings.redis_url is not None and settings.sentinel  # callers check
    found = SentinelSet.parse(settings.redis_url.get_secret_value())
    own: dict[str, Any] = {"socket_connect_timeout": timeout_s or 2, "socket_timeout": timeout_s or 2}
    if settings.redis_sentinel_password is not None:
        own["password"] = settings.redis_sentinel_password.get_secret_value()
    return FollowedSentinels(found.sentinels, sentinel_kwargs=own, username=found.username, password=found.password,
                             db=found.db, on_master_change=on_master_change)  # fmt: skip
