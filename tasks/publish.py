"""Stage 4, publish: the enriched record onto the output stream, once per (article id, pipeline version)."""

from __future__ import annotations

import redis

from config import Settings
from newsflow.errors import PermanentError
from newsflow.keys import Keys
from newsflow.schema import Article
from newsflow.wire import dumps
from workers.app import TASK_NAMES, app
from workers.boot import resources
from workers.stagetask import StageTask

STAGE_VERSION = "1"

# Marker check, XADD and marker write in one atomic step: a redelivered message finds the marker and adds nothing.
# The article also leaves the in-flight ledger (KEYS[3], KEYS[4]) and loses its stage marker (KEYS[5]) in the same step.
_PUBLISH_ONCE = """
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('DEL', KEYS[4], KEYS[5])
local existing = redis.call('GET', KEYS[1])
if existing then return {0, existing} end
local entry = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'id', ARGV[1], 'record', ARGV[2])
redis.call('SET', KEYS[1], entry, 'EX', ARGV[4])
return {1, entry}
"""


def check_complete(article: Article) -> Article:
    """Publish only records that went through every stage."""
    if article.translation is None:
        raise PermanentError("the article reached publish without a translation block")
    return article


class Publisher:
    """The output stream as a sink."""

    def __init__(self, client: redis.Redis, settings: Settings) -> None:
        self._keys = Keys.from_settings(settings)
        self._settings = settings
        self._script = client.register_script(_PUBLISH_ONCE)

    def publish(self, article: Article) -> tuple[bool, str]:
        """(True, entry id) for a new record; (False, earlier entry id) when this version was published already."""
        s = self._settings
        added, entry = self._script(
            keys=[
                self._keys.published(article.id, s.pipeline_version),
                s.output_stream,
                self._keys.in_flight(),
                self._keys.in_flight_message(article.id),
                self._keys.stage(article.id),
            ],
            args=[article.id, dumps(article.model_dump(mode="json")), s.output_stream_maxlen, s.published_marker_ttl_s],
        )
        return bool(added), entry.decode()


@app.task(base=StageTask, bind=True, name=TASK_NAMES["publish"], stage="publish", stage_version=STAGE_VERSION)
def publish(self: StageTask, message: dict) -> str:
    res = resources()
    article = check_complete(Article.model_validate(self.stamp(message)))
    _, entry = Publisher(res.redis, res.settings).publish(article)
    return entry
