"""`newsflow.ingest`: raw articles from any producer that speaks Celery (protocol 2, JSON or orjson), validated and
queued by the same Ingest as the gateway and the CLI (newsflow/state/ingest.py).

No caller waits for an answer, so every outcome lands where someone can see it. An accepted article goes on through
the pipeline; a duplicate is counted. An invalid article, or an argument of the wrong shape, becomes a dead letter
at stage `ingest` that gives the gateway's words for what is wrong and keeps what was sent, for replay. While a
stage queue is over NEWSFLOW_MAX_QUEUE_DEPTH, the task waits (a retry with back-off, below the visibility timeout)
with the articles it has not queued yet; after NEWSFLOW_INGEST_BACKLOG_RETRIES waits they become dead letters with
reason `backlog`.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import redis
from celery import Celery, Task
from celery.exceptions import Ignore, Reject, Retry
from kombu.exceptions import OperationalError

from config import Settings
from newsflow.errors import InvalidSubmission, QueueFull, TransientError
from newsflow.stages import INGEST, task_name
from newsflow.state.deadletters import DeadLetterStore
from newsflow.state.ingest import Ingest, parse_article, submissions
from workers.runtime import policy
from workers.runtime.app import dispatcher
from workers.runtime.boot import worker_process
from workers.runtime.metrics import record_ingest, record_stage

log = logging.getLogger("newsflow.ingest")


def register_ingest_task(app: Celery) -> None:
    # typing=False: a call with the wrong arguments must reach the task, which dead-letters it with a reason.
    app.task(base=IngestTask, bind=True, name=task_name(INGEST), shared=False, typing=False)(ingest_articles)


def ingest_articles(task: IngestTask, *args: Any, **kwargs: Any) -> None:
    """One raw article, or a list of them, into the pipeline; whatever cannot go in, into the dead-letter stream."""
    try:
        argument = _argument(args, kwargs)
        items = submissions(argument, task.settings.ingest_batch_max)
    except InvalidSubmission as exc:
        task.dead_letter({"args": list(args), "kwargs": kwargs}, type(exc).__name__, str(exc))
        record_ingest("invalid")
        return
    for position, item in enumerate(items):
        try:
            accepted = task.ingest.submit(parse_article(item))
        except InvalidSubmission as exc:  # in a batch, the reason names the item's position, as the gateway does
            where = f"[{position}] " if isinstance(argument, list) else ""
            task.dead_letter(item, type(exc).__name__, f"{where}{exc}")
            record_ingest("invalid")
        except QueueFull as exc:
            task.wait_for_backlog(items[position:], exc)
        else:
            record_ingest(accepted.status)


def _argument(args: tuple[Any, ...], kwargs: dict[str, Any]) -> object:
    if kwargs:
        raise InvalidSubmission(f"newsflow.ingest takes no keyword arguments, not {', '.join(sorted(kwargs))}")
    if len(args) != 1:
        raise InvalidSubmission(f"newsflow.ingest takes one argument, a raw article or a list of them, not {len(args)}")
    return args[0]


class IngestTask(Task):
    stage_name = INGEST
    max_retries = None  # Celery's bound (3 by default) is replaced by policy.backlog_wait's
    Request = "workers.runtime.request:StageRequest"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        started, outcome = time.perf_counter(), "ok"
        try:
            return super().__call__(*args, **kwargs)
        except Retry:
            outcome = "retried"
            raise
        except Reject:
            outcome = "requeued"
            raise
        except (TransientError, redis.ConnectionError, redis.TimeoutError, OperationalError) as exc:
            # Redis, which is the broker too, failed: the message goes back (or, if even that fails, stays unacked
            # until the visibility timeout returns it). Articles already queued come back as duplicates.
            outcome = "requeued"
            raise Reject(f"redis unavailable: {exc}", requeue=True) from None
        except Exception as exc:  # a bug: the whole message becomes a dead letter, never a log line alone
            log.exception("newsflow.ingest failed unexpectedly")
            outcome = "dead_lettered"
            self.dead_letter({"args": list(args), "kwargs": kwargs}, type(exc).__name__, f"unexpected {exc!r}")
            raise Ignore() from None
        finally:
            record_stage(INGEST, outcome, time.perf_counter() - started)

    @property
    def settings(self) -> Settings:
        return worker_process(self.app).resources.settings

    @property
    def ingest(self) -> Ingest:
        stages = self.app.conf.newsflow_pipeline.names
        return worker_process(self.app).once(
            INGEST, lambda res: Ingest(res.redis, res.settings, stages, dispatcher(self.app))
        )

    def wait_for_backlog(self, remaining: list[object], exc: QueueFull) -> None:
        """Try ``remaining`` again later; after too many waits, dead-letter them."""
        retries = self.request.retries or 0
        countdown = policy.backlog_wait(retries, self.settings)
        if countdown is None:
            reason = f"backlog: {exc} (waited {retries} times)"
            for item in remaining:
                self.dead_letter(item, type(exc).__name__, reason)
            record_ingest("backlog", len(remaining))
            return
        record_ingest("deferred", len(remaining))
        try:
            raise self.retry(args=(remaining,), kwargs={}, countdown=countdown)
        except Retry:
            raise
        except Exception as send_error:  # noqa: BLE001 - the retry could not be sent: the message goes back instead
            raise Reject(f"could not schedule a retry: {send_error}", requeue=True) from None

    def dead_letter(self, message: object, error_type: str, reason: str) -> None:
        log.warning("dead-lettering a submission to newsflow.ingest: %s", reason)
        res = worker_process(self.app).resources
        try:
            DeadLetterStore(res.redis, res.settings).write(
                stage=INGEST,
                message=message,
                error_type=error_type,
                reason=reason,
                attempts=(self.request.retries or 0) + 1,
                worker=self.request.hostname or "local",
            )
        except redis.RedisError as exc:  # no letter, no ack: the message comes back
            raise Reject(f"could not write the dead letter: {exc}", requeue=True) from None
