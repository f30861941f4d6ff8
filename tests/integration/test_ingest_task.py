"""`newsflow.ingest` sent by producers that are not newsflow (plain Celery in its own process, a hand-written message
pushed with redis-cli, celery-node), against a real redis-server and real worker processes."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import redis
from pydantic import SecretStr

from config import Settings
from newsflow.ids import article_id
from newsflow.schema import RawArticle
from newsflow.stages import PIPELINE
from newsflow.state.deadletters import DeadLetterStore
from newsflow.state.figures import queue_depths
from newsflow.state.keys import Keys
from tests.conftest import ROOT, stream_records, wait_until_idle
from workers.dev.embedded import LocalWorkers, PrivateRedis, free_port

pytestmark = pytest.mark.integration

PRODUCER = Path(__file__).with_name("foreign_producer.py")


def article(n: int, site: str = "ingest.example") -> dict:
    return {"url": f"https://{site}/{n}", "text": f"Port workers in Aqaba ended a strike on day {n} of talks. " * 4}


def published_id(item: dict) -> str:
    return article_id(RawArticle.model_validate(item))


def send(redis_url: str, calls: list[dict], timeout_s: float = 120) -> None:
    """Run the foreign producer, isolated (-I) and outside the repository, so newsflow cannot be imported by it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSFLOW_")} | {"NEWSFLOW_REDIS_URL": redis_url}
    run = subprocess.run([sys.executable, "-I", str(PRODUCER)], input=json.dumps(calls).encode(), env=env,
                         cwd="/", capture_output=True, timeout=timeout_s)  # fmt: skip
    assert run.returncode == 0, run.stderr.decode()[-2000:]


def ingest_letters(client: redis.Redis, settings: Settings) -> list[tuple[str, object]]:
    """(reason, kept input) of every dead letter at stage ingest."""
    store = DeadLetterStore(client, settings)
    found = []
    for entry_id, letter in store.list(1000):
        if letter.stage == "ingest":
            found.append((letter.reason, store.get(entry_id)[1]))
    return found


def published_counts(client: redis.Redis, settings: Settings) -> dict[str, int]:
    counts: dict[str, int] = {}
    for record in stream_records(client, settings.output_stream):
        counts[record["id"]] = counts.get(record["id"], 0) + 1
    return counts


def test_a_foreign_producer_gets_good_articles_published_once_and_bad_ones_dead_lettered_with_reasons(
    redis_server, workers, app, client, settings, wait_for
):
    good = [article(n) for n in range(1, 6)]
    huge = {"url": "https://ingest.example/huge", "text": "x" * (settings.max_body_bytes + 1)}
    over_limit = {**article(92), "metadata": {"desk": "x" * 2001}}
    calls = [
        {"args": [good[0]]},
        {"args": [[good[1], good[2]]]},
        {"args": [good[0]]},  # a duplicate: counted, not dead-lettered
        {"args": [{"url": "https://ingest.example/no-body", "title": "A title and nothing else"}]},
        {"args": [[good[3], {"url": "https://ingest.example/blank", "text": "   "}]]},  # one good, one bad
        {"args": []},
        {"args": ["an article as a string"]},
        {"args": [42]},
        {"args": [article(90)], "kwargs": {"priority": "high"}},
        {"args": [[]]},
        {"args": [[article(91)] * (settings.ingest_batch_max + 1)]},
        {"args": [huge]},
        {"args": [over_limit]},
    ]
    send(redis_server.url, calls)
    ids = {published_id(item) for item in good[:4]}
    wait_for(settings.output_stream, ids)
    wait_until_idle(app, client, settings)
    counts = published_counts(client, settings)
    assert {i: counts.get(i) for i in ids} == dict.fromkeys(ids, 1)
    assert published_id(article(90)) not in counts and published_id(article(91)) not in counts

    letters = ingest_letters(client, settings)
    expected = {
        "exactly one of `html` or `text` is required": {"url": "https://ingest.example/no-body",
                                                        "title": "A title and nothing else"},
        "[1] record: Value error, the article body (`html` or `text`) is empty": {
            "url": "https://ingest.example/blank", "text": "   "},
        "takes one argument, a raw article or a list of them, not 0": {"args": [], "kwargs": {}},
        "not a string": {"args": ["an article as a string"], "kwargs": {}},
        "not a number": {"args": [42], "kwargs": {}},
        "takes no keyword arguments, not priority": {"args": [article(90)], "kwargs": {"priority": "high"}},
        "an empty batch": {"args": [[]], "kwargs": {}},
        f"a batch of {settings.ingest_batch_max + 1} articles is over the limit": None,
        f"with its fields; the limit is {settings.max_body_bytes:,}": huge,
        "metadata: Value error, 'desk' is 2,001 characters; the limit is 2,000": over_limit,
    }  # fmt: skip
    assert len(letters) == len(expected), [reason for reason, _ in letters]
    for words, kept in expected.items():
        matching = [found for reason, found in letters if words in reason]
        assert len(matching) == 1, f"no single dead letter says {words!r}: {[r for r, _ in letters]}"
        assert kept is None or matching[0] == kept, "the dead letter keeps what was sent, for replay"

    assert workers.process.poll() is None, "the worker stopped"
    after = article(6)
    send(redis_server.url, [{"args": [after]}])
    assert wait_for(settings.output_stream, {published_id(after)}), "the worker no longer serves"


