"""Push raw articles into a running newsflow with plain Celery: nothing of newsflow is imported.

    NEWSFLOW_REDIS_URL=redis://:PASSWORD@HOST:6379/0 python python_producer.py article.json [more.json ...]

Each file holds one raw article (schemas/raw-article.v1.json), e.g. {"url": "https://...", "text": "..."}; all the
files go as one batch. The broker URL comes from the environment, so the password never shows in `ps`.
"""

import json
import os
import sys
from pathlib import Path

from celery import Celery


def main(paths: list[str]) -> None:
    articles = [json.loads(Path(path).read_text(encoding="utf-8")) for path in paths]
    app = Celery(broker=os.environ["NEWSFLOW_REDIS_URL"])
    # By name, on newsflow's ingest queue, as JSON: one argument, an article or a list of them.
    result = app.send_task("newsflow.ingest", args=[articles], queue="newsflow.ingest", serializer="json")
    print(f"sent {len(articles)} article(s) as task {result.id}")


if __name__ == "__main__":
    main(sys.argv[1:])
