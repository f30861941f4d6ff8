"""The dead-letter stream: failures that will not heal by themselves, each with its input kept for replay.

One article has at most one dead letter per stage and pipeline version: a failure that is delivered again (its
worker died after writing the letter, before acknowledging) finds the marker and adds nothing. Replay clears it.
"""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime
from typing import Any

import redis

from config import Settings
from newsflow.errors import NotFound
from newsflow.schema import DeadLetter, version_of
from newsflow.state import Dispatch, scripts
from newsflow.state.keys import Keys
from newsflow.state.ledger import Ledger
from newsflow.state.replication import Replication
from newsflow.state.streams import entries, entry_record
from newsflow.wire import dumps, loads

DEAD_LETTER_STREAM_MAXLEN = 100_000


def undecoded(content_type: str | None, body: bytes | str) -> dict[str, str | None]:
    """What a dead letter keeps of a message that was never decoded: its content type and its bytes, in base64."""
    raw = body if isinstance(body, bytes) else str(body).encode("utf-8", "replace")
    return {"content_type": content_type, "body_base64": base64.b64encode(raw).decode("ascii")}


class DeadLetterStore:
    def __init__(self, client: redis.Redis, settings: Settings) -> None:
        self._redis, self._settings = client, settings
        self._keys = Keys.from_settings(settings)
        self._ledger = Ledger(client, self._keys)
        self._write_once = scripts.register(client, "dead_letter", prelude="ledger")
        self._replication = Replication.from_settings(settings)

    def write(
        self, *, stage: str, message: object, error_type: str, reason: str, attempts: int, worker: str
    ) -> str | None:
        """Keep the stage's input for the retention period and add a dead letter pointing at it.
        Returns the entry id, or None when this article already has its letter for this stage."""
        fields: dict[str, Any] = message if isinstance(message, dict) else {}
        article_id = fields.get("id") if isinstance(fields.get("id"), str) else None
        letter = DeadLetter(
            article_id=article_id,
            version=version_of(fields) if article_id else None,
            stage=stage,
            error_type=error_type,
            reason=reason[:2000],
            attempts=attempts,
            failed_at=datetime.now(UTC),
            worker=worker,
            input_key=self._keys.dead_letter_input(uuid.uuid4().hex),
        )
        s = self._settings
        marker = (
            self._keys.dead_lettered(article_id, stage, s.pipeline_version, version_of(fields)) if article_id else ""
        )
        body_ref = fields.get("body_ref") if isinstance(fields.get("body_ref"), str) else ""
        entry = self._write_once(
            keys=[marker, letter.input_key or "", self._keys.dead_letter_stream, body_ref or "",
                  *self._ledger.closing_keys(article_id or "")],
            args=[dumps(message), s.dead_letter_retention_s, dumps(letter.model_dump(mode="json")), article_id or "",
                  DEAD_LETTER_STREAM_MAXLEN],
        )  # fmt: skip
        self._replication.confirm(self._redis)
        return entry.decode() if entry else None

    def list(self, count: int = 100) -> list[tuple[str, DeadLetter]]:
        found = entries(self._redis, self._keys.dead_letter_stream, count=count)
        return [(entry_id, DeadLetter.model_validate(entry_record(fields))) for entry_id, fields in found]

    def find(self, entry_id: str) -> DeadLetter | None:
        """The letter at stream entry ``entry_id``, or None when there is none."""
        found = entries(self._redis, self._keys.dead_letter_stream, entry_id, entry_id)
        return DeadLetter.model_validate(entry_record(found[0][1])) if found else None

    def get(self, entry_id: str) -> tuple[DeadLetter, dict[str, Any] | None]:
        """The letter and the input it failed on (None once the input has expired). Raises NotFound."""
        letter = self.find(entry_id)
        if letter is None:
            raise NotFound(f"no dead letter {entry_id}")
        data = self._redis.get(letter.input_key) if letter.input_key else None
        return letter, loads(data) if data is not None else None

    def replay(self, entry_id: str, dispatch: Dispatch) -> DeadLetter:
        """Send the letter's input back into its stage (and the stages after it), then remove the letter."""
        letter, message = self.get(entry_id)
        if message is None:
            raise NotFound(f"the input of dead letter {entry_id} has expired ({letter.input_key})")
        # Clear the marker first, so a replay that fails again gets its own letter; remove the old letter only
        # once the replay is queued, so a failed send leaves it in place.
        if letter.article_id:
            version = version_of(message)
            self._redis.delete(
                self._keys.dead_lettered(letter.article_id, letter.stage, self._settings.pipeline_version, version)
            )
        dispatch(letter.stage, message)
        pipe = self._redis.pipeline()
        pipe.xdel(self._keys.dead_letter_stream, entry_id)
        if letter.input_key:
            pipe.delete(letter.input_key)
        pipe.execute()
        return letter
