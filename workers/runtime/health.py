"""Proof that a worker consumes: a task sent to the worker's own queue writes a Redis key when it runs.

A ping (Celery's remote control) only shows that a worker's main process answers broadcasts; after a broker
reconnect a worker can answer pings and still consume nothing. This check goes through the same path as
articles: the broker queue, the consumer, the pool.
"""

from __future__ import annotations

import time
import uuid

import redis
from celery import Celery
from celery.utils.nodenames import worker_direct

from newsflow.state.keys import Keys
from workers.runtime.boot import worker_process

TASK_NAME = "newsflow.health"


def register_health_task(app: Celery) -> None:
    @app.task(name=TASK_NAME, ignore_result=True, shared=False)
    def mark_alive(token: str) -> None:
        res = worker_process(app).resources
        res.redis.set(res.keys.health(token), "1", ex=60)


def consumes(celery: Celery, client: redis.Redis, keys: Keys, node: str, timeout_s: float) -> bool:
    """True when ``node`` runs a task sent to its own queue within ``timeout_s``."""
    token = uuid.uuid4().hex
    celery.send_task(TASK_NAME, args=(token,), queue=worker_direct(node), expires=timeout_s)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if client.delete(keys.health(token)):
            return True
        time.sleep(0.1)
    return False
