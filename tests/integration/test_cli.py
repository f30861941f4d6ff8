"""The `newsflow` command as a user runs it: real processes, real Redis, output read back from stdout."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from tests.conftest import EXAMPLES, ROOT
from workers.dev.embedded import free_port

pytestmark = pytest.mark.integration


def newsflow(*args: str, redis_url: str | None = None, timeout: float = 180, **settings: str
             ) -> subprocess.CompletedProcess:  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSFLOW_")}
    env |= {f"NEWSFLOW_{name.upper()}": value for name, value in settings.items()}
    if redis_url:
        env["NEWSFLOW_REDIS_URL"] = redis_url
    cmd = [sys.executable, "-m", "workers.cli", *args]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)


def wait_for_dead_letter(article_id: str, redis_url: str, timeout_s: float = 30) -> str:
    """The dead-letter entry id of ``article_id``, as `newsflow dlq list` shows it."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for row in newsflow("dlq", "list", redis_url=redis_url).stdout.decode().splitlines():
            entry_id, _stage, listed_id, *_ = row.split("\t")
            if listed_id == article_id:
                return entry_id
        time.sleep(0.5)
    raise AssertionError(f"no dead letter for {article_id} within {timeout_s} s")


def jsonl(stdout: bytes) -> list[dict]:
    return [orjson.loads(line) for line in stdout.splitlines()]


def test_the_main_job_processes_the_examples_on_a_private_redis():
    done = newsflow("process", "examples/articles/")
    stderr = done.stderr.decode()
    assert done.returncode == 0, stderr
    records = jsonl(done.stdout)  # stdout carries records only: any stray line fails to parse here
    assert len(records) == 5
    assert {r["language"] for r in records} == {"ar", "en"}
    assert all(r["translation"] and r["provenance"] for r in records)
    # No model installed: Arabic comes out glossed and labelled so, English passes through.
    assert {(r["language"], r["translation"]["quality"]) for r in records} == {("ar", "gloss"), ("en", "original")}
    assert "started a private Redis" in stderr and "processed 5" in stderr and "dead letters 0" in stderr
    assert stderr.count("No translation model into en") == 1, "one notice per condition per run"
    assert "ctranslate2:" not in stderr and "shutdown" not in stderr, "worker chatter only with --verbose"


def test_the_main_job_reports_bad_input_and_exits_1(tmp_path):
    (tmp_path / "good.txt").write_bytes((EXAMPLES / "ar-beirut-rainfall.txt").read_bytes())
    (tmp_path / "empty.html").write_text("<html><body><nav>Home | News</nav></body></html>")
    (tmp_path / "broken.json").write_text("{")
    (tmp_path / "NOTES.md").write_text("not an article")
    out = tmp_path / "out.jsonl"
    done = newsflow("process", str(tmp_path), "--out", str(out))
    stderr = done.stderr.decode()
    assert done.returncode == 1, stderr
    assert len(jsonl(out.read_bytes())) == 1
    assert "processed 1" in stderr and "invalid 1" in stderr and "dead letters 1" in stderr
    assert "broken.json: invalid JSON" in stderr and "EmptyExtraction" in stderr
    assert "skipped 1" in stderr and "NOTES.md: not an article file" in stderr


def test_a_run_that_finds_nothing_to_process_says_so_and_fails(tmp_path):
    (tmp_path / "readme.md").write_text("nothing here")
    done = newsflow("extract", str(tmp_path))
    assert done.returncode == 1 and "nothing to process" in done.stderr.decode() and not done.stdout
    named = newsflow("extract", str(tmp_path / "readme.md"))
    assert named.returncode == 1 and "not a file newsflow reads" in named.stderr.decode()


def test_extract_shows_the_shared_page_split(shared_page):
    done = newsflow("extract", str(shared_page))
    assert done.returncode == 0, done.stderr.decode()
    (record,) = jsonl(done.stdout)
    assert (record["source"], record["language"], len(record["body"])) == ("CNN Arabic", "ar", 5)
    assert record["page_keywords"] == ["حركة حماس", "غزة"]
    kinds = {f["kind"]: f for f in record["boilerplate"]}
    assert kinds["read_also"]["title"].startswith("مساع دبلوماسية أميركية")
    assert len(kinds["related_list"]["items"]) == 10