def documented_message() -> tuple[dict, list]:
    """The Redis message of the README's section for producers, and the body it documents."""
    section = (ROOT / "README.md").read_text().split("## Pushing articles from your own code", 1)[1]
    blocks = re.findall(r"```json\n(.*?)```", section, re.S)
    return json.loads(blocks[0]), json.loads(blocks[1])


def test_the_documented_message_pushed_with_redis_cli_is_processed(redis_server, workers, settings, wait_for):
    message, body = documented_message()
    assert json.loads(base64.b64decode(message["body"])) == body, "the README's body and its base64 disagree"
    assert message["headers"]["task"] == "newsflow.ingest" and message["content-type"] == "application/json"
    run = subprocess.run(["redis-cli", "-p", str(redis_server.port), "LPUSH", "newsflow.ingest", json.dumps(message)],
                         capture_output=True, timeout=30)  # fmt: skip
    assert run.returncode == 0 and run.stdout.strip().isdigit(), run
    (item,) = body[0]
    (record,) = wait_for(settings.output_stream, {published_id(item)})
    assert record["url"] == item["url"]


def test_list_items_that_are_no_message_become_dead_letters_and_the_worker_keeps_serving(
    redis_server, workers, app, client, settings, wait_for
):
    junk = ["not json at all", "[1, 2]", json.dumps({"body": "e30=", "headers": {"task": "newsflow.ingest"}}),
            json.dumps({"body": "!!", "headers": {"task": "newsflow.ingest", "id": "x"}, "content-type": "text/plain",
                        "properties": {"body_encoding": "base64"}})]  # fmt: skip
    before = len(ingest_letters(client, settings))
    for item in junk:
        client.lpush("newsflow.ingest", item)
    # A message a producer wrote by hand without kombu's bookkeeping (delivery_tag, delivery_info) still goes in.
    bare = {"body": base64.b64encode(json.dumps([[article(7)], {}, {}]).encode()).decode(), "content-encoding": "utf-8",
            "content-type": "application/json", "headers": {"task": "newsflow.ingest", "id": "bare-1", "lang": "go"},
            "properties": {"body_encoding": "base64", "correlationId": "bare-1"}}  # fmt: skip
    client.lpush("newsflow.ingest", json.dumps(bare))
    assert wait_for(settings.output_stream, {published_id(article(7))})
    wait_until_idle(app, client, settings)
    letters = ingest_letters(client, settings)[before:]
    reasons = [reason for reason, _ in letters]
    assert len(letters) == len(junk), reasons
    assert any("not JSON" in r for r in reasons) and any("an array, not a message envelope" in r for r in reasons)
    assert any("no `properties` object" in r for r in reasons)
    assert workers.process.poll() is None


def test_the_python_example_producer_imports_nothing_of_newsflow(redis_server, workers, settings, wait_for, tmp_path):
    files = []
    for n in (8, 9):
        files.append(tmp_path / f"{n}.json")
        files[-1].write_text(json.dumps(article(n, "python-producer.example")))
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSFLOW_")} | {
        "NEWSFLOW_REDIS_URL": redis_server.url
    }
    run = subprocess.run([sys.executable, "-I", str(ROOT / "examples" / "producers" / "python_producer.py"),
                          *map(str, files)], env=env, cwd="/", capture_output=True, timeout=60)  # fmt: skip
    assert run.returncode == 0 and b"sent 2 article(s)" in run.stdout, run.stderr.decode()[-2000:]
    ids = {published_id(article(n, "python-producer.example")) for n in (8, 9)}
    assert {r["id"] for r in wait_for(settings.output_stream, ids)} == ids


