"""The base class of every stage task: timing and provenance, error mapping, bounded retries, dead-lettering.

Third-party exceptions are mapped onto newsflow's error tree here, so each task body stays a few lines:
    redis connection and timeout errors        → TransientError (retried)
    pydantic ValidationError of the message     → PermanentError (the message is malformed)
    the soft time limit                         → PermanentError
    anything else                               → PermanentError named after its type (a bug: logged in full)
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import redis
from celery import Task
from celery.exceptions import Ignore, Retry, SoftTimeLimitExceeded
from pydantic import ValidationError

from newsflow.errors import NewsflowError, PermanentError, TransientError
from newsflow.schema import StageRun
from workers.boot import resources
from workers.deadletter import DeadLetterStore

log = logging.getLogger("newsflow.stage")


@dataclass(frozen=True)
class StageFailure:
    exc: BaseException
    transient: bool
    reason: str

    @property
    def error_type(self) -> str:
        return type(self.exc).__name__


def classify(exc: BaseException) -> StageFailure:
    """Map any exception onto the error tree: transient (retry) or permanent (dead letter), with a reason."""
    if isinstance(exc, TransientError | PermanentError):
        return StageFailure(exc, isinstance(exc, TransientError), getattr(exc, "reason", str(exc)))
    if isinstance(exc, redis.ConnectionError | redis.TimeoutError):
        return StageFailure(exc, True, f"redis unavailable: {exc}")
    if isinstance(exc, ValidationError):
        return StageFailure(exc, False, f"malformed message: {exc.error_count()} error(s): {exc.errors()[0]['msg']}")
    if isinstance(exc, SoftTimeLimitExceeded):
        return StageFailure(exc, False, "the stage ran past its time limit")
    return StageFailure(exc, False, f"unexpected {type(exc).__name__}: {exc}")


class StageTask(Task):
    stage: str = ""
    stage_version: str = "1"

    def __call__(self, *args, **kwargs):
        self.request.newsflow_started = (time.perf_counter(), datetime.now(UTC))
        try:
            out = super().__call__(*args, **kwargs)
        except (Retry, Ignore):
            raise
        except Exception as exc:  # every failure is retried or dead-lettered below, never dropped
            self._fail(args[0] if len(args) == 1 else {"args": args, "kwargs": kwargs}, classify(exc))
        return self.stamp(out) if isinstance(out, dict) else out

    def stamp(self, record: dict) -> dict:
        """Append this stage's provenance to a record (a dict of an Article)."""
        started, started_at = self.request.newsflow_started
        run = StageRun(
            stage=self.stage,
            stage_version=self.stage_version,
            worker=self.request.hostname or "local",
            started_at=started_at,
            duration_ms=round((time.perf_counter() - started) * 1000, 3),
        )
        return {**record, "provenance": [*record.get("provenance", []), run.model_dump(mode="json")]}

    def _fail(self, message: object, failure: StageFailure) -> None:
        settings = resources().settings
        attempts = self.request.retries + 1
        if failure.transient and self.request.retries < settings.max_retries:
            backoff = min(settings.retry_backoff_max_s, 2**self.request.retries) + random.uniform(0, 1)
            raise self.retry(exc=failure.exc, countdown=backoff, max_retries=settings.max_retries)
        reason = failure.reason if not failure.transient else f"gave up after {attempts} attempts: {failure.reason}"
        expected = isinstance(failure.exc, NewsflowError | ValidationError)
        article_id = message.get("id") if isinstance(message, dict) else None
        log.log(logging.WARNING if expected else logging.ERROR, "dead-lettering %s in %s: %s",
                article_id, self.stage, reason, exc_info=None if expected else failure.exc)  # fmt: skip
        DeadLetterStore(resources()).write(
            stage=self.stage,
            message=message,
            error_type=failure.error_type,
            reason=reason,
            attempts=attempts,
            worker=self.request.hostname or "local",
        )
        raise Ignore()  # acknowledges the message and stops the chain
