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

# Tests build their own settings: a developer's NEWSFLOW_* environment must not leak into them or their workers.
for _name in [n for n in os.environ if n.startswith("NEWSFLOW_")]:
    del os.environ[_name]
# ...nor a developer's installed translation models: tests that want one install it themselves.
os.environ["NEWSFLOW_MODELS_DIR"] = tempfile.mkdtemp(prefix="newsflow-test-models-")
atexit.register(shutil.rmtree, os.environ["NEWSFLOW_MODELS_DIR"], ignore_errors=True)

import pytest  # noqa: E402
import redis  # noqa: E402
from pydantic import SecretStr  # noqa: E402

from config import Settings  # noqa: E402
from newsflow.wire import loads  # noqa: E402
from workers.app import create_app  # noqa: E402
from workers.boot import Resources  # noqa: E402
from workers.embedded import LocalWorkers, PrivateRedis  # noqa: E402
from workers.gateway import Gateway  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SHARED_PAGE = ROOT.parent / "shared" / "examples" / "cnn-arabic-blinken.txt"


@pytest.fixture(scope="session")
def shared_page() -> Path:
    if not SHARED_PAGE.is_file():
        pytest.skip(f"the shared Arabic example is not at {SHARED_PAGE}")
    return SHARED_PAGE


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
def gateway(app, client: redis.Redis, settings: Settings) -> Gateway:
    return Gateway(app, client, settings)


def stream_records(client: redis.Redis, stream: str) -> list[dict]:
    return [loads(fields[b"record"]) for _, fields in client.xrange(stream)]


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
