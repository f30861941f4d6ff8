"""Where one article is: in flight (and in which stage), published (and where), or dead-lettered (and why)."""

from __future__ import annotations

from collections.abc import Sequence

import redis

from config import Settings
from newsflow.schema import ArticleStatus
from newsflow.state.deadletters import DeadLetterStore
from newsflow.state.keys import Keys
from newsflow.state.ledger import Ledger
from newsflow.state.output import Publisher
from newsflow.state.versions import Versions


def article_status(client: redis.Redis, settings: Settings, stages: Sequence[str], article_id: str
                   ) -> ArticleStatus | None:  # fmt: skip
    """None when this deployment does not know the article (or has forgotten it)."""
    keys, pipeline_version = Keys.from_settings(settings), settings.pipeline_version
    version = Versions(client, keys, settings.published_marker_ttl_s).latest(article_id)
    pipe = client.pipeline(transaction=False)
    pipe.get(keys.published(article_id, pipeline_version, version))
    for stage in stages:
        pipe.get(keys.dead_lettered(article_id, stage, pipeline_version, version))
    published, *letters = pipe.execute()
    if published:
        record = Publisher(client, settings).published_record(article_id, version)
        return ArticleStatus(id=article_id, version=version, state="published", entry_id=published.decode(),
                             record=record)  # fmt: skip
    for stage, entry in zip(stages, letters, strict=True):
        if entry is not None:  # empty while its letter is being written
            letter = DeadLetterStore(client, settings).find(entry.decode()) if entry else None
            return ArticleStatus(id=article_id, version=version, state="dead_lettered", stage=stage,
                                 entry_id=entry.decode() or None, reason=letter.reason if letter else None)  # fmt: skip
    found = Ledger(client, keys).entry(article_id)
    if found is None:
        return None
    return ArticleStatus(id=article_id, version=version, state="in_flight", stage=found.stage,
                         queued_at=found.queued_at)  # fmt: skip
