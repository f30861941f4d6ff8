"""Adding a stage takes one function and one declaration: a toy stage, declared here alone, runs between tag and
publish in a real worker, which finds it through NEWSFLOW_PIPELINE."""

from __future__ import annotations

import time

import pytest
import redis
from pydantic import SecretStr

from config import Settings
from newsflow.schema import Article, RawArticle
from newsflow.stages import PIPELINE, Stage
from tests.conftest import stream_records
from workers.dev.embedded import LocalWorkers, PrivateRedis
from workers.runtime.app import create_app, create_ingest

pytestmark = pytest.mark.integration


def count_words(article: Article, minimum: int) -> Article:
    """The toy stage: the body's word count into the record's metadata."""
    words = sum(len(paragraph.split()) for paragraph in article.body)
    return article.model_copy(update={"metadata": {**article.metadata, "words": max(words, minimum)}})


COUNT = Stage("count", "1", Article, load=lambda _resources: 0, apply=count_words)
WITH_COUNT = PIPELINE.inserted(COUNT, after="tag")
PIPELINE_PATH = f"{__name__}:WITH_COUNT"


def test_a_stage_declared_in_a_test_runs_in_a_real_worker_between_tag_and_publish():
    with PrivateRedis() as server:
        settings = Settings(redis_url=SecretStr(server.url), pipeline=PIPELINE_PATH)
        app = create_app(settings)
        assert app.amqp.router.route({}, "newsflow.count")["queue"].name == "newsflow.count"
        with LocalWorkers(server.url, concurrency=1, name="toy", env={"NEWSFLOW_PIPELINE": PIPELINE_PATH}) as workers:
            deadline = time.monotonic() + 90
            while not app.control.ping(timeout=0.5):
                assert workers.process.poll() is None, "the worker exited during start-up; see stderr"
                assert time.monotonic() < deadline, "the worker did not answer a ping within 90 s"
            client = redis.Redis.from_url(server.url)
            text = "The harbour authority in Aqaba opened a new desalination plant on Sunday, officials said.\n\n" * 3
            accepted = create_ingest(settings, client).submit(RawArticle(url="https://toy.example/1", text=text))
            deadline, records = time.monotonic() + 90, []
            while not records and time.monotonic() < deadline:
                records = [r for r in stream_records(client, settings.output_stream) if r["id"] == accepted.id]
                time.sleep(0.2)
    assert records, "the article never reached the output stream through the toy stage"
    article = Article.model_validate(records[0])
    assert [run.stage for run in article.provenance] == ["extract", "translate", "tag", "count", "cluster", "publish"]
    assert article.metadata["words"] == 14 * 3
