"""The one Celery task shape of every stage: decode, apply the stage, record provenance, hand on; and on failure,
what the failure policy (policy.py) decides: a retry, a requeue or a dead letter. A pool process that dies is
counted by request.py.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import Any

import redis
from celery import Celery, Task
from celery.exceptions import Ignore, Reject, Retry, TimeLimitExceeded
from kombu.exceptions import OperationalError
from pydantic import ValidationError

from newsflow.errors import NewsflowError
from newsflow.resources import Resources
from newsflow.schema import Article, StageRun
from newsflow.stages import Pipeline, Stage
from newsflow.state.deadletters import DeadLetterStore
from newsflow.state.ledger import Ledger
from workers.runtime import policy
from workers.runtime.app import shown_as
from workers.runtime.boot import worker_process
from workers.runtime.metrics import record_stage

log = logging.getLogger("newsflow.stage")
# A broker that does not answer within about two seconds is treated as down: the message goes back to its queue.
_HAND_ON_RETRIES = {"max_retries": 3, "interval_start": 0.2, "interval_step": 0.5, "interval_max": 1.0}


def _outcome(exc: Retry | Ignore | Reject) -> str:
    """How a task that raised ``exc`` ended: Ignore is what _fail raises once the dead letter is written."""
    return "retried" if isinstance(exc, Retry) else "requeued" if isinstance(exc, Reject) else "dead_lettered"


def _message(args: tuple[Any, ...], kwargs: dict[str, Any]) -> object:
    """The record a stage task was called with; anything else, kept whole for the dead letter."""
    return args[0] if len(args) == 1 and not kwargs else {"args": args, "kwargs": kwargs}


def register_stage_tasks(app: Celery, pipeline: Pipeline) -> None:
    """One task per stage, named ``newsflow.<stage>``, in ``app`` alone."""
    for stage in pipeline:
        app.task(base=StageTask, bind=True, name=stage.task_name, stage=stage, shared=False)(run_stage)


def run_stage(task: StageTask, message: dict[str, Any]) -> None:
    """Every stage task's body: the message as the stage's record, the stage, provenance, then on or out."""
    stage, process = task.stage, worker_process(task.app)
    loaded = process.loaded(stage)
    article = stage.apply(stage.reads.model_validate(message), loaded)
    stamped = task.stamp(article, stage.counters(article) if stage.counters else {})
    if stage.emit is not None:
        stage.emit(stamped, loaded)
    else:
        task.hand_on(stamped.model_dump(mode="json"))


class StageTask(Task):
    stage: Stage[Any, Any]
    Request = "workers.runtime.request:StageRequest"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        self.request.newsflow_started = (started, datetime.now(UTC))
        message, outcome = _message(args, kwargs), "ok"
        try:
            self._entered(message)
            return super().__call__(*args, **kwargs)
        except (Retry, Ignore, Reject) as exc:
            outcome = _outcome(exc)
            raise
        except Exception as exc:  # every failure is retried, requeued or dead-lettered below, never dropped
            try:
                self._fail(message, policy.classify(exc))
            except (Retry, Ignore, Reject) as handled:
                outcome = _outcome(handled)
                raise
        finally:
            record_stage(self.stage.name, outcome, time.perf_counter() - started)

    @property
    def stage_name(self) -> str:
        return self.stage.name

    @property
    def _resources(self) -> Resources:
        return worker_process(self.app).resources

    def _entered(self, message: object) -> None:
        if isinstance(message, dict) and isinstance(message.get("id"), str):
            res = self._resources
            Ledger(res.redis, res.keys).entered(message["id"], self.stage.name, res.settings.body_ttl_s)

    def hand_on(self, record: dict[str, Any]) -> None:
        """Queue the next stage with this stage's output. Done here rather than by a Celery chain, so that a
        broker outage at this moment is our error to handle (the message is requeued), not the pool's."""
        following = self.app.conf.newsflow_pipeline.after(self.stage.name)
        try:
            self.app.send_task(following.task_name, args=(record,), retry=True, retry_policy=_HAND_ON_RETRIES,
                               **shown_as(record))  # fmt: skip
        except AttributeError as exc:  # kombu 5.7 tearing down a lost connection (see consumer.py)
            raise OperationalError(f"broker connection lost: {exc}") from None

    def stamp(self, article: Article, counters: dict[str, float]) -> Article:
        """The article with this stage's provenance appended."""
        started, started_at = self.request.newsflow_started
        run = StageRun(
            stage=self.stage.name,
            stage_version=self.stage.version,
            worker=self.request.hostname or "local",
            started_at=started_at,
            duration_ms=round((time.perf_counter() - started) * 1000, 3),
            counters=counters,
        )
        return article.model_copy(update={"provenance": [*article.provenance, run]})

    def on_failure(self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        """Runs in the worker's main process when the pool process ran past the hard time limit and was killed."""
        if isinstance(exc, TimeLimitExceeded):
            limit = self._resources.settings.task_time_limit_s
            failure = policy.Failure(exc, False, f"ran past the hard time limit ({limit} s) and was killed")
            self._dead_letter(_message(args, kwargs), failure, self.request.retries + 1)

    def _fail(self, message: object, failure: policy.Failure) -> None:
        retries = self.request.retries
        match policy.decide(failure, retries, self._resources.settings):
            case policy.Requeue(reason):
                # Redis is the broker too: a retry could not be scheduled through it. Requeue the message (or, if
                # even that fails, leave it unacked for the visibility timeout to return).
                raise Reject(reason, requeue=True) from None
            case policy.Retry(countdown_s):
                try:
                    limit = self._resources.settings.max_retries
                    raise self.retry(exc=failure.exc, countdown=countdown_s, max_retries=limit)
                except Retry:
                    raise
                except Exception as exc:  # noqa: BLE001 - the retry could not be sent: the message goes back instead
                    raise Reject(f"could not schedule a retry: {exc}", requeue=True) from None
            case policy.GiveUp(reason):
                self._dead_letter(message, policy.Failure(failure.exc, False, reason), retries + 1)
                raise Ignore()  # acknowledges the message; nothing is handed on

    def _dead_letter(self, message: object, failure: policy.Failure, attempts: int) -> None:
        expected = isinstance(failure.exc, NewsflowError | ValidationError | TimeLimitExceeded)
        article_id = message.get("id") if isinstance(message, dict) else None
        log.log(logging.WARNING if expected else logging.ERROR, "dead-lettering %s in %s: %s",
                article_id, self.stage.name, failure.reason, exc_info=None if expected else failure.exc)  # fmt: skip
        res = self._resources
        try:
            DeadLetterStore(res.redis, res.settings).write(
                stage=self.stage.name,
                message=message,
                error_type=failure.error_type,
                reason=failure.reason,
                attempts=attempts,
                worker=self.request.hostname or "local",
            )
        except redis.RedisError as exc:  # no letter, no ack: the message comes back
            raise Reject(f"could not write the dead letter: {exc}", requeue=True) from None
