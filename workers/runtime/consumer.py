"""A Celery consumer that dead-letters what it cannot run, instead of logging and dropping it, and that
survives a broker restart.

Celery's own consumer acknowledges and forgets a message it cannot decode (pickle, which newsflow never
accepts, corrupt bytes, or a list item that is no message at all: workers/runtime/transport.py) and one that names a
task this worker does not know. Here each becomes a dead
letter on the stage whose queue it came from, with its raw body kept for inspection.

Every worker also sweeps: each heartbeat it queues again the messages of workers whose heartbeat lapsed
(workers/runtime/transport.py), and now and then the articles the in-flight ledger says the broker lost.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from celery.worker.consumer import Consumer
from kombu.message import Message

from newsflow.state.deadletters import DeadLetterStore, undecoded
from newsflow.state.ledger import Ledger
from workers.runtime import metrics
from workers.runtime.app import dispatcher
from workers.runtime.boot import worker_process
from workers.runtime.transport import MALFORMED_HEADER

log = logging.getLogger("newsflow.consumer")


class DeadLetteringConsumer(Consumer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Survive the broker going away. While kombu 5.7 tears down a lost Redis connection, closing its channel
        # (which restores unacknowledged messages) and acknowledging a task that finished meanwhile both reach
        # for a transport client that is already gone: an AttributeError, which Celery treats as unrecoverable,
        # so the worker would exit. Counted as connection errors, they make the consumer reconnect instead; the
        # acknowledgements they lose leave messages in Redis' unacked set, which the visibility sweep returns
        # (and publish's idempotency absorbs the repeat).
        self.connection_errors: tuple[type[BaseException], ...] = (*self.connection_errors, AttributeError)
        self._sweeping = False

    def on_ready(self) -> None:
        super().on_ready()
        if not self._sweeping:  # on_ready runs again after every reconnect
            self._sweeping = True
            settings = worker_process(self.app).resources.settings
            self.timer.call_repeatedly(max(1.0, min(60.0, settings.reconcile_after_s / 10)), self._reconcile)
            self.timer.call_repeatedly(settings.worker_heartbeat_s, self._requeue_orphans)

    def _requeue_orphans(self) -> None:
        """Messages whose worker died go back to their queues within a beat of its heartbeat lapsing."""
        try:
            requeued = self.connection.default_channel.requeue_orphans()
        except Exception as exc:  # noqa: BLE001 - Redis may be failing over; the next beat tries again
            log.warning("orphan sweep skipped: %r", exc)
            return
        if requeued:
            metrics.ORPHANS_REQUEUED.inc(requeued)
            log.warning("queued %d messages again whose worker stopped beating", requeued)

    def _reconcile(self) -> None:
        """The safety net under the broker: articles accepted long ago and still open go round again."""
        res = worker_process(self.app).resources
        try:
            Ledger(res.redis, res.keys).requeue_stale(
                dispatcher(self.app), self.app.conf.newsflow_pipeline.first.name, res.settings.reconcile_after_s
            )
        except Exception as exc:  # noqa: BLE001 - Redis may be restarting; the next sweep tries again
            log.warning("in-flight sweep skipped: %r", exc)

    def create_task_handler(self, *args: Any, **kwargs: Any) -> Callable[[Message], Any]:
        handle = super().create_task_handler(*args, **kwargs)

        def on_task_received(message: Message) -> Any:
            try:
                return handle(message)
            except self.connection_errors:
                raise
            except Exception as exc:  # noqa: BLE001 - Celery stops the worker on a message its own code trips over
                self._dead_letter(
                    message, type(exc).__name__, f"a message the worker cannot read: {exc!r}", message.body
                )
                message.ack()

        return on_task_received

    def on_unknown_message(self, body: Any, message: Message) -> None:
        self._dead_letter(message, "UnknownMessage", "a message that names no task (no `task` header or field)",
                          message.body)  # fmt: skip
        message.ack()

    def on_decode_error(self, message: Message, exc: Exception) -> None:
        malformed = (message.headers or {}).get(MALFORMED_HEADER)
        reason = (
            f"malformed message: {malformed}" if malformed else f"undecodable message ({message.content_type}): {exc}"
        )
        self._dead_letter(message, type(exc).__name__, reason, message.body)
        message.ack()

    def on_unknown_task(self, body: Any, message: Message, exc: Exception) -> None:
        name = message.headers.get("task") if message.headers else None
        self._dead_letter(message, "NotRegistered", f"no task named {name!r} on this worker", message.body)
        super().on_unknown_task(body, message, exc)

    def on_invalid_task(self, body: Any, message: Message, exc: Exception) -> None:
        self._dead_letter(message, "InvalidTaskError", f"invalid task message: {exc}", message.body)
        super().on_invalid_task(body, message, exc)

    def _dead_letter(self, message: Message, error_type: str, reason: str, body: bytes | str) -> None:
        queue = (message.delivery_info or {}).get("routing_key") or "unknown"
        res = worker_process(self.app).resources
        stage = res.keys.queue_stage(queue)
        log.error("dead-lettering a message from %s: %s", queue, reason)
        DeadLetterStore(res.redis, res.settings).write(
            stage=stage,
            message=undecoded(message.content_type, body),
            error_type=error_type,
            reason=reason,
            attempts=1,
            worker=self.hostname,
        )
