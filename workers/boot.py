"""Worker boot: heavy resources load once per worker process, when it starts, never at import or per task.

A prefork pool child builds its own ``Resources`` in ``worker_process_init`` and warms what its worker's stages
need, so the first article does not pay for model loading. Anything else (solo pool, the in-process CLI
commands) gets them lazily on first use, once per process.
"""

from __future__ import annotations

import os
from functools import cached_property

import redis
from celery.signals import worker_process_init

from config import Settings, Stage, get_settings
from newsflow.errors import MissingInput
from newsflow.gazetteer import Gazetteer
from newsflow.keys import Keys
from newsflow.language import LanguageIdentifier
from newsflow.translation import Translator, build_translator

_WARM: dict[str, tuple[str, ...]] = {
    "extract": ("redis", "language"),
    "translate": ("translator",),
    "tag": ("gazetteer",),
    "publish": ("redis",),
}


class Resources:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.keys = Keys.from_settings(settings)

    @cached_property
    def redis(self) -> redis.Redis:
        if self.settings.redis_url is None:
            raise RuntimeError("NEWSFLOW_REDIS_URL is not set")
        return redis.Redis.from_url(
            self.settings.redis_url.get_secret_value(), health_check_interval=30, socket_keepalive=True
        )

    @cached_property
    def language(self) -> LanguageIdentifier:
        return LanguageIdentifier()

    @cached_property
    def gazetteer(self) -> Gazetteer:
        return Gazetteer.from_packages(self.settings.min_place_population)

    @cached_property
    def translator(self) -> Translator | None:
        return build_translator(self.settings)

    def warm(self, stages: list[Stage]) -> Resources:
        for stage in stages:
            for name in _WARM[stage]:
                getattr(self, name)
        return self

    def load_body(self, key: str | None) -> str:
        """A raw body stored by reference at ingest."""
        data = self.redis.get(key) if key else None
        if data is None:
            raise MissingInput(f"the raw body at {key!r} has expired or was never stored")
        return data.decode("utf-8")


_process: tuple[int, Resources] | None = None


def resources() -> Resources:
    """This process's resources, created on first use in each process."""
    global _process
    if _process is None or _process[0] != os.getpid():
        _process = (os.getpid(), Resources(get_settings()))
    return _process[1]


@worker_process_init.connect
def _load_for_pool_process(sender=None, **_) -> None:
    from workers.app import app

    global _process
    _process = (os.getpid(), Resources(app.conf.newsflow_settings).warm(app.conf.newsflow_stages))
