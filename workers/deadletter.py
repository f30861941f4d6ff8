"""The dead-letter stream: failures that will not heal by themselves, each with its input kept for replay."""

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


class DeadLetterStore:
    def __init__(self, res: Resources) -> None:
        self._redis, self._keys, self._settings = res.redis, res.keys, res.settings

    def write(self, *, stage: str, message: object, error_type: str, reason: str, attempts: int, worker: str) -> str:
        """Keep the stage's input for the retention period and add a dead letter pointing at it."""
        retention = self._settings.dead_letter_retention_s
        input_key = self._keys.dead_letter_input(uuid.uuid4().hex)
        letter = DeadLetter(
            article_id=message.get("id") if isinstance(message, dict) else None,
            stage=stage,
            error_type=error_type,
            reason=reason[:2000],
            attempts=attempts,
            failed_at=datetime.now(UTC),
            worker=worker,
            input_key=input_key,
        )
        pipe = self._redis.pipeline(transaction=True)
        pipe.set(input_key, dumps(message), ex=retention)
        if isinstance(message, dict) and message.get("body_ref"):
            pipe.expire(message["body_ref"], retention)  # the raw body must outlive the letter that needs it
        pipe.xadd(
            self._settings.dead_letter_stream,
            {"id": letter.article_id or "", "record": dumps(letter.model_dump(mode="json"))},
            maxlen=DEAD_LETTER_STREAM_MAXLEN,
            approximate=True,
        )
        return pipe.execute()[-1].decode()

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
        pipeline(app, message, start=letter.stage).apply_async()
        self._redis.xdel(self._settings.dead_letter_stream, entry_id)
        self._redis.delete(letter.input_key)
        return letter
