"""A producer that is not newsflow: plain Celery, run as its own process (``python -I``, so newsflow's folder is not
on its path). It reads calls from standard input, a JSON array of {"args": [...], "kwargs": {...}}, sends each as
`newsflow.ingest` with the JSON serializer, and prints the task ids."""

import json
import os
import sys

from celery import Celery

app = Celery(broker=os.environ["NEWSFLOW_REDIS_URL"])
for call in json.load(sys.stdin):
    sent = app.send_task("newsflow.ingest", args=call["args"], kwargs=call.get("kwargs", {}), queue="newsflow.ingest",
                         serializer="json")  # fmt: skip
    print(sent.id)
assert not [name for name in sys.modules if name.split(".")[0] in ("newsflow", "workers", "config")]