def test_worker_without_redis_says_so():
    done = newsflow("worker", "--stages", "tag")
    assert done.returncode == 3 and "NEWSFLOW_REDIS_URL is not set" in done.stderr.decode()


def test_a_tag_worker_that_cannot_write_the_topic_model_stops_at_start_up_with_the_reason(redis_server, tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    env = {**os.environ, "NEWSFLOW_REDIS_URL": redis_server.url, "NEWSFLOW_MODELS_DIR": str(tmp_path / "a-file" / "m")}
    done = subprocess.run([sys.executable, "-m", "workers.cli", "worker", "--stages", "tag"], cwd=ROOT, env=env,
                          capture_output=True, timeout=120, stdin=subprocess.DEVNULL)  # fmt: skip
    assert done.returncode == 2, done.stderr.decode()
    assert "cannot convert the encoder into" in done.stderr.decode()


@pytest.mark.usefixtures("workers")
def test_submit_tail_and_dlq_against_a_running_deployment(redis_server, tmp_path):
    article = tmp_path / "story.json"
    article.write_text(
        '{"url": "https://example.org/cli-story", "text": "' + "Officials in Cairo met on Sunday. " * 5 + '"}'
    )
    empty = tmp_path / "empty.html"
    empty.write_text("<html><body><p>Hi.</p></body></html>")
    done = newsflow("submit", str(article), str(empty), redis_url=redis_server.url)
    assert done.returncode == 0, done.stderr.decode()
    story_id = done.stdout.decode().splitlines()[0].split("\t")[0]

    tailed = newsflow(
        "tail", "--from-start", "--group", "cli-test", "--idle", "5", redis_url=redis_server.url, timeout=120
    )
    assert tailed.returncode == 0, tailed.stderr.decode()
    assert story_id in {r["id"] for r in jsonl(tailed.stdout)}
    again = newsflow("tail", "--group", "cli-test", "--idle", "1", redis_url=redis_server.url)
    assert story_id not in {r["id"] for r in jsonl(again.stdout)}, "an acknowledged record was delivered twice"

    empty_id = done.stdout.decode().splitlines()[1].split("\t")[0]
    entry_id = wait_for_dead_letter(empty_id, redis_server.url)
    shown = orjson.loads(newsflow("dlq", "show", entry_id, redis_url=redis_server.url).stdout)
    assert shown["dead_letter"]["stage"] == "extract" and "<p>Hi.</p>" in shown["input"]["body"]
    replayed = newsflow("dlq", "replay", entry_id, redis_url=redis_server.url)
    assert replayed.returncode == 0 and "replayed" in replayed.stdout.decode()
    remaining = newsflow("dlq", "list", redis_url=redis_server.url).stdout.decode()
    assert entry_id not in remaining


@pytest.mark.usefixtures("workers")
def test_process_against_a_deployment_answers_a_duplicate_with_its_published_record_at_once(redis_server, tmp_path):
    story = tmp_path / "story.json"
    story.write_bytes(orjson.dumps({"url": "https://example.org/process-twice",
                                    "text": "Officials in Amman opened the new water line on Sunday. " * 4}))  # fmt: skip
    first = newsflow("process", "--no-workers", "--timeout", "60", str(story), redis_url=redis_server.url)
    assert first.returncode == 0, first.stderr.decode()
    (record,) = jsonl(first.stdout)
    for window in ("86400", "0"):  # with the dedup window off too: publish's marker says it is out already
        started = time.monotonic()
        again = newsflow("process", "--no-workers", "--timeout", "60", str(story), redis_url=redis_server.url,
                         dedup_window_s=window)  # fmt: skip
        assert again.returncode == 0, again.stderr.decode()
        assert time.monotonic() - started < 30, "it waited for work that was never queued"
        assert jsonl(again.stdout) == [record], "a duplicate's published record is its output"
        assert "duplicates 1" in again.stderr.decode() and "its published record follows" in again.stderr.decode()


def one_line(done: subprocess.CompletedProcess) -> str:
    """The command's stderr, which must be a single line and no traceback."""
    stderr = done.stderr.decode()
    assert "Traceback" not in stderr and len(stderr.strip().splitlines()) == 1, stderr
    return stderr


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (("dlq", "show", "1-1"), 1, "no dead letter 1-1"),
        (("dlq", "replay", "1-1"), 1, "no dead letter 1-1"),
        (("dlq", "show", "not-an-entry-id"), 2, "Redis refused the request"),
    ],
)
def test_a_missing_or_malformed_id_is_one_line_and_its_exit_code(redis_server, args, code, says):
    done = newsflow(*args, redis_url=redis_server.url)
    assert done.returncode == code and says in one_line(done), done.stderr.decode()


