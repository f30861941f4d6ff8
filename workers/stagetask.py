"""The base class of every stage task: timing and provenance, error mapping, bounded retries, dead-lettering.

Every failure ends in one of three ways: a retry (transient, bounded, back-off below the visibility timeout),
a dead letter (permanent, retries exhausted, or the hard time limit), or a requeue when Redis itself is down
(the dead letter could not be written, a retry could not be sent). A pool process that dies is counted by
workers/request.py.

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
from celery.exceptions import Ignore, Reject, Retry, SoftTimeLimitExceeded, TimeLimitExceeded
from kombu.exceptions import OperationalError
from pydantic import ValidationError

from newsflow.errors import NewsflowError, PermanentError, TransientError
from newsflow.schema import StageRun
from workers.app import TASK_NAMES, next_stage, shown_as
from workers.boot import resources
from workers.deadletter import DeadLetterStore
from workers.metrics import record_stage

log = logging.getLogger("newsflow.stage")
# A broker that does not answer within about two seconds is treated as down: the message goes back to its queue.
_HAND_ON_RETRIES = {"max_retries": 3, "interval_start": 0.2, "interval_step": 0.5, "interval_max": 1.0}


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
    if isinstance(exc, redis.ConnectionError | redis.TimeoutError | OperationalError):
        return StageFailure(exc, True, f"redis unavailable: {exc}")
    if isinstance(exc, ValidationError):
        return StageFailure(exc, False, f"malformed message: {exc.error_count()} error(s): {exc.errors()[0]['msg']}")
    if isinstance(exc, SoftTimeLimitExceeded):
        return StageFailure(exc, False, "the stage ran past its time limit")
    return StageFailure(exc, False, f"unexpected {type(exc).__name__}: {exc}")


def _outcome(exc: Retry | Ignore | Reject) -> str:
    """How a task that raised ``exc`` ended: Ignore is what _fail raises once the dead letter is written."""
    return "retried" if isinstance(exc, Retry) else "requeued" if isinstance(exc, Reject) else "dead_lettered"


def _message(args: tuple, kwargs: dict) -> object:
    """The record a stage task was called with; anything else, kept whole for the dead letter."""
    return args[0] if len(args) == 1 and not kwargs else {"args": args, "kwargs": kwargs}


class StageTask(Task):
    stage: str = ""
    stage_version: str = "1"
    Request = "workers.request:StageRequest"

    def __call__(self, *args, **kwargs):
        started = time.perf_counter()
        self.request.newsflow_started = (started, datetime.now(UTC))
        message, outcome = _message(args, kwargs), "ok"
        try:
            self._mark_stage(message)
            out = super().__call__(*args, **kwargs)
            if isinstance(out, dict):
                self._hand_on(self.stamp(out))
        except (Retry, Ignore, Reject) as exc:
            outcome = _outcome(exc)
            raise
        except Exception as exc:  # every failure is retried or dead-lettered below, never dropped
            try:
                self._fail(message, classify(exc))
            except (Retry, Ignore, Reject) as handled:
                outcome = _outcome(handled)
                raise
        finally:
            record_stage(self.stage, outcome, time.perf_counter() - started)

    def _mark_stage(self, message: object) -> None:
        """Record which stage the article is in, for `GET /v1/articles/{id}` (one Redis write per task)."""
        if isinstance(message, dict) and isinstance(message.get("id"), str):
            res = resources()
            res.redis.set(res.keys.stage(message["id"]), self.stage, ex=res.settings.body_ttl_s)

    def _hand_on(self, record: dict) -> None:
        """Queue the next stage with this stage's output. Done here rather than by a Celery chain, so that a
        broker outage at this moment is our error to handle (the message is requeued), not the pool's."""
        following = next_stage(self.stage)
        if following is None:
            return
        try:
            self.app.send_task(TASK_NAMES[following], args=(record,), retry=True, retry_policy=_HAND_ON_RETRIES,
                               **shown_as(record))  # fmt: skip
        except AttributeError as exc:  # kombu 5.7 tearing down a lost connection (see workers/consumer.py)
            raise OperationalError(f"broker connection lost: {exc}") from None

    def on_failure(self, exc, task_id, args, kwargs, einfo) -> None:
        """Runs in the worker's main process when the pool process ran past the hard time limit and was killed."""
        if isinstance(exc, TimeLimitExceeded):
            message = _message(args, kwargs)
            reason = f"ran past the hard time limit ({resources().settings.task_time_limit_s} s) and was killed"
            self._dead_letter(message, StageFailure(exc, False, reason), self.request.retries + 1)

    def stamp(self, record: dict) -> dict:
        """Append this stage's provenance to a record (a dict of an Article)."""
        started, started_at = self.request.newsflow_started
        run = StageRun(
            stage=self.stage,
            stage_version=self.stage_version,
            worker=self.request.hostname or "local",
            started_at=started_at,
            duration_ms=round((time.perf_counter() - started) * 1000, 3),
            counters=getattr(self.request, "newsflow_counters", None) or {},
        )
        return {**record, "provenance": [*record.get("provenance", []), run.model_dump(mode="json")]}

    def _fail(self, message: object, failure: StageFailure) -> None:
        settings = resources().settings
        attempts = self.request.retries + 1
        if failure.transient and isinstance(failure.exc, redis.RedisError | OperationalError):
            # Redis is the broker too: a retry could not be scheduled through it. Requeue the message (or, if even
            # that fails, leave it unacked for the visibility timeout to return).
            raise Reject(f"redis unavailable: {failure.exc}", requeue=True) from None
        if failure.transient and self.request.retries < settings.max_retries:
            backoff = min(settings.retry_backoff_max_s, 2**self.request.retries) + random.uniform(0, 1)
            try:
                raise self.retry(exc=failure.exc, countdown=backoff, max_retries=settings.max_retries)
            except Retry:
                raise
            except Exception as exc:  # noqa: BLE001 - the retry could not be sent: the message goes back instead
                raise Reject(f"could not schedule a retry: {exc}", requeue=True) from None
        reason = failure.reason if not failure.transient else f"gave up after {attempts} attempts: {failure.reason}"
        self._dead_letter(message, StageFailure(failure.exc, False, reason), attempts)
        raise Ignore()  # acknowledges the message; nothing is handed on

    def _dead_letter(self, message: object, failure: StageFailure, attempts: int) -> None:
        expected = isinstance(failure.exc, NewsflowError | ValidationError | TimeLimitExceeded)
        article_id = message.get("id") if isinstance(message, dict) else None
        log.log(logging.WARNING if expected else logging.ERROR, "dead-lettering %s in %s: %s",
                article_id, self.stage, failure.reason, exc_info=None if expected else failure.exc)  # fmt: skip
        try:
            DeadLetterStore(resources()).write(
                stage=self.stage,
                message=message,
                error_type=failure.error_type,
                reason=failure.reason,
                attempts=attempts,
                worker=self.request.hostname or "local",
            )
        except redis.RedisError as exc:  # no letter, no ack: the message comes back
            raise Reject(f"could not write the dead letter: {exc}", requeue=True) from None
