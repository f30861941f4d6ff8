"""newsflow as its own Redis user (config/redis/newsflow.acl) on a real redis-server: workers, ingest, publish, a
dead letter, replay, a consumer group and the remote control all run with nothing refused, doctor says so, and the
user is refused what would take Redis down or reach past newsflow's keys and channels."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator

import pytest
import redis
from pydantic import SecretStr

from config import Settings
from config.redis_acl import USER
from newsflow.schema import RawArticle
from newsflow.state.client import connect
from newsflow.state.deadletters import DeadLetterStore
from newsflow.state.keys import Keys
from newsflow.state.streams import follow
from workers.cli.deployment import access_checks, config_checks, deployment_status
from workers.dev.embedded import LocalWorkers, PrivateRedis
from workers.runtime.app import create_app, create_ingest, dispatcher
from workers.runtime.health import consumes

pytestmark = pytest.mark.integration

ADMIN_PASSWORD, NEWSFLOW_PASSWORD = "acl-admin-pw", "acl-newsflow-pw"


@pytest.fixture(scope="module")
def server() -> Iterator[PrivateRedis]:
    with PrivateRedis(password=ADMIN_PASSWORD, newsflow_password=NEWSFLOW_PASSWORD) as running:
        yield running


@pytest.fixture(scope="module")
def admin(server: PrivateRedis) -> redis.Redis:
    return redis.Redis(port=server.port, password=ADMIN_PASSWORD, decode_responses=True)


def wait_until(done: Callable[[], object], what: str, admin: redis.Redis, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not done():
        assert time.monotonic() < deadline, f"{what} within {timeout_s:g} s; ACL LOG: {admin.acl_log()}"
        time.sleep(0.2)


def test_the_pipeline_runs_end_to_end_as_the_newsflow_user_with_nothing_refused(server, admin):
    settings = Settings(redis_url=SecretStr(server.newsflow_url))
    client, app, keys = connect(settings), create_app(settings), Keys.from_settings(settings)
    node = f"acl@{os.uname().nodename}"
    with LocalWorkers(server.newsflow_url, concurrency=1, name="acl", env={"NEWSFLOW_TASK_EVENTS": "true"}):
        wait_until(lambda: app.control.ping(destination=[node], timeout=0.5), "no answer to a ping", admin)
        ingest = create_ingest(settings, client)
        good = ingest.submit(RawArticle(url="https://acl.example/1", text="Officials in Doha met on Sunday. " * 5))
        empty = ingest.submit(RawArticle(html="<html><body><p>Hi.</p></body></html>"))
        letters = DeadLetterStore(client, settings)
        wait_until(lambda: client.xlen(settings.output_stream) and letters.list(), "no record or no letter", admin)
        ((entry_id, letter),) = letters.list()
        assert (letter.article_id, letter.error_type) == (empty.id, "EmptyExtraction")
        letters.replay(entry_id, dispatcher(app))
        (record,) = follow(client, settings.output_stream, "acl-test", "test", from_start=True, count=1, idle_s=5)
        assert record["id"] == good.id
        status = deployment_status(app, client, settings)
        assert all(status.workers[stage] == [node] for stage in status.workers), status.workers
        assert consumes(app, client, keys, node, timeout_s=20), "the worker did not run its health task"
        wait_until(lambda: letters.list(), "the replayed letter did not fail again into a new letter", admin)
    assert admin.acl_log() == [], "newsflow was refused something it needs: add it to config/redis/newsflow.acl"
    # doctor's own probe (CONFIG GET) is refused, and logged, from here on
    checks = [*access_checks(settings, client), *config_checks(client.info(), settings)]
    report = {check.name: check for check in checks}
    assert [report[name].verdict for name in ("password", "redis user", "admin commands")] == ["ok"] * 3, report
    assert "no maxmemory" in report["memory"].detail


def test_doctor_warns_of_a_redis_without_a_password_and_of_newsflow_on_the_default_user(settings, client):
    report = {check.name: check for check in access_checks(settings, client)}  # the suite's Redis: no password
    assert all(check.verdict == "warn" for check in report.values()), report
    assert "without a password" in report["password"].detail and "default user" in report["redis user"].detail
    assert "CONFIG GET answered" in report["admin commands"].detail


# What would take Redis down, change its configuration or reach past newsflow's keys, channels and database.
REFUSED = [("FLUSHALL",), ("FLUSHDB",), ("CONFIG", "SET", "maxmemory-policy", "allkeys-lru"), ("CONFIG", "GET", "*"),
           ("SHUTDOWN", "NOSAVE"), ("REPLICAOF", "127.0.0.1", "1"), ("SLAVEOF", "127.0.0.1", "1"),
           ("DEBUG", "SLEEP", "0"), ("KEYS", "*"), ("MODULE", "LIST"), ("ACL", "SETUSER", "newsflow", "+@all"),
           ("SELECT", "1"), ("GET", "other:key"), ("SET", "other:key", "x"), ("PUBLISH", "other-channel", "x")]  # fmt: skip


@pytest.mark.parametrize("command", REFUSED)
def test_the_newsflow_user_is_refused_admin_commands_and_what_is_not_newsflows(server, admin, command):
    """The ACL's own answer (ACL DRYRUN), then the command run as newsflow; Redis 7 also keeps DEBUG off for all."""
    assert admin.execute_command("ACL", "DRYRUN", USER, *command).startswith("This user has no permissions")
    newsflow = redis.Redis.from_url(server.newsflow_url)
    with pytest.raises(redis.ResponseError, match="no permissions|DEBUG command not allowed"):
        newsflow.execute_command(*command)
    assert admin.ping(), "the server did not outlive the refusal"
