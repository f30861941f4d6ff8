"""Screenshots of Flower watching a local newsflow: docs/flower-workers.png, flower-tasks.png, flower-broker.png.

    .venv/bin/python docs/flower_screenshot.py        (needs Debian's chromium: apt-get install chromium)

A private redis-server, one `newsflow worker` per stage (nodes extract@host, translate@host, ...) with task
events on, Flower on a free port, the project's examples pushed through the gateway; then headless Chromium
photographs Flower's workers, tasks and broker (queues) pages.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import httpx
import redis
from pydantic import SecretStr

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from config import Settings  # noqa: E402
from newsflow.stages import PIPELINE  # noqa: E402
from workers.cli.files import read_inputs  # noqa: E402
from workers.dev.embedded import LocalWorkers, PrivateRedis, _spawn, _stop, free_port  # noqa: E402
from workers.runtime.app import create_ingest  # noqa: E402


def main() -> None:
    chromium = shutil.which("chromium") or sys.exit("needs chromium on PATH (apt-get install chromium)")
    port = free_port()
    with ExitStack() as stack:
        server = stack.enter_context(PrivateRedis())
        env = {"NEWSFLOW_TASK_EVENTS": "true"}
        for stage in PIPELINE.names:
            stack.enter_context(LocalWorkers(server.url, concurrency=1, name=stage, env=env, stages=stage))
        flower = _spawn([str(Path(sys.executable).with_name("newsflow")), "flower", f"--port={port}", "--address=127.0.0.1"], env={**os.environ, "NEWSFLOW_REDIS_URL": server.url, "FLOWER_UNAUTHENTICATED_API": "true"},
                        cwd=ROOT, stdout=subprocess.DEVNULL)  # fmt: skip
        stack.callback(_stop, flower, 10)
        settings = Settings(redis_url=SecretStr(server.url))
        client = redis.Redis.from_url(server.url)
        time.sleep(15)  # workers up and seen by Flower
        gateway = create_ingest(settings, client)
        accepted = [gateway.submit(item.raw).id for item in read_inputs([ROOT / "examples" / "articles"]) if item.raw]
        deadline = time.monotonic() + 60
        while client.xlen(settings.output_stream) < len(accepted) and time.monotonic() < deadline:
            time.sleep(0.5)
        workers = httpx.get(f"http://127.0.0.1:{port}/api/workers", params={"refresh": "1"}, timeout=30).json()
        print(f"{len(accepted)} articles published; Flower sees {sorted(workers)}")
        for page, name in (("", "flower-workers.png"), ("tasks", "flower-tasks.png"), ("broker", "flower-broker.png")):
            subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                            "--window-size=1400,800", "--virtual-time-budget=8000",
                            f"--screenshot={ROOT / 'docs' / name}", f"http://127.0.0.1:{port}/{page}"],
                           check=True, capture_output=True, timeout=120)  # fmt: skip
            print(f"wrote docs/{name}")


if __name__ == "__main__":
    main()
