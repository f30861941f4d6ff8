"""The libretranslate backend against an HTTP server in the test that speaks LibreTranslate's documented API
(GET /languages; POST /translate with a list `q`, `source`, `target`, `format`, `api_key`), scripted to fail."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from newsflow.errors import TransientError
from newsflow.translation.libretranslate import LibreTranslateBackend, TranslationRejected

LANGUAGES = [{"code": "ar", "name": "Arabic", "targets": ["en"]}, {"code": "en", "name": "English", "targets": ["ar"]}]


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.script: list[tuple[int, float]] = []  # (status, delay) for the next POSTs; then 200s
        self.requests: list[dict] = []
        self.api_key = "k3y"

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(BaseHTTPRequestHandler):
    server: Server

    def log_message(self, *args):
        pass

    def _answer(self, status, body, headers=()):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self._answer(200, LANGUAGES) if self.path == "/languages" else self._answer(404, {"error": "Not Found"})

    def do_POST(self):
        payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append(payload)
        status, delay = self.server.script.pop(0) if self.server.script else (200, 0)
        time.sleep(delay)
        if payload.get("api_key") != self.server.api_key:
            return self._answer(403, {"error": "Invalid API key"})
        if status == 200:
            return self._answer(200, {"translatedText": [f"[{payload['target']}] {q}" for q in payload["q"]]})
        headers = [("Retry-After", "0")] if status == 429 else []
        self._answer(
            status, {"error": {400: "Invalid request", 429: "Slowdown", 500: "boom"}.get(status, "x")}, headers
        )


@pytest.fixture()
def server():
    server = Server()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def backend(server, key="k3y", timeout_s=2.0, retries=2):
    return LibreTranslateBackend(server.url, key, timeout_s=timeout_s, retries=retries, backoff_s=0.01)


def test_texts_go_as_one_q_list_with_the_key_and_come_back_in_order(server):
    lt = backend(server)
    assert lt.model_for("ar", "en") == f"libretranslate@127.0.0.1:{server.server_address[1]}"
    assert lt.model_for("ar", "fr") is None
    assert lt.translate(["أ", "ب"], "ar", "en") == ["[en] أ", "[en] ب"]
    assert server.requests == [{"q": ["أ", "ب"], "source": "ar", "target": "en", "format": "text", "api_key": "k3y"}]


@pytest.mark.parametrize("status", [500, 502, 429])
def test_server_errors_and_rate_limits_are_retried(server, status):
    server.script = [(status, 0), (status, 0)]
    assert backend(server).translate(["أ"], "ar", "en") == ["[en] أ"]
    assert len(server.requests) == 3


def test_a_timeout_is_retried(server):
    server.script = [(200, 1.0)]
    assert backend(server, timeout_s=0.3).translate(["أ"], "ar", "en") == ["[en] أ"]
    assert len(server.requests) == 2


def test_retries_run_out_as_a_transient_error_with_the_last_problem(server):
    server.script = [(500, 0)] * 3
    with pytest.raises(TransientError, match="failed 3 times; last: HTTP 500: boom"):
        backend(server).translate(["أ"], "ar", "en")


@pytest.mark.parametrize(("key", "status", "message"), [("wrong", 200, "HTTP 403: Invalid API key"),
                                                        ("k3y", 400, "HTTP 400: Invalid request")])  # fmt: skip
def test_a_4xx_is_not_retried_and_says_why(server, key, status, message):
    server.script = [(status, 0)]
    with pytest.raises(TranslationRejected, match=message):
        backend(server, key=key).translate(["أ"], "ar", "en")
    assert len(server.requests) == 1


def test_an_unreachable_server_is_a_start_up_error():
    with pytest.raises(TransientError, match="cannot read the languages of LibreTranslate"):
        LibreTranslateBackend("http://127.0.0.1:9", None, timeout_s=1, retries=0)
