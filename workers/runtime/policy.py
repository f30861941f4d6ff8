"""The failure policy, as pure functions: what a stage task does when its stage raised.

``classify`` maps any exception onto newsflow's error tree:
    TransientError, PermanentError              → as they are
    redis connection and timeout errors        → transient (Redis is also the broker); so are a demoted master's
                                                  READONLY and a write the replicas did not confirm in time
    pydantic ValidationError of the message     → permanent: the message is malformed
    the soft time limit                         → permanent
    anything else                               → permanent, named after its type (a bug: logged in full)

``decide`` turns a failure and the attempts so far into one of three outcomes:
    Requeue      Redis itself failed: a retry could not be scheduled through it, so the message goes back
    Retry(s)     transient, retries left: again after a bounded exponential back-off (Celery's own helper, with
                 full jitter), always below the visibility timeout (Settings checks the bound)
    GiveUp       permanent, or retries exhausted: a dead letter with the reason

``backlog_wait`` is the ingest task's patience with a stage queue over NEWSFLOW_MAX_QUEUE_DEPTH.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import redis
from celery.exceptions import SoftTimeLimitExceeded
from celery.utils.time import get_exponential_backoff_interval
from kombu.exceptions import OperationalError
from pydantic import ValidationError

from config import Settings
from newsflow.errors import PermanentError, TransientError
from newsflow.state.replication import NotReplicated


@dataclass(frozen=True)
class Failure:
    exc: BaseException
    transient: bool
    reason: str

    @property
    def error_type(self) -> str:
        return type(self.exc).__name__

    @property
    def broker_down(self) -> bool:
        return self.transient and isinstance(self.exc, redis.RedisError | OperationalError)


@dataclass(frozen=True)
class Retry:
    countdown_s: int


@dataclass(frozen=True)
class Requeue:
    reason: str


@dataclass(frozen=True)
class GiveUp:
    reason: str


Outcome = Retry | Requeue | GiveUp


def classify(exc: BaseException) -> Failure:
    """Any exception as a failure: transient (retry) or permanent (dead letter), with a reason."""
    if isinstance(exc, TransientError | PermanentError):
        return Failure(exc, isinstance(exc, TransientError), getattr(exc, "reason", str(exc)))
    if isinstance(
        exc, redis.ConnectionError | redis.TimeoutError | redis.ReadOnlyError | NotReplicated | OperationalError
    ):
        return Failure(exc, True, f"redis unavailable: {exc}")
    if isinstance(exc, ValidationError):
        return Failure(exc, False, f"malformed message: {exc.error_count()} error(s): {exc.errors()[0]['msg']}")
    if isinstance(exc, SoftTimeLimitExceeded):
        return Failure(exc, False, "the stage ran past its time limit")
    return Failure(exc, False, f"unexpected {type(exc).__name__}: {exc}")


def decide(failure: Failure, retries: int, settings: Settings) -> Outcome:
    """What to do after attempt ``retries + 1`` failed."""
    if failure.broker_down:
        return Requeue(f"redis unavailable: {failure.exc}")
    if not failure.transient:
        return GiveUp(failure.reason)
    if retries < settings.max_retries:
        return Retry(get_exponential_backoff_interval(1, retries, settings.retry_backoff_max_s, full_jitter=True))
    return GiveUp(f"gave up after {retries + 1} attempts: {failure.reason}")


def backlog_wait(retries: int, settings: Settings) -> float | None:
    """Seconds an ingest task waits for a full stage queue before attempt ``retries + 2``, or None once it has waited
    NEWSFLOW_INGEST_BACKLOG_RETRIES times. The wait doubles from 2 s up to the back-off bound (below the visibility
    timeout); half of it is random, so that producers held back together do not all come back together."""
    if retries >= settings.ingest_backlog_retries:
        return None
    ceiling = min(settings.retry_backoff_max_s, 2 ** (retries + 1))
    return ceiling / 2 + random.uniform(0, ceiling / 2)
