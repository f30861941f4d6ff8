"""A worker's app: newsflow's Celery app with the ingest task and every stage task registered, logging and boot
hooked in."""

from __future__ import annotations

from typing import Any

from celery import Celery

from config import Settings
from newsflow.stages import Pipeline, Stage
from workers.runtime import logs
from workers.runtime.app import create_app
from workers.runtime.boot import preload
from workers.runtime.health import register_health_task
from workers.runtime.ingesttask import register_ingest_task
from workers.runtime.stagetask import register_stage_tasks

# A worker serving only light stages (publish) has each pool process reserve a few messages, which saves a
# round trip per task; any heavy stage keeps it to one, since a second would wait behind a slow article.
LIGHT_STAGE_PREFETCH = 4


def create_worker_app(settings: Settings, pipeline: Pipeline | None = None) -> Celery:
    app = create_app(settings, pipeline)
    register_ingest_task(app)
    register_stage_tasks(app, app.conf.newsflow_pipeline)
    register_health_task(app)
    logs.install(settings)
    return app


def prefetch(stages: list[Stage[Any, Any]]) -> int:
    return 1 if any(stage.heavy for stage in stages) else LIGHT_STAGE_PREFETCH


def pool(stages: list[Stage[Any, Any]]) -> str:
    """threads for a worker whose every stage waits on a model that releases the GIL, else prefork (an ingest-only
    worker, which serves no stage, too)."""
    return "threads" if stages and all(stage.threaded for stage in stages) else "prefork"


def start(app: Celery, stages: list[Stage[Any, Any]], argv: list[str], in_this_process: bool) -> None:
    """Prepare the stages' models (raises NewsflowError when they cannot load), then run the worker."""
    preload(app, stages, in_this_process)
    app.worker_main(argv)
