"""The safety net under the broker: accepted articles that neither published nor dead-lettered in time are
queued again from the in-flight ledger that ingest keeps.

kombu's Redis transport pops a message (BRPOP) and only then records it as unacknowledged: a worker killed, or
a Redis restarted, in between loses the message outright (benchmarks/soak.py lost 2 of 10,000 this way). The
ledger closes that gap end to end; publish's idempotency absorbs the rare second run. Runs in every worker's
main process; a Redis lock lets one sweep at a time.
"""

from __future__ import annotations

import logging
import time

from celery import Celery

from newsflow.wire import loads
from workers.app import pipeline
from workers.boot import Resources

log = logging.getLogger("newsflow.reconcile")
SWEEP_LIMIT = 500


def requeue_stale(res: Resources, app: Celery, older_than_s: float) -> int:
    """Queue again the articles in flight for longer than ``older_than_s``; returns how many."""
    client, keys = res.redis, res.keys
    if not client.set(keys.reconcile_lock(), "1", nx=True, ex=max(10, int(older_than_s))):
        return 0
    try:
        now = time.time()
        stale = client.zrangebyscore(keys.in_flight(), "-inf", now - older_than_s, start=0, num=SWEEP_LIMIT)
        requeued = 0
        for raw_id in stale:
            article_id = raw_id.decode()
            message = client.get(keys.in_flight_message(article_id))
            if message is None:  # expired with its body: nothing left to run
                client.zrem(keys.in_flight(), article_id)
                continue
            client.zadd(keys.in_flight(), {article_id: now}, xx=True)
            pipeline(app, loads(message)).apply_async()
            requeued += 1
        if requeued:
            log.warning("queued %d articles again that were in flight for over %.0f s", requeued, older_than_s)
        return requeued
    finally:
        client.delete(keys.reconcile_lock())
