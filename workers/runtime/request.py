"""The worker-side request of every stage task (and of ingest): bounds how often a message may kill its pool process,
and keeps a message Celery refuses before the task runs (kwargs that are not a mapping) as a dead letter.

With late acks and reject-on-worker-lost, a message whose processing kills the pool process (a crash in C
code, an out-of-memory kill) goes back to the queue and would do so for ever. Redis cannot change a message on
redelivery, so the count lives in Redis, keyed by the task id, and is kept by the worker's main process, which
survives its pool processes.
"""

from __future__ import annotations

import logging
from typing import Any

import redis
from billiard.einfo import ExceptionWithTraceback
from celery.exceptions import InvalidTaskError, WorkerLostError
from celery.worker.request import Request

from newsflow.state.deadletters import DeadLetterStore, undecoded
from workers.runtime.boot import worker_process

log = logging.getLogger("newsflow.request")


class StageRequest(Request):
    def send_event(self, type: str, **fields: Any) -> None:
        # Flower follows a task through its received and succeeded (or failed, retried) events. 'task-started'
        # marks a state that lasts milliseconds here and is a third of the event traffic, so it is not sent
        # (benchmarks/results/pipeline.md measures what events cost).
        if type != "task-started":
            super().send_event(type, **fields)

    def on_failure(self, exc_info: Any, send_failed_event: bool = True, return_ok: bool = False) -> None:
        exc = exc_info.exception
        exc = exc.exc if isinstance(exc, ExceptionWithTraceback) else exc
        if isinstance(exc, InvalidTaskError):  # Celery refused the message before the task ran; it would ack it
            self._dead_letter_refused(exc)
            return self.acknowledge()
        if isinstance(exc, WorkerLostError):
            try:
                if self._count_loss() >= worker_process(self.task.app).resources.settings.max_deliveries:
                    return self.acknowledge()  # dead-lettered: the message stops here
            except redis.RedisError as count_error:  # cannot count now: requeue as Celery would
                log.warning("could not count the lost worker for %s: %r", self.id, count_error)
        return super().on_failure(exc_info, send_failed_event, return_ok)

    def _dead_letter_refused(self, exc: InvalidTaskError) -> None:
        res = worker_process(self.task.app).resources
        log.error("dead-lettering %s in %s: %s", self.id, self.task.stage_name, exc)
        DeadLetterStore(res.redis, res.settings).write(
            stage=self.task.stage_name,
            message=undecoded(self.content_type, self.body),
            error_type="InvalidTaskError",
            reason=f"invalid task message: {exc}",
            attempts=1,
            worker=self.hostname,
        )

    def _count_loss(self) -> int:
        """One more pool process died holding this message; dead-letter it when that is one too many."""
        res = worker_process(self.task.app).resources
        key = res.keys.worker_losses(self.id)
        pipe = res.redis.pipeline()
        pipe.incr(key)
        pipe.expire(key, 2 * res.settings.visibility_timeout_s)
        losses, _ = pipe.execute()
        if losses >= res.settings.max_deliveries:
            reason = f"its worker process died {losses} times while handling it (a crash or an out-of-memory kill)"
            log.error("dead-lettering %s in %s: %s", self.id, self.task.stage_name, reason)
            DeadLetterStore(res.redis, res.settings).write(
                stage=self.task.stage_name,
                message=self.args[0] if self.args else {},
                error_type="WorkerLostError",
                reason=reason,
                attempts=losses,
                worker=self.hostname,
            )
        return losses
