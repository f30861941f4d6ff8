"""What the stages load: heavy things, built once per process on first use, never at import or per task.

A worker process builds one ``Resources`` and each of its stages takes what it needs from it through the stage's
``load`` (newsflow/stages.py), when the process starts. The in-process CLI commands do the same, lazily.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import redis

from config import Settings
from newsflow.batching import Batching
from newsflow.errors import MissingInput
from newsflow.language import LanguageIdentifier
from newsflow.state.client import connect
from newsflow.state.keys import Keys
from newsflow.tagging.encoder import ArticleEncoder
from newsflow.tagging.gazetteer import Gazetteer
from newsflow.tagging.names import KnownEntity, known_names
from newsflow.tagging.phrases import PhraseTable
from newsflow.tagging.tagger import Tagger
from newsflow.translation.backends import build_translators
from newsflow.translation.memory import TranslationMemory
from newsflow.translation.service import TranslationService


@dataclass(frozen=True)
class Observers:
    """Where resources report what they measure (the worker runtime points these at its metrics)."""

    translation_batch: Callable[[int, int], None] | None = None  # (sentences, articles) of one model call
    tag_batch: Callable[[int, int], None] | None = None  # (texts, articles) of one encoder call
    translation_memory: Callable[[int, int], None] | None = None  # (hits, misses) of one article's texts
    redis_master_change: Callable[[], None] | None = None  # a Sentinel failover, seen by this process


class Resources:
    def __init__(self, settings: Settings, observers: Observers | None = None) -> None:
        self.settings = settings
        self.keys = Keys.from_settings(settings)
        self.observers = observers or Observers()

    @cached_property
    def redis(self) -> redis.Redis:
        return connect(self.settings, on_master_change=self.observers.redis_master_change)

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
        settings = self.settings
        batching = None
        if settings.tag_batch_size:
            batching = Batching(settings.tag_batch_size, settings.tag_batch_wait_ms / 1000, settings.task_time_limit_s)
        encoder = ArticleEncoder(settings.models_dir, device=settings.tag_device, batching=batching,
                                 observe_batch=self.observers.tag_batch)  # fmt: skip
        return Tagger(self.gazetteer, self.names, encoder, settings.tag_max_chars).warm()

    @cached_property
    def translation(self) -> TranslationService:
        settings, observers = self.settings, self.observers
        memory = None
        if settings.redis_url is not None and settings.translation_memory_ttl_s > 0:
            memory = TranslationMemory(self.redis, self.keys, settings.translation_memory_ttl_s)
        translators = build_translators(settings, lambda: [self.names, self.gazetteer], observers.translation_batch)
        return TranslationService(translators, memory, observers.translation_memory)

    def load_body(self, key: str | None) -> str:
        """A raw body stored by reference at ingest."""
        data = self.redis.get(key) if key else None
        if not isinstance(data, bytes):
            raise MissingInput(f"the raw body at {key!r} has expired or was never stored")
        return data.decode("utf-8")
