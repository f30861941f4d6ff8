"""Structured logs: with NEWSFLOW_LOG_FORMAT=json every line is one JSON object carrying, inside a stage task,
the article id and the stage (and Celery's task id), so a log search for an article finds its whole path."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import orjson
from celery import current_task
from celery.signals import after_setup_logger, after_setup_task_logger

from config import Settings


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
            **_task_context(),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()


def _task_context() -> dict[str, str | None]:
    task = current_task
    if not task or task.request.id is None:
        return {}
    args = task.request.args or ()
    message = args[0] if args and isinstance(args[0], dict) else {}
    stage = getattr(task, "stage", None)  # a stage task's declaration (newsflow/stages.py)
    return {"article_id": message.get("id"), "stage": getattr(stage, "name", None), "task_id": task.request.id}


def use_json(logger: logging.Logger | None = None) -> None:
    """Every handler of ``logger`` (the root logger by default) writes JSON."""
    for handler in (logger or logging.getLogger()).handlers:
        handler.setFormatter(JsonFormatter())


def install(settings: Settings) -> None:
    """With NEWSFLOW_LOG_FORMAT=json, every logger Celery sets up in this worker writes JSON."""
    if settings.log_format != "json":
        return

    def json_for_celery(logger: logging.Logger, **_: object) -> None:
        use_json(logger)

    after_setup_logger.connect(json_for_celery, weak=False)
    after_setup_task_logger.connect(json_for_celery, weak=False)
