"""The versions of each story: a story's id stays its URL's; each new content submitted under it is the next
version. Kept as long as publish's markers (NEWSFLOW_PUBLISHED_MARKER_TTL_S), so a version number names one content."""

from __future__ import annotations

import redis

from newsflow.state import scripts
from newsflow.state.keys import Keys


class Versions:
    def __init__(self, client: redis.Redis, keys: Keys, ttl_s: int) -> None:
        self._redis, self._keys, self._ttl_s = client, keys, ttl_s
        self._register = scripts.register(client, "version")

    def of(self, article_id: str, digest: str) -> int:
        """The version number of content ``digest`` under ``article_id``: its own if seen before, else the next."""
        return int(self._register(keys=[self._keys.versions(article_id)], args=[digest, self._ttl_s]))

    def latest(self, article_id: str) -> int:
        """The story's latest version (1 for one ingest never versioned: sent to a stage directly, say)."""
        found = self._redis.hget(self._keys.versions(article_id), "latest")
        return int(found) if isinstance(found, bytes) else 1
