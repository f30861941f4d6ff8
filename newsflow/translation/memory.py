"""The translation memory: each translated sentence in Redis, keyed by who translated it and what it said.

Key (newsflow/state/keys.py): ``<prefix>:tm:<backend>:<model>:<source>:<target>:<blake2b of the whitespace-normalised
sentence>``, so a new model or backend never reads another's translations, and boilerplate that recurs across articles
(datelines, agency credits) or an article processed again costs one MGET instead of a model call.
"""

from __future__ import annotations

import hashlib

import redis

from newsflow.state.keys import Keys
from newsflow.translation import Route


def _digest(sentence: str) -> str:
    return hashlib.blake2b(" ".join(sentence.split()).encode("utf-8"), digest_size=16).hexdigest()


class TranslationMemory:
    def __init__(self, client: redis.Redis, keys: Keys, ttl_s: int) -> None:
        self.client, self.keys, self.ttl_s = client, keys, ttl_s

    def _keys(self, route: Route, source: str, target: str, sentences: list[str]) -> list[str]:
        return [self.keys.translation(route.key, source, target, _digest(s)) for s in sentences]

    def recall(self, route: Route, source: str, target: str, sentences: list[str]) -> list[str | None]:
        if not sentences:
            return []
        found = self.client.mget(self._keys(route, source, target, sentences))
        return [value.decode("utf-8") if isinstance(value, bytes) else value for value in found]

    def remember(self, route: Route, source: str, target: str, pairs: dict[str, str]) -> None:
        if not pairs:
            return
        pipe = self.client.pipeline(transaction=False)
        for key, translation in zip(self._keys(route, source, target, list(pairs)), pairs.values(), strict=True):
            pipe.set(key, translation.encode("utf-8"), ex=self.ttl_s)
        pipe.execute()
