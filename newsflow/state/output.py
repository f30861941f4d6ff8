"""The output stream as a sink: one entry per (article id, pipeline version), however often publish runs."""

from __future__ import annotations

import time
from typing import Any

import redis

from config import Settings
from newsflow.schema import Article
from newsflow.state import scripts
from newsflow.state.keys import Keys
from newsflow.state.ledger import Ledger
from newsflow.state.replication import Replication
from newsflow.state.streams import entries, entry_record
from newsflow.wire import dumps

COUNT_BUCKET_S = 10  # published-count buckets: "published in the last minute" sums the last six


class Publisher:
    def __init__(self, client: redis.Redis, settings: Settings) -> None:
        self._client, self._keys, self._settings = client, Keys.from_settings(settings), settings
        self._ledger = Ledger(client, self._keys)
        self._publish_once = scripts.register(client, "publish", prelude="ledger")
        self._replication = Replication.from_settings(settings)

    def published_record(self, article_id: str, version: int) -> dict[str, Any] | None:
        """The record this version of the article was published as, while the stream still holds it."""
        entry = self._client.get(self._keys.published(article_id, self._settings.pipeline_version, version))
        if not isinstance(entry, bytes):
            return None
        found = entries(self._client, self._keys.output_stream, entry.decode(), entry.decode())
        return entry_record(found[0][1]) if found else None

    def publish(self, article: Article) -> tuple[bool, str]:
        """(True, entry id) for a new record; (False, earlier entry id) when this version of the article was published
        already.
        Marker check, XADD and marker write are one atomic step: a redelivered message adds nothing. Returns once
        the replicas confirm it (raises NotReplicated otherwise), so the message is acknowledged only then."""
        s, keys = self._settings, self._keys
        now = time.time()
        oldest_kept = f"{int((now - s.output_stream_max_age_s) * 1000)}-0"  # entry ids begin with their ms time
        added, entry = self._publish_once(
            keys=[keys.published(article.id, s.pipeline_version, article.version), keys.output_stream,
                  *self._ledger.closing_keys(article.id), keys.published_count(int(now) // COUNT_BUCKET_S)],
            args=[article.id, dumps(article.model_dump(mode="json")), s.output_stream_maxlen, s.published_marker_ttl_s,
                  7 * COUNT_BUCKET_S, oldest_kept],
        )  # fmt: skip
        self._replication.confirm(self._client)
        return bool(added), entry.decode()
