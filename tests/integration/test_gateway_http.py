"""The HTTP gateway over real HTTP (uvicorn on a free port), against the test redis-server and real workers."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn
from pydantic import SecretStr

from config import Settings
from workers.api.app import create_api
from workers.api.server import server_config
from workers.dev.embedded import free_port

TOKEN = "test-token-not-a-secret-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def serving(settings: Settings) -> Iterator[httpx.Client]:
    server = uvicorn.Server(
        server_config(create_api(settings), settings, "127.0.0.1", free_port(), log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the gateway did not start"
        time.sleep(0.05)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{server.config.port}", timeout=30) as http:
            yield http
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture(scope="module")
def http(settings: Settings, workers) -> Iterator[httpx.Client]:
    limits = {"gateway_token": SecretStr(TOKEN), "gateway_max_request_bytes": 300_000, "gateway_max_batch": 5}
    with serving(settings.model_copy(update=limits)) as client:
        yield client


def article(n: int, **fields) -> dict:
    text = f"Officials in Doha said on Tuesday that talks on the port agreement would resume next week ({n})."
    return {"url": f"https://http-gateway.example/{n}", "text": text * 3, **fields}


def wait_for_state(http: httpx.Client, aid: str, state: str, timeout_s: float = 60) -> dict:
    deadline = time.monotonic() + timeout_s
    while True:
        found = http.get(f"/v1/articles/{aid}", headers=AUTH)
        if (found.status_code == 200 and found.json()["state"] == state) or time.monotonic() > deadline:
            return found.json()
        time.sleep(0.1)


def test_requests_without_the_right_token_are_refused(http):
    assert http.post("/v1/articles", json=article(1)).status_code == 401
    wrong = http.post("/v1/articles", json=article(1), headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
    assert http.get("/v1/articles/x").status_code == 401
    assert http.get("/healthz").json() == {"status": "ok"}  # probes need no token


def test_one_article_is_queued_and_followed_to_publication(http):
    answer = http.post("/v1/articles", json=article(2), headers=AUTH)
    assert answer.status_code == 202
    (result,) = answer.json()["results"]
    assert result["status"] == "queued" and result["id"]
    published = wait_for_state(http, result["id"], "published")
    assert published["state"] == "published" and published["entry_id"]
    assert published["record"]["id"] == result["id"] and published["record"]["body"], "the record itself"
    again = http.post("/v1/articles", json=article(2), headers=AUTH).json()
    assert again["duplicates"] == 1 and again["results"][0]["id"] == result["id"]
    changed = {**article(2), "title": "A corrected headline"}
    update = http.post("/v1/articles", json=changed, headers=AUTH).json()
    assert update["updated"] == 1 and update["results"][0] | {"index": 0} == {
        "index": 0, "id": result["id"], "status": "updated", "version": 2, "error": None}  # fmt: skip
    assert wait_for_state(http, result["id"], "published")["version"] == 2


def test_a_batch_with_good_and_bad_items_gets_a_result_for_each(http):
    batch = [article(3), {"url": "https://http-gateway.example/no-body"}, "not an object", article(4, html="<p>x</p>")]
    answer = http.post("/v1/articles", json=batch, headers=AUTH)
    assert answer.status_code == 202
    body = answer.json()
    assert (body["queued"], body["invalid"]) == (1, 3)
    statuses = [(r["index"], r["status"]) for r in body["results"]]
    assert statuses == [(0, "queued"), (1, "invalid"), (2, "invalid"), (3, "invalid")]
    assert "exactly one of `html` or `text`" in body["results"][1]["error"]
    assert "JSON object" in body["results"][2]["error"]


def test_a_failing_article_shows_as_dead_lettered_with_its_reason(http):
    (result,) = http.post("/v1/articles", json={"text": "Too short."}, headers=AUTH).json()["results"]
    found = wait_for_state(http, result["id"], "dead_lettered")
    assert found["stage"] == "extract" and "characters" in found["reason"]


def test_oversize_bodies_and_batches_and_broken_json_are_refused_whole(http):
    huge = http.post("/v1/articles", json=article(5, text="x" * 400_000), headers=AUTH)
    assert huge.status_code == 413 and "over the limit" in huge.json()["detail"]
    too_many = http.post("/v1/articles", json=[article(n) for n in range(10, 16)], headers=AUTH)
    assert too_many.status_code == 413 and "batch of 6" in too_many.json()["detail"]
    broken = http.post("/v1/articles", content=b'{"text": ', headers={**AUTH, "Content-Type": "application/json"})
    assert broken.status_code == 422 and "invalid JSON" in broken.json()["detail"]
    for bad in (b'{"text": "\xff\xfe"}', b'{"text": "\\ud800 lone"}'):  # not UTF-8; a lone surrogate
        refused = http.post("/v1/articles", content=bad, headers={**AUTH, "Content-Type": "application/json"})
        assert refused.status_code == 422 and "invalid JSON" in refused.json()["detail"]
    assert http.get("/v1/articles/never-seen", headers=AUTH).status_code == 404


def test_back_pressure_answers_429_with_retry_after(settings, client):
    full = settings.model_copy(
        update={"gateway_token": SecretStr(TOKEN), "key_prefix": "http-full", "max_queue_depth": 10}
    )
    with serving(full) as http:  # no worker consumes http-full.* queues
        for n in range(11):
            client.lpush("http-full.extract", f"filler {n}")
        answer = http.post("/v1/articles", json=article(20), headers=AUTH)
    assert answer.status_code == 429 and int(answer.headers["retry-after"]) > 0
    assert "holds 11 messages" in answer.json()["detail"]


def test_metrics_show_queues_dead_letters_and_submissions(http):
    http.post("/v1/articles", json=article(30), headers=AUTH)
    text = http.get("/metrics").text
    assert 'newsflow_queue_depth{stage="extract"}' in text and 'newsflow_queue_depth{stage="publish"}' in text
    assert "newsflow_dead_letters " in text and "newsflow_published_articles_total " in text
    assert 'newsflow_gateway_articles_total{result="queued"}' in text


def test_the_checked_in_openapi_document_is_the_served_one(http):
    served = http.get("/openapi.json").json()
    assert served == json.loads((ROOT / "docs" / "openapi.json").read_text()), "run `make openapi`"
    assert served["paths"]["/v1/articles"]["post"]["requestBody"]["required"] is True


def test_the_docs_page_needs_no_cdn(http):
    page = http.get("/docs")
    assert page.status_code == 200 and "cdn" not in page.text.lower()
    scripts = re.findall(r'src="([^"]+\.js)"', page.text)
    assert scripts and all(s.startswith("/") for s in scripts), scripts
    assert all(http.get(s).status_code == 200 for s in scripts), "Swagger UI's files come from the gateway itself"


def test_the_readme_curl_example_is_published(http):
    """The article in the README's curl example, sent as written, comes out as a record (not a dead letter)."""
    readme = (ROOT / "README.md").read_text()
    payload = json.loads(re.search(r"curl -H .*?\n\s+-d '(\{.*?\})'", readme, re.DOTALL).group(1))
    (result,) = http.post("/v1/articles", json=payload, headers=AUTH).json()["results"]
    assert result["status"] in ("queued", "duplicate"), result
    found = wait_for_state(http, result["id"], "published")
    assert found["state"] == "published", f"the README's example did not come out: {found}"


def test_the_gateway_says_it_listens_and_logs_each_request_as_json(redis_server):
    port = free_port()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("NEWSFLOW_")}, "NEWSFLOW_REDIS_URL": redis_server.url,
           "NEWSFLOW_GATEWAY_TOKEN": TOKEN, "NEWSFLOW_LOG_FORMAT": "json"}  # fmt: skip
    command = [str(Path(sys.executable).with_name("newsflow")), "gateway", "--port", str(port)]
    with subprocess.Popen(command, env=env, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL) as server:
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            assert httpx.get(f"http://127.0.0.1:{port}/v1/articles/x", timeout=5).status_code == 401
        finally:
            server.terminate()
            lines = [json.loads(line) for line in server.stderr.read().decode().splitlines() if line.startswith("{")]
    messages = [line["message"] for line in lines]
    assert any(f"running on http://127.0.0.1:{port}" in m for m in messages), messages
    assert any('"GET /healthz HTTP/1.1" 200' in m for m in messages) and any(" 401" in m for m in messages), messages
    assert "401 GET /v1/articles/x from 127.0.0.1: no bearer token" in messages, "401s are logged in JSON too"
