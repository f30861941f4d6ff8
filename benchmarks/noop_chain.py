"""A chain of the pipeline's shape whose stages do nothing: the queue's own ceiling, for benchmarks/pipeline.py.

Same broker settings, queues, task names, serializer and message (each stage hands the record it got to the
next stage's queue, the last one adds it to the output stream), none of the stages' work:

    NEWSFLOW_REDIS_URL=... celery -A benchmarks.noop_chain worker -Q <the four stage queues> -c 2
"""

from __future__ import annotations

from functools import cache

import redis
from celery import Celery

from config import get_settings
from newsflow.stages import PIPELINE
from newsflow.wire import dumps
from workers.runtime.app import celery_config

# This module is the benchmark worker's entry point (`celery -A`): it builds its app on import, on purpose.
settings = get_settings()
app = Celery("noop-chain", set_as_current=True)
app.config_from_object({**celery_config(settings, PIPELINE), "worker_consumer": "celery.worker.consumer:Consumer"})


@cache
def _client() -> redis.Redis:
    return redis.Redis.from_url(settings.redis_url.get_secret_value())


def _stage(stage: str) -> None:
    following = PIPELINE.after(stage)

    @app.task(name=PIPELINE[stage].task_name, bind=True)
    def run(self, message: dict) -> None:
        if following:
            self.app.send_task(following.task_name, args=(message,))
        else:
            _client().xadd(settings.output_stream, {"id": message["id"], "record": dumps(message)})


for _name in PIPELINE.names:
    _stage(_name)
