"""Shared fixtures. Integration tests run against a redis-server of their own on a free port and real
Celery worker processes started through `newsflow worker`, never an eager app or a fake Redis."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from pydantic import SecretStr

from config import Settings
from newsflow.resources import Resources
from newsflow.state.figures import queue_depths
from newsflow.state.ingest import Ingest
from newsflow.state.keys import Keys
from newsflow.state.streams import entries, entry_record
from workers.dev.embedded import LocalWorkers, PrivateRedis
from workers.runtime.app import create_app, create_ingest

# Tests build their own settings: a developer's NEWSFLOW_* environment must not leak into them or their workers
# (importing newsflow reads no environment; Settings() and the workers' processes do).
for _name in [n for n in os.environ if n.startswith("NEWSFLOW_")]:
    del os.environ[_name]
# ...nor a developer's installed translation models: tests that want one install it themselves.
os.environ["NEWSFLOW_MODELS_DIR"] = tempfile.mkdtemp(prefix="newsflow-test-models-")
atexit.register(shutil.rmtree, os.environ["NEWSFLOW_MODELS_DIR"], ignore_errors=True)

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "articles"
SHARED_PAGE = ROOT.parent / "shared" / "examples" / "cnn-arabic-blinken.txt"


@pytest.fixture(scope="session")
def shared_page() -> Path:
    if not SHARED_PAGE.is_file():
        pytest.skip(f"the shared Arabic example is not at {SHARED_PAGE}")
    return SHARED_PAGE


@pytest.fixture(scope="session")
def models_folder() -> Path:
    """The tests' models folder (NEWSFLOW_MODELS_DIR, above): each encoder is converted into it once for the run."""
    return Settings().models_dir


@pytest.fixture(scope="session")
def resources() -> Resources:
    """Stage resources for in-process tests (no Redis)."""
    return Resources(Settings())


@pytest.fixture(scope="session")
def redis_server() -> Iterator[PrivateRedis]:
    with PrivateRedis() as server:
        yield server


@pytest.fixture(scope="session")
def settings(redis_server: PrivateRedis) -> Settings:
    return Settings(redis_url=SecretStr(redis_server.url))


@pytest.fixture(scope="session")
def client(redis_server: PrivateRedis) -> redis.Redis:
    return redis.Redis.from_url(redis_server.url)


@pytest.fixture(scope="session")
def app(settings: Settings):
    return create_app(settings)


@pytest.fixture(scope="session")
def workers(redis_server: PrivateRedis, app) -> Iterator[LocalWorkers]:
    """One `newsflow worker` for every stage with a two-process prefork pool, ready before the first test."""
    with LocalWorkers(redis_server.url, concurrency=2, name="test") as running:
        deadline = time.monotonic() + 60
        while not app.control.ping(timeout=0.5):
            assert running.process.poll() is None, "the worker process exited during start-up; see stderr"
            assert time.monotonic() < deadline, "the worker did not answer a ping within 60 s"
        yield running


@pytest.fixture()
def gateway(client: redis.Redis, settings: Settings) -> Ingest:
    return create_ingest(settings, client)


def stream_records(client: redis.Redis, stream: str) -> list[dict]:
    return [entry_record(fields) for _, fields in entries(client, stream)]


@pytest.fixture()
def wait_for(client: redis.Redis) -> Callable[..., list[dict]]:
    """Wait until ``stream`` holds a record for every id in ``ids``; return those records."""

    def wait(stream: str, ids: set[str], timeout_s: float = 60) -> list[dict]:
        deadline = time.monotonic() + timeout_s
        while True:
            found = [r for r in stream_records(client, stream) if (r.get("id") or r.get("article_id")) in ids]
            if {r.get("id") or r.get("article_id") for r in found} >= ids or time.monotonic() > deadline:
                return found
            time.sleep(0.1)

    return wait


def wait_until_idle(app, client: redis.Redis, settings: Settings, timeout_s: float = 60) -> None:
    """Wait for a positive sign that every message sent so far has run: each stage queue empty and no worker
    holding a task, seen twice in a row (ingest's queue included). A test that then asserts that something did not happen knows the thing
    that could have made it happen is over."""
    keys, stages = Keys.from_settings(settings), app.conf.newsflow_pipeline.served
    deadline, quiet = time.monotonic() + timeout_s, 0
    while quiet < 2:
        assert time.monotonic() < deadline, f"the workers were still busy after {timeout_s} s"
        inspect = app.control.inspect(timeout=0.5)
        held = [*((inspect.active() or {}).values()), *((inspect.reserved() or {}).values())]
        waiting = sum(queue_depths(client, keys, stages).values())
        quiet = quiet + 1 if waiting == 0 and not any(held) else 0
        time.sleep(0.1)
