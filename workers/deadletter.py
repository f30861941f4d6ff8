"""The dead-letter stream: failures that will not heal by themselves, each with its input kept for replay.

One article has at most one dead letter per stage and pipeline version: a failure that is delivered again (its
worker died after writing the letter, before acknowledging) finds the marker and adds nothing. Replay clears it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from celery import Celery

from newsflow.schema import DeadLetter
from newsflow.wire import dumps, loads
from workers.app import pipeline

if TYPE_CHECKING:
    from workers.boot import Resources

DEAD_LETTER_STREAM_MAXLEN = 100_000

# KEYS: marker (its value becomes the letter's entry id), input key, stream, body key or "", in-flight set,
#       in-flight message or "";
# ARGV: input, retention, letter, article id, maxlen.
_WRITE_ONCE = """
if ARGV[4] ~= '' then redis.call('ZREM', KEYS[5], ARGV[4]) end
if KEYS[6] ~= '' then redis.call('DEL', KEYS[6]) end
if KEYS[1] ~= '' and redis.call('SET', KEYS[1], '', 'NX', 'EX', ARGV[2]) == false then return false end
redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[2])
if KEYS[4] ~= '' then redis.call('EXPIRE', KEYS[4], ARGV[2]) end
local entry = redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[5], '*', 'id', ARGV[4], 'record', ARGV[3])
if KEYS[1] ~= '' then redis.call('SET', KEYS[1], entry, 'KEEPTTL') end
return entry
"""


class DeadLetterStore:
    def __init__(self, res: Resources) -> None:
        self._redis, self._keys, self._settings = res.redis, res.keys, res.settings
        self._write_once = self._redis.register_script(_WRITE_ONCE)

    def write(
        self, *, stage: str, message: object, error_type: str, reason: str, attempts: int, worker: str
    ) -> str | None:
        """Keep the stage's input for the retention period and add a dead letter pointing at it.
        Returns the entry id, or None when this article already has its letter for this stage."""
        fields = message if isinstance(message, dict) else {}
        article_id = fields.get("id") if isinstance(fields.get("id"), str) else None
        letter = DeadLetter(
            article_id=article_id,
            stage=stage,
            error_type=error_type,
            reason=reason[:2000],
            attempts=attempts,
            failed_at=datetime.now(UTC),
            worker=worker,
            input_key=self._keys.dead_letter_input(uuid.uuid4().hex),
        )
        marker = self._keys.dead_lettered(article_id, stage, self._settings.pipeline_version) if article_id else ""
        body_ref = fields.get("body_ref") if isinstance(fields.get("body_ref"), str) else ""
        entry = self._write_once(
            keys=[marker, letter.input_key, self._settings.dead_letter_stream, body_ref, self._keys.in_flight(),
                  self._keys.in_flight_message(article_id) if article_id else ""],
            args=[dumps(message), self._settings.dead_letter_retention_s, dumps(letter.model_dump(mode="json")),
                  article_id or "", DEAD_LETTER_STREAM_MAXLEN],
        )  # fmt: skip
        return entry.decode() if entry else None

    def list(self, count: int = 100) -> list[tuple[str, DeadLetter]]:
        entries = self._redis.xrange(self._settings.dead_letter_stream, count=count)
        return [
            (entry_id.decode(), DeadLetter.model_validate(loads(fields[b"record"]))) for entry_id, fields in entries
        ]

    def get(self, entry_id: str) -> tuple[DeadLetter, dict | None]:
        entries = self._redis.xrange(self._settings.dead_letter_stream, min=entry_id, max=entry_id)
        if not entries:
            raise KeyError(f"no dead letter {entry_id}")
        letter = DeadLetter.model_validate(loads(entries[0][1][b"record"]))
        data = self._redis.get(letter.input_key) if letter.input_key else None
        return letter, loads(data) if data is not None else None

    def replay(self, entry_id: str, app: Celery) -> DeadLetter:
        """Send the letter's input back into its stage (and the stages after it), then remove the letter."""
        letter, message = self.get(entry_id)
        if message is None:
            raise KeyError(f"the input of dead letter {entry_id} has expired ({letter.input_key})")
        # Clear the marker first, so a replay that fails again gets its own letter; remove the old letter only
        # once the replay is queued, so a failed send leaves it in place.
        if letter.article_id:
            self._redis.delete(
                self._keys.dead_lettered(letter.article_id, letter.stage, self._settings.pipeline_version)
            )
        pipeline(app, message, start=letter.stage).apply_async()
        self._redis.pipeline().xdel(self._settings.dead_letter_stream, entry_id).delete(letter.input_key).execute()
        return letter