@pytest.mark.skipif(not (shutil.which("node") and shutil.which("npm")), reason="Node.js and npm are not installed")
def test_the_node_example_producer_sends_with_celery_node(redis_server, workers, settings, wait_for, tmp_path):
    project = tmp_path / "node"
    shutil.copytree(ROOT / "examples" / "producers" / "node", project, ignore=shutil.ignore_patterns("node_modules"))
    install = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=project, capture_output=True, timeout=300)
    assert install.returncode == 0, install.stderr.decode()[-2000:]
    (project / "article.json").write_text(json.dumps(article(10, "node-producer.example")))
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSFLOW_")} | {
        "NEWSFLOW_REDIS_URL": redis_server.url
    }
    run = subprocess.run(["node", "producer.js", "article.json"], cwd=project, env=env, capture_output=True, timeout=60)
    assert run.returncode == 0 and b"sent 1 article(s)" in run.stdout, run.stderr.decode()[-2000:]
    assert wait_for(settings.output_stream, {published_id(article(10, "node-producer.example"))})


def metric(port: int, name: str) -> dict[str, float]:
    """A worker's counter by its result label."""
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    return {m[0]: float(m[1]) for m in re.findall(rf'^{name}_total{{result="(\w+)"}} (\S+)$', text, re.M)}


def test_back_pressure_makes_the_task_wait_then_go_through():
    limit, sent = 10, [article(n, "backlog.example") for n in range(30)]
    port = free_port()
    env = {"NEWSFLOW_MAX_QUEUE_DEPTH": str(limit), "NEWSFLOW_METRICS_PORT": str(port)}
    with PrivateRedis() as server, LocalWorkers(server.url, concurrency=1, name="ingest", stages="ingest", env=env):
        settings = Settings(redis_url=SecretStr(server.url))
        client, keys = redis.Redis.from_url(server.url), Keys.from_settings(settings)
        send(server.url, [{"args": [item]} for item in sent])
        deadline = time.monotonic() + 60
        while not metric_ready(port, "deferred"):
            assert time.monotonic() < deadline, "no ingest task waited for the full extract queue"
            time.sleep(0.5)
        waiting = queue_depths(client, keys, ["extract"])["extract"]
        assert limit < waiting < len(sent), "ingest queued past the limit, or did not hold back"
        assert not client.xlen(settings.dead_letter_stream)
        stages = ",".join(PIPELINE.names)
        with LocalWorkers(
            server.url, concurrency=2, name="stages", stages=stages, env={"NEWSFLOW_MAX_QUEUE_DEPTH": "10"}
        ):
            deadline = time.monotonic() + 180
            while client.xlen(settings.output_stream) < len(sent):
                assert time.monotonic() < deadline, f"{client.xlen(settings.output_stream)} of {len(sent)} published"
                time.sleep(0.5)
        counts = published_counts(client, settings)
        assert counts == dict.fromkeys((published_id(item) for item in sent), 1)
        assert not client.xlen(settings.dead_letter_stream)
        results = metric(port, "newsflow_ingest_articles")
        assert results["queued"] == len(sent) and results["deferred"] >= 1 and "backlog" not in results


def metric_ready(port: int, result: str) -> bool:
    try:
        return metric(port, "newsflow_ingest_articles").get(result, 0) > 0
    except httpx.HTTPError:  # the worker is still starting
        return False


def test_a_backlog_that_does_not_drain_ends_in_a_dead_letter_with_reason_backlog():
    env = {"NEWSFLOW_MAX_QUEUE_DEPTH": "10", "NEWSFLOW_INGEST_BACKLOG_RETRIES": "2"}
    with PrivateRedis() as server, LocalWorkers(server.url, concurrency=1, name="ingest", stages="ingest", env=env):
        settings = Settings(redis_url=SecretStr(server.url))
        client = redis.Redis.from_url(server.url)
        client.lpush("newsflow.extract", *[b"{}"] * 11)  # no extract worker here: the queue stays over the limit
        item = article(1, "stuck.example")
        send(server.url, [{"args": [item]}])
        deadline = time.monotonic() + 60
        while not (letters := ingest_letters(client, settings)):
            assert time.monotonic() < deadline, "the task neither went through nor gave up"
            time.sleep(0.5)
        ((reason, kept),) = letters
        assert reason.startswith("backlog: queue newsflow.extract holds 11 messages") and "waited 2 times" in reason
        assert kept == item
