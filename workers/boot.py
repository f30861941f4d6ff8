"""Worker boot: heavy resources load once per worker process, when it starts, never at import or per task.

A prefork pool child builds its own ``Resources`` in ``worker_process_init`` and warms what its worker's stages
need, so the first article does not pay for model loading. Anything else (solo pool, the in-process CLI
commands) gets them lazily on first use, once per process.
"""

from __future__ import annotations

import multiprocessing
import os
from functools import cached_property
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING

import redis
from celery.signals import worker_process_init

from config import Settings, Stage, get_settings
from newsflow.embedding import converted
from newsflow.errors import MissingInput, NewsflowError, PermanentError
from newsflow.gazetteer import Gazetteer
from newsflow.keys import Keys
from newsflow.language import LanguageIdentifier
from newsflow.names import KnownEntity, known_names
from newsflow.phrases import PhraseTable
from newsflow.translation.service import TranslationService

if TYPE_CHECKING:
    from newsflow.tagging import Tagger

_WARM: dict[str, tuple[str, ...]] = {
    "extract": ("redis", "language"),
    "translate": ("translation",),
    "tag": ("tagger",),
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
    def names(self) -> PhraseTable[KnownEntity]:
        return known_names()

    @cached_property
    def tagger(self) -> Tagger:
        from newsflow.tagging import Tagger

        return Tagger(self.gazetteer, self.names, self.settings.models_dir, self.settings.tag_max_chars).warm()

    @cached_property
    def translation(self) -> TranslationService:
        from newsflow.translation.backends import build_translators
        from newsflow.translation.memory import TranslationMemory
        from workers.metrics import record_translation_batch

        settings = self.settings
        memory = None
        if settings.redis_url is not None and settings.translation_memory_ttl_s > 0:
            memory = TranslationMemory(self.redis, settings.key_prefix, settings.translation_memory_ttl_s)
        translators = build_translators(settings, lambda: [self.names, self.gazetteer], record_translation_batch)
        return TranslationService(translators, memory)

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


def _trial_load(settings: Settings, stages: list[Stage], answer: Connection) -> None:
    try:
        Resources(settings).warm(stages)
        answer.send(None)
    except NewsflowError as exc:
        answer.send(f"{type(exc).__name__}: {exc}")


def preload(settings: Settings, stages: list[Stage], in_this_process: bool) -> None:
    """Load what ``stages`` need before the worker consumes, so that a missing or corrupt model stops the worker at
    start-up instead of failing every article. A threads or solo pool runs its tasks in this process: load here,
    once. A prefork pool loads in each pool process; check first with a trial load in a child of this one."""
    global _process
    if in_this_process:
        _process = (os.getpid(), Resources(settings).warm(stages))
        return
    if "tag" in stages:  # its pool processes load the topic model: convert it once, here, or say why it cannot be
        converted(settings.models_dir)
    if "translate" not in stages:  # the other stage whose loading depends on what is installed or configured
        return
    receive, send = multiprocessing.get_context("fork").Pipe(duplex=False)
    child = multiprocessing.get_context("fork").Process(target=_trial_load, args=(settings, ["translate"], send))
    child.start()
    limit = settings.model_load_timeout_s
    problem = receive.recv() if receive.poll(limit) else f"the trial load did not finish within {limit:g} s"
    child.join()
    if problem:
        raise PermanentError(problem)


@worker_process_init.connect
def _load_for_pool_process(sender=None, **_) -> None:
    from workers.app import app

    global _process
    _process = (os.getpid(), Resources(app.conf.newsflow_settings).warm(app.conf.newsflow_stages))