@pytest.mark.parametrize("args", [("dlq", "list"), ("tail", "--idle", "1"), ("status",)])
@pytest.mark.parametrize("scheme", ["redis", "sentinel"])
def test_an_unreachable_redis_is_one_line_and_exit_3(args, scheme):
    done = newsflow(*args, redis_url=f"{scheme}://:pw-hidden@127.0.0.1:{free_port()}/0", redis_sentinel_master="m")
    line = one_line(done)
    assert done.returncode == 3 and "cannot reach Redis" in line and "pw-hidden" not in line, line


def test_a_redis_url_without_a_scheme_is_refused_without_showing_it():
    done = newsflow("dlq", "list", redis_url="P4ssw0rd-secret@127.0.0.1:6379/0")
    stderr = one_line(done)
    assert done.returncode == 2 and "redis://" in stderr and "P4ss" not in stderr


@pytest.mark.parametrize(("content", "says"), [(None, "which is not a file"), ("max_retries = [", "not valid TOML")])
def test_a_broken_settings_file_is_one_line_and_exit_2(tmp_path, content, says):
    path = tmp_path / "newsflow.toml"
    if content is not None:
        path.write_text(content)
    done = newsflow("dlq", "list", config=str(path))
    assert done.returncode == 2 and says in one_line(done)


