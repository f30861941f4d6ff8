"""The one module that builds newsflow's Celery app, at an entry point (worker, CLI, gateway), never at import.
Every non-default setting carries its reason. Queues and routes come from the pipeline (newsflow/stages.py)."""

from __future__ import annotations

from typing import Any

import redis
from celery import Celery
from kombu import Exchange, Queue

from config import Settings
from newsflow.errors import NotConfigured
from newsflow.stages import Pipeline, load_pipeline, task_name
from newsflow.state import Dispatch
from newsflow.state.client import connect
from newsflow.state.holders import Holders
from newsflow.state.ingest import Ingest
from newsflow.state.keys import Keys
from newsflow.state.replication import Replication
from newsflow.wire import SERIALIZER, register_serializer
from workers.runtime.transport import install as install_transport


def celery_config(settings: Settings, pipeline: Pipeline) -> dict[str, Any]:
    if settings.redis_url is None:
        raise NotConfigured("NEWSFLOW_REDIS_URL is not set")
    register_serializer()
    # kombu's Redis transport, less a client object built per command (see workers/runtime/transport.py).
    install_transport()
    keys = Keys.from_settings(settings)
    queues = {served: keys.queue(served) for served in pipeline.served}
    return {
        "broker_url": settings.redis_url.get_secret_value(),
        "broker_transport_options": transport_options(settings, keys),
        "broker_connection_retry_on_startup": True,
        # Workers outlive a Redis restart: they reconnect for as long as it takes instead of exiting.
        "broker_connection_max_retries": None,
        # Messages a worker cannot decode or route (pickle, unknown task names) become dead letters, not log lines.
        "worker_consumer": "workers.runtime.consumer:DeadLetteringConsumer",
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
        # One queue per stage (and one for ingest), each with its own exchange and key: a message lands in exactly one.
        "task_queues": [Queue(q, Exchange(q, type="direct"), routing_key=q) for q in queues.values()],
        "task_routes": {task_name(stage): {"queue": q, "routing_key": q} for stage, q in queues.items()},
        "task_default_queue": queues[pipeline.first.name],
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


def transport_options(settings: Settings, keys: Keys) -> dict[str, Any]:
    """kombu's Redis transport options, newsflow's holders and replication (workers/runtime/transport.py) among
    them, and under Sentinel the master's name and the sentinels' password."""
    options: dict[str, Any] = {
        # A dead worker's messages come back as soon as its heartbeat lapses (transport.py); unacked messages of a
        # live one come back only after the visibility timeout, the last resort, which every time limit and retry
        # countdown stays below. kombu sweeps for those every interval x throttle seconds: a tenth of the timeout.
        "visibility_timeout": settings.visibility_timeout_s,
        "unacked_restore_interval": max(1, min(10, settings.visibility_timeout_s // 10)),
        "unacked_restore_throttle": 1,
        "newsflow_holders": Holders(keys, settings.heartbeat_lapse_s),
        "newsflow_replication": Replication.from_settings(settings),
    }
    if settings.sentinel:
        options["master_name"] = settings.redis_sentinel_master
        if settings.redis_sentinel_password is not None:
            options["sentinel_kwargs"] = {"password": settings.redis_sentinel_password.get_secret_value()}
    return options


def shown_as(message: object) -> dict[str, str]:
    """How Flower and the logs show a stage task's argument: the article's id. Without it Celery builds a repr
    of the whole record for every message it sends, at a measurable cost."""
    article_id = message.get("id") if isinstance(message, dict) else None
    return {"argsrepr": f"(<article {article_id}>,)", "kwargsrepr": "{}"}


def dispatcher(app: Celery) -> Dispatch:
    """Queue a message for a stage through ``app``. Each stage task hands its output to the next itself
    (workers/runtime/stagetask.py), so a message carries one record, never the rest of a chain."""

    def dispatch(stage: str, message: object) -> None:
        app.send_task(task_name(stage), args=(message,), **shown_as(message))

    return dispatch


def create_app(settings: Settings, pipeline: Pipeline | None = None) -> Celery:
    """The app producers send through; workers add the stage tasks (workers/runtime/worker.py)."""
    pipeline = pipeline or load_pipeline(settings.pipeline)
    app = Celery("newsflow", set_as_current=False)
    app.config_from_object(celery_config(settings, pipeline))
    app.conf.newsflow_settings = settings
    app.conf.newsflow_pipeline = pipeline
    return app


def create_ingest(settings: Settings, client: redis.Redis | None = None) -> Ingest:
    """Ingest that queues through newsflow's Celery app: what the gateway, `submit` and `process` use."""
    app = create_app(settings)
    return Ingest(client or connect(settings), settings, app.conf.newsflow_pipeline.names, dispatcher(app))
