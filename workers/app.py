"""The one module that builds the Celery app. Every non-default setting carries its reason."""

from __future__ import annotations

from celery import Celery, Signature
from kombu import Exchange, Queue

import workers.logs  # noqa: F401 - hooks JSON logging into Celery's logger set-up
from config import STAGES, Settings, get_settings
from newsflow.wire import SERIALIZER, register_serializer
from workers.transport import install as install_transport

TASK_NAMES = {stage: f"newsflow.{stage}" for stage in STAGES}
# Stages whose tasks take long enough that a worker should hold one message at a time; a worker serving only
# light stages (publish) prefetches a few, which saves a round trip per task.
HEAVY_STAGES = frozenset({"extract", "translate", "tag"})
LIGHT_STAGE_PREFETCH = 4


def celery_config(settings: Settings) -> dict:
    register_serializer()
    # kombu's Redis transport, less a client object built per command (see workers/transport.py).
    install_transport()
    return {
        "broker_url": settings.redis_url.get_secret_value() if settings.redis_url else "redis://127.0.0.1:6379/0",
        # Unacked messages come back after the visibility timeout; every time limit and retry countdown is kept
        # below it. kombu sweeps for them every interval x throttle seconds (100 s by default): sweep at a
        # tenth of the timeout, so a crashed worker's messages return soon after it.
        "broker_transport_options": {
            "visibility_timeout": settings.visibility_timeout_s,
            "unacked_restore_interval": max(1, min(10, settings.visibility_timeout_s // 10)),
            "unacked_restore_throttle": 1,
        },
        "broker_connection_retry_on_startup": True,
        # Workers outlive a Redis restart: they reconnect for as long as it takes instead of exiting.
        "broker_connection_max_retries": None,
        # Messages a worker cannot decode or route (pickle, unknown task names) become dead letters, not log lines.
        "worker_consumer": "workers.consumer:DeadLetteringConsumer",
        # Each worker also consumes its own queue, which `newsflow health` uses to prove it consumes.
        "worker_direct": True,
        # orjson on the wire, json accepted from other producers, pickle never.
        "task_serializer": SERIALIZER,
        "result_serializer": SERIALIZER,
        "accept_content": [SERIALIZER, "json"],
        # Each stage hands its record to the next itself; nothing reads task results, so none are stored.
        "task_ignore_result": True,
        "result_backend": None,
        # Ack after the task ran, and re-queue when the pool process dies mid-task: at-least-once.
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        # One message in hand per pool process; a second would wait behind a slow article.
        "worker_prefetch_multiplier": 1,
        "task_time_limit": settings.task_time_limit_s,
        "task_soft_time_limit": max(1, settings.task_time_limit_s - 5),
        # One queue per stage, each with its own exchange and key: a message lands in exactly one queue.
        "task_queues": [Queue(q, Exchange(q, type="direct"), routing_key=q) for q in map(settings.queue, STAGES)],
        "task_routes": {TASK_NAMES[s]: {"queue": settings.queue(s), "routing_key": settings.queue(s)} for s in STAGES},
        "task_default_queue": settings.queue("extract"),
        # Events feed Flower; they cost throughput, so they are settings. The worker's own events (received,
        # started, succeeded, failed) go out batched once per event-loop turn; task-sent events go out one
        # publish each from every producer, so they are a second, separate choice.
        "worker_send_task_events": settings.task_events,
        "task_send_sent_event": settings.task_sent_events,
        # Replace pool processes now and then, so a slow leak in a parser cannot grow without bound; each start
        # reloads the stage's models (about a second of CPU), so not often.
        "worker_max_tasks_per_child": settings.max_tasks_per_child,
        "worker_max_memory_per_child": settings.max_memory_per_child_mb * 1024,
        # A pool process loads its stage's models before it reports itself up (seconds); at Celery's default of 4 s
        # a process still loading is killed and replaced, again and again.
        "worker_proc_alive_timeout": settings.model_load_timeout_s,
    }


def next_stage(stage: str) -> str | None:
    """The stage after ``stage``, or None after publish."""
    position = STAGES.index(stage)
    return STAGES[position + 1] if position + 1 < len(STAGES) else None


def shown_as(message: dict) -> dict[str, str]:
    """How Flower and the logs show a stage task's argument: the article's id. Without it Celery builds a repr
    of the whole record for every message it sends, at a measurable cost."""
    return {"argsrepr": f"(<article {message.get('id')}>,)", "kwargsrepr": "{}"}


def pipeline(app: Celery, message: dict, start: str = "extract") -> Signature:
    """The task that starts ``message`` at ``start``. Each stage task hands its output to the next itself
    (workers/stagetask.py), so a message carries one record, never the rest of a chain."""
    return app.signature(TASK_NAMES[start], args=(message,), options=shown_as(message))


def create_app(settings: Settings | None = None) -> Celery:
    settings = settings or get_settings()
    # The worker imports the stage modules at start-up; producers never need to.
    app = Celery("newsflow", set_as_current=True, include=[*(f"tasks.{stage}" for stage in STAGES), "workers.health"])
    app.config_from_object(celery_config(settings))
    app.conf.newsflow_settings = settings
    app.conf.newsflow_stages = list(STAGES)
    return app


app = create_app()