def test_make_run_writes_pure_jsonl_on_stdout():
    """The README's main job, as written: `make run > records.jsonl` gives records and nothing else."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSFLOW_")}
    done = subprocess.run(["make", "--no-print-directory", "run"], cwd=ROOT, env=env, capture_output=True, timeout=300,
                          stdin=subprocess.DEVNULL)  # fmt: skip
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert len(jsonl(done.stdout)) == 5, "stdout must hold the five records alone"


def test_a_misspelt_setting_is_warned_about_with_the_one_meant(redis_server):
    done = newsflow("dlq", "list", redis_url=redis_server.url, dedup_window="5")
    assert done.returncode == 0, done.stderr.decode()
    assert "NEWSFLOW_DEDUP_WINDOW is not a newsflow setting; did you mean NEWSFLOW_DEDUP_WINDOW_S?" in one_line(done)


def test_invalid_settings_are_one_line_and_exit_2_without_the_secret():
    done = newsflow("dlq", "list", redis_url="redis://:hunter2-secret@127.0.0.1:1/0", visibility_timeout_s="1")
    stderr = one_line(done)
    assert done.returncode == 2 and "visibility_timeout_s" in stderr and "hunter2" not in stderr


def processes_using(redis_url: str) -> list[int]:
    """Pids of processes started for ``redis_url``: its redis-server (port on the command line) or its workers."""
    port = redis_url.rsplit(":", 1)[1].split("/")[0]
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ")
            environ = (proc / "environ").read_bytes()
        except OSError:
            continue
        if f"--port {port} ".encode() in cmdline or f"NEWSFLOW_REDIS_URL={redis_url}".encode() in environ:
            found.append(int(proc.name))
    return found


def test_ctrl_c_stops_everything_the_main_job_started(tmp_path):
    for n in range(40):
        (tmp_path / f"{n}.txt").write_text(f"Story {n}. " + "Officials in Cairo and Doha met on Sunday. " * 40)
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSFLOW_")}
    cmd = [sys.executable, "-m", "workers.cli", "process", str(tmp_path), "--out", str(tmp_path / "out.jsonl")]
    with subprocess.Popen(cmd, cwd=ROOT, env=env, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL) as job:
        first_line = job.stderr.readline().decode()
        assert "started a private Redis at redis://" in first_line, first_line
        url = first_line.rsplit(" ", 1)[1].strip()
        deadline = time.monotonic() + 30
        while len(processes_using(url)) < 3 and time.monotonic() < deadline:  # redis, worker, its pool
            time.sleep(0.2)
        assert len(processes_using(url)) >= 3, "the private Redis and the local workers did not start"
        job.send_signal(signal.SIGINT)
        assert job.wait(60) == 130
        summary = job.stderr.read().decode()
        assert "processed" in summary and "interrupted" in summary, "a summary after Ctrl-C too: " + summary[-500:]
    deadline = time.monotonic() + 10
    while processes_using(url) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert processes_using(url) == [], "the main job left processes behind after Ctrl-C"


def test_models_install_several_packages_and_list_them_and_refuse_a_broken_one(tmp_path, monkeypatch):
    from tests.unit.test_models import package

    monkeypatch.setenv("NEWSFLOW_MODELS_DIR", str(tmp_path / "models"))
    good = [package(tmp_path, "translate-ar_en-1_9"),
            package(tmp_path, "translate-de_en-1_0", metadata={"package_version": "1.0", "from_code": "de", "to_code": "en"})]  # fmt: skip
    env = {**os.environ}
    run = subprocess.run([sys.executable, "-m", "workers.cli", "models", "install", *map(str, good)],
                         cwd=ROOT, env=env, capture_output=True, timeout=60)  # fmt: skip
    assert run.returncode == 0, run.stderr
    listed = subprocess.run([sys.executable, "-m", "workers.cli", "models", "list"], cwd=ROOT, env=env,
                            capture_output=True, timeout=60).stdout.decode()  # fmt: skip
    assert [line.split("\t")[:3] for line in listed.splitlines()] == [
        ["ar-en", "argos", "1.9"],
        ["de-en", "argos", "1.0"],
    ]
    broken = package(tmp_path, "broken", leave_out="model/model.bin")
    refused = subprocess.run([sys.executable, "-m", "workers.cli", "models", "install", str(broken)],
                             cwd=ROOT, env=env, capture_output=True, timeout=60)  # fmt: skip
    assert refused.returncode == 1 and b"missing model/model.bin" in refused.stderr


def test_models_prepare_converts_the_topic_model_which_models_list_does_not_take_for_a_translation_model(tmp_path):
    env = {**os.environ, "NEWSFLOW_MODELS_DIR": str(tmp_path)}
    prepared = subprocess.run([sys.executable, "-m", "workers.cli", "models", "prepare"], cwd=ROOT, env=env,
                              capture_output=True, timeout=300)  # fmt: skip
    assert prepared.returncode == 0, prepared.stderr
    folder = Path(prepared.stdout.decode().strip())
    assert folder.parent == tmp_path and (folder / "model.bin").is_file()
    listed = subprocess.run([sys.executable, "-m", "workers.cli", "models", "list"], cwd=ROOT, env=env,
                            capture_output=True, timeout=60)  # fmt: skip
    assert listed.stdout == b"" and b"no models in" in listed.stderr


@pytest.mark.usefixtures("workers")
def test_health_of_an_unknown_node_says_there_is_no_such_worker(redis_server):
    done = newsflow("health", "nobody@nowhere", "--timeout", "3", redis_url=redis_server.url)
    stderr = one_line(done)
    assert done.returncode == 1 and "no worker named nobody@nowhere" in stderr and "test@" in stderr
