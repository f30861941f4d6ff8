"""Translation on real parts: the translation memory in a real redis-server, and translate workers (`newsflow
worker`, threads pool) loading a model the tests build, installed with `newsflow models install`."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx
import pytest
import redis
from pydantic import SecretStr

from config import Settings
from newsflow.schema import Article, RawArticle
from newsflow.state.keys import Keys
from newsflow.translation.memory import TranslationMemory
from newsflow.translation.service import TranslationService
from tests.conftest import EXAMPLES, ROOT, stream_records
from tests.modelkit import argos_package, build_model
from tests.unit.test_translation import WordForWord
from workers.cli.files import read_inputs
from workers.dev.embedded import LocalWorkers, PrivateRedis, free_port
from workers.runtime.app import create_app, create_ingest

pytestmark = pytest.mark.integration


def test_the_memory_answers_a_sentence_seen_before_by_the_same_backend_and_model(client):
    memory = TranslationMemory(client, Keys("tm-test", "", ""), ttl_s=600)
    backend = WordForWord()
    service = TranslationService([backend], memory)
    first = service.translate(["مرحبا", "عالم", "مرحبا"], "ar", "en")
    assert first.texts == ["hello", "world", "hello"] and first.from_memory == [False, False, False]
    again = service.translate(["عالم", "  مرحبا ", "جملة"], "ar", "en")  # spacing does not make a new sentence
    assert again.texts == ["world", "hello", "sentence"] and again.from_memory == [True, True, False]
    assert backend.calls == [["مرحبا", "عالم"], ["جملة"]]
    keys = client.keys("tm-test:tm:*")
    assert len(keys) == 3 and all(0 < client.ttl(k) <= 600 for k in keys)
    assert all(k.decode().startswith("tm-test:tm:word-for-word:lexicon-1:ar:en:") for k in keys)
    other_model = WordForWord()
    other_model.model_for = lambda source, target: "lexicon-2"
    assert TranslationService([other_model], memory).translate(["مرحبا"], "ar", "en").from_memory == [False]


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory):
    """A tiny ar-en model, packaged as an .argosmodel and installed through the CLI."""
    folder = tmp_path_factory.mktemp("translation")
    package = argos_package(folder / "translate-ar_en-1_0.argosmodel", build_model(folder / "model"))
    store = folder / "models"
    env = {**os.environ, "NEWSFLOW_MODELS_DIR": str(store)}
    done = subprocess.run([sys.executable, "-m", "workers.cli", "models", "install", str(package)], cwd=ROOT,
                          env=env, capture_output=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return store


def ready(app, workers: list[LocalWorkers], count: int, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while len(app.control.ping(timeout=0.5)) < count:
        assert all(w.process.poll() is None for w in workers), "a worker exited during start-up; see stderr"
        assert time.monotonic() < deadline, "the workers did not answer a ping within 60 s"


@pytest.fixture(scope="module")
def deployment(models_dir):
    """Its own Redis, a prefork worker for extract/tag/publish and a threads-pool translate worker with the model."""
    model_env = {"NEWSFLOW_MODELS_DIR": str(models_dir), "NEWSFLOW_TRANSLATE_MAX_TOKENS": "12",
                 "NEWSFLOW_METRICS_PORT": str(free_port())}  # fmt: skip
    with PrivateRedis() as server:
        settings = Settings(redis_url=SecretStr(server.url), dedup_window_s=0)
        app = create_app(settings)
        others = LocalWorkers(server.url, concurrency=1, name="rest", stages="extract,tag,cluster,publish")
        translate = LocalWorkers(server.url, concurrency=4, name="mt", stages="translate", env=model_env)
        with others, translate:
            ready(app, [others, translate], 2)
            yield app, settings, redis.Redis.from_url(server.url), int(model_env["NEWSFLOW_METRICS_PORT"])


def published(client, settings, ids, timeout_s=90) -> list[dict]:
    """The latest output record of each of ``ids``, once all are there."""
    deadline = time.monotonic() + timeout_s
    while True:
        latest = {r["id"]: r for r in stream_records(client, settings.output_stream) if r["id"] in ids}
        if set(latest) >= ids or time.monotonic() > deadline:
            return list(latest.values())
        time.sleep(0.1)


def test_with_a_model_installed_articles_get_aligned_neural_translations_and_repeats_come_from_memory(deployment):
    app, settings, client, metrics_port = deployment
    gateway = create_ingest(settings, client)
    raws = [item.raw for item in read_inputs([EXAMPLES]) if item.raw is not None]
    first = {gateway.submit(raw).id for raw in raws}
    records = published(client, settings, first)
    assert {r["id"] for r in records} == first
    for record in map(Article.model_validate, records):
        block = record.translation
        if record.language == "en":
            assert block.status == "passthrough"
            continue
        assert (block.status, block.quality, block.backend, block.model) == ("translated", "nmt", "ctranslate2",
                                                                             "ar-en-1.0")  # fmt: skip
        assert len(block.body) == len(record.body) and block.title
        assert all(record.body[s.paragraph][s.start : s.end].strip() for s in block.sentences)
        run = next(r for r in record.provenance if r.stage == "translate")
        assert run.worker.startswith("mt@") and run.counters["sentences"] == len(block.sentences)
    arabic = [r for r in map(Article.model_validate, records) if r.language == "ar"]
    original = next(a for a in arabic if "بيروت" in " ".join(a.body))
    beirut = next(raw for raw in raws if raw.text and "بيروت" in raw.text)
    again = gateway.submit(RawArticle.model_validate({**beirut.model_dump(), "url": "https://example.org/copy"}))
    assert again.id not in first
    repeated = Article.model_validate(published(client, settings, {again.id})[0])
    assert next(run for run in repeated.provenance if run.stage == "translate").counters["memory_hit_ratio"] == 1.0
    assert repeated.translation.body == original.translation.body  # the memory gives back what the model said
    metrics = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10).text
    assert "newsflow_translate_batch_sentences_count" in metrics
    assert 'newsflow_translation_memory_sentences_total{result="hit"}' in metrics


@pytest.mark.parametrize("pool", ["threads", "prefork"])
def test_a_corrupt_model_stops_the_translate_worker_at_start_up_with_the_reason(tmp_path, models_dir, pool):
    import shutil

    broken = tmp_path / "models"
    shutil.copytree(models_dir, broken)
    model_bin = next(broken.glob("*/model/model.bin"))
    model_bin.write_bytes(b"not a model")
    env = {**os.environ, "NEWSFLOW_MODELS_DIR": str(broken), "NEWSFLOW_REDIS_URL": "redis://127.0.0.1:9/0"}
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "workers.cli", "worker", "--stages", "translate", "--pool", pool,
                           "--quiet"], cwd=ROOT, env=env, capture_output=True, timeout=120)  # fmt: skip
    assert done.returncode == 2
    assert b"cannot start the worker" in done.stderr and b"cannot load the model in" in done.stderr
    assert time.monotonic() - started < 60
