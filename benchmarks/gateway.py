"""Gateway throughput: single-article POST /v1/articles per second, a baseline source tree against a candidate.

    .venv/bin/python benchmarks/gateway.py [--baseline 0f9f46b] [--candidate PATH_OR_REV] [--rounds 3]
        [--duration-s 20] [--warmup-s 5] [--clients 20]

A tree is a folder of newsflow's source: BASELINE and a CANDIDATE that is a revision become detached `git worktree`s
in temporary folders, removed at the end; the candidate defaults to this working tree, as it is. In every round each
tree gets a fresh private redis-server and its own `python -m workers.cli gateway` process run from that tree (cwd
and PYTHONPATH), with every NEWSFLOW_* variable of ours removed but the Redis URL, a 48-character token and
queue limits far above what a run sends, so back-pressure never engages (only the limits the tree knows are passed:
an unknown NEWSFLOW_ variable is refused). No workers: articles only queue. The trees take turns in ABBA order, so
noise and drift on this shared machine fall on both alike.

The load: CLIENTS keep-alive connections, each posting one distinct article (a URL of its own, ~1.5 KB of text) and
waiting for the answer before the next; WARMUP_S of load uncounted, then DURATION_S counted. A 202 answering
"queued": 1 counts; any other answer is an error, by status, warm-up included. The client is a few lines of
HTTP/1.1 on asyncio streams in this process, not httpx: on 2 cores the client's CPU is taken from the gateway and
Redis, so it is kept small and reported (share of one core), beside the gateway's and Redis's CPU per POST, which
vary less than the rate when the machine is shared, and the CPU busy outside the benchmark in each round (other
tenants, hypervisor steal): a round whose other load is high is a noisy one.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import orjson
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.machine import describe  # noqa: E402
from workers.dev.embedded import PrivateRedis, free_port  # noqa: E402

TOKEN = secrets.token_urlsafe(36)  # 48 characters: the hardened gateway refuses a token under 32
LIMITS = {"max_queue_depth": "10000000", "max_queue_bytes": str(64 * 2**30)}  # passed where the tree has them
TEXT = "Officials in Doha said on Tuesday that talks on the port agreement would resume next week. " * 16
HEAD = (
    "POST /v1/articles HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    f"Authorization: Bearer {TOKEN}\r\nContent-Length: "
).encode()
CONTENT_LENGTH = re.compile(rb"\r\ncontent-length: *(\d+)", re.IGNORECASE)


@dataclass(frozen=True)
class Gateway:
    port: int
    process: psutil.Process
    redis: psutil.Process


@dataclass
class Tally:
    latencies_s: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class Round:
    posts_per_s: float
    latencies_s: list[float]
    errors: Counter[str]
    gateway_cpu_ms: float  # per counted POST
    redis_cpu_ms: float
    client_cores: float  # the load generator's share of one core
    other_cores: float  # CPU busy elsewhere on the machine (other tenants, steal), in cores


def git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(ROOT), *args], check=True, capture_output=True, text=True).stdout.strip()


def checkout(spec: str, stack: ExitStack) -> Path:
    """SPEC as a source tree: itself if it is a folder, else a detached worktree of that revision, removed at the end."""
    if Path(spec).is_dir():
        return Path(spec).resolve()
    parent = Path(tempfile.mkdtemp(prefix="newsflow-gateway-bench-"))
    stack.callback(shutil.rmtree, parent, ignore_errors=True)
    git("worktree", "add", "--detach", "--quiet", str(parent / "tree"), spec)
    stack.callback(git, "worktree", "remove", "--force", str(parent / "tree"))
    return parent / "tree"


def tree_env(tree: Path) -> dict[str, str]:
    """This process's environment, without NEWSFLOW_*, importing TREE's code."""
    return {k: v for k, v in os.environ.items() if not k.startswith("NEWSFLOW_")} | {"PYTHONPATH": str(tree)}


def gateway_env(tree: Path, redis_url: str) -> dict[str, str]:
    """The gateway's settings, with only the LIMITS that TREE's Settings has (it refuses unknown NEWSFLOW_ names)."""
    env = tree_env(tree)
    known = subprocess.run([sys.executable, "-c", "from config import Settings; print(*Settings.model_fields)"],
                           cwd=tree, env=env, check=True, capture_output=True, text=True).stdout.split()  # fmt: skip
    limits = {f"NEWSFLOW_{name.upper()}": value for name, value in LIMITS.items() if name in known}
    return env | limits | {"NEWSFLOW_REDIS_URL": redis_url, "NEWSFLOW_GATEWAY_TOKEN": TOKEN}


@contextmanager
def serving(tree: Path) -> Iterator[Gateway]:
    """A fresh redis-server and TREE's gateway on it, ready; both stopped after."""
    redis, port = PrivateRedis().start(), free_port()
    log = redis.dir / "gateway.log"
    assert redis.process is not None  # started
    try:
        with log.open("wb") as out:
            process = subprocess.Popen([sys.executable, "-m", "workers.cli", "gateway", "--port", str(port)],
                                       cwd=tree, env=gateway_env(tree, redis.url), stdin=subprocess.DEVNULL,
                                       stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
        try:
            wait_ready(port, process, log)
            yield Gateway(port, psutil.Process(process.pid), psutil.Process(redis.process.pid))
        finally:
            process.terminate()
            process.wait(10)
    finally:
        redis.stop()
        shutil.rmtree(redis.dir, ignore_errors=True)


def wait_ready(port: int, process: subprocess.Popen[bytes], log: Path, timeout_s: float = 60) -> None:
    """Until /healthz answers 200; an error with the end of the gateway's log if it exits or overstays."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"the gateway did not come up on port {port}:\n{log.read_text()[-2000:]}")


def request(key: str) -> bytes:
    body = orjson.dumps({"url": f"https://bench.example/{key}", "title": f"Port talks {key}", "text": f"{TEXT}{key}"})
    return HEAD + b"%d\r\n\r\n" % len(body) + body


async def client(port: int, name: str, window: tuple[float, float], tally: Tally) -> None:
    """Post articles one after another on one connection until the window closes; count those answered in it."""
    start, end, n = *window, 0
    while time.perf_counter() < end:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while (sent := time.perf_counter()) < end:
                writer.write(request(f"{name}-{n}"))
                n += 1
                head = await reader.readuntil(b"\r\n\r\n")
                found = CONTENT_LENGTH.search(head)
                body = await reader.readexactly(int(found[1]) if found else 0)
                done = time.perf_counter()
                if not (head.startswith(b"HTTP/1.1 202 ") and b'"queued":1' in body):
                    tally.errors[head[9:12].decode()] += 1
                elif start <= done <= end:
                    tally.latencies_s.append(done - sent)
        except (OSError, asyncio.IncompleteReadError):
            tally.errors["connection lost"] += 1
        finally:
            writer.close()


def cpu_s(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


def busy_s() -> float:
    """CPU seconds the whole machine has been busy, over all cores (steal included: another tenant's)."""
    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0)


def sample(gateway: Gateway) -> tuple[float, ...]:
    return cpu_s(gateway.process), cpu_s(gateway.redis), time.process_time(), busy_s(), time.perf_counter()


async def load(gateway: Gateway, clients: int, warmup_s: float, duration_s: float, tag: str) -> Round:
    """CLIENTS connections for WARMUP_S uncounted, then DURATION_S counted; CPU times over the counted part."""
    tally, started = Tally(), time.perf_counter()
    window = (started + warmup_s, started + warmup_s + duration_s)
    tasks = [asyncio.create_task(client(gateway.port, f"{tag}-{c}", window, tally)) for c in range(clients)]
    await asyncio.sleep(warmup_s)
    before = sample(gateway)
    await asyncio.sleep(duration_s)
    after = sample(gateway)
    await asyncio.gather(*tasks)
    count = max(len(tally.latencies_s), 1)
    gateway_s, redis_s, client_s, busy, wall_s = (b - a for a, b in zip(before, after, strict=True))
    return Round(len(tally.latencies_s) / duration_s, tally.latencies_s, tally.errors, gateway_s * 1000 / count,
                 redis_s * 1000 / count, client_s / wall_s, (busy - gateway_s - redis_s - client_s) / wall_s)  # fmt: skip


def summary(label: str, tree: Path, rounds: list[Round]) -> str:
    latencies = sorted(s for r in rounds for s in r.latencies_s)
    p50, p99 = (latencies[int(q * (len(latencies) - 1))] * 1000 for q in (0.5, 0.99))
    errors = sum((r.errors for r in rounds), Counter[str]())
    rev = subprocess.run(["git", "-C", str(tree), "describe", "--always", "--dirty"], capture_output=True, text=True)
    return (f"| {label} | {rev.stdout.strip() or tree} | {', '.join(f'{r.posts_per_s:.0f}' for r in rounds)} | "
            f"**{statistics.median(r.posts_per_s for r in rounds):.0f}** | {p50:.1f} | {p99:.1f} | "
            f"{statistics.median(r.gateway_cpu_ms for r in rounds):.2f} | "
            f"{statistics.median(r.redis_cpu_ms for r in rounds):.2f} | "
            f"{statistics.median(r.client_cores for r in rounds):.0%} | "
            f"{', '.join(f'{r.other_cores:.2f}' for r in rounds)} | "
            f"{', '.join(f'{k}: {v}' for k, v in errors.items()) or 0} |")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", default="0f9f46b", help="revision or folder (default: before the hardening)")
    parser.add_argument("--candidate", default=str(ROOT), help="revision or folder (default: this working tree)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; each runs both trees, in ABBA order")
    parser.add_argument("--duration-s", type=float, default=20, help="counted seconds per tree and round")
    parser.add_argument("--warmup-s", type=float, default=5, help="uncounted seconds of load before them")
    parser.add_argument("--clients", type=int, default=20, help="concurrent keep-alive connections")
    args = parser.parse_args()
    found: dict[str, list[Round]] = {"baseline": [], "candidate": []}
    with ExitStack() as stack:
        trees = {"baseline": checkout(args.baseline, stack), "candidate": checkout(args.candidate, stack)}
        for n in range(args.rounds):
            for label in list(trees)[:: 1 if n % 2 == 0 else -1]:
                with serving(trees[label]) as gateway:
                    found[label].append(asyncio.run(load(gateway, args.clients, args.warmup_s, args.duration_s,
                                                         f"{label}-{n}")))  # fmt: skip
                print(f"round {n + 1} {label}: {found[label][-1].posts_per_s:.0f} POSTs/s", file=sys.stderr)
        rows = [summary(label, trees[label], rounds) for label, rounds in found.items()]
    ratio = statistics.median(r.posts_per_s for r in found["candidate"]) / statistics.median(
        r.posts_per_s for r in found["baseline"]
    )
    command = " ".join([".venv/bin/python", "benchmarks/gateway.py", *sys.argv[1:]])
    print("\n".join([
        f"Command: `{command}`  ",
        f"Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {describe()}; {args.clients} clients, {args.warmup_s:g} s "
        f"warm-up, {args.duration_s:g} s counted per tree and round.",
        "",
        "| tree | revision | POSTs/s by round | median | p50 ms | p99 ms | gateway CPU ms/POST | Redis CPU ms/POST "
        "| load generator (one core) | other load by round (cores) | errors |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        *rows,
        "",
        f"Candidate / baseline, median POSTs/s: {ratio:.2f}",
    ]))  # fmt: skip


if __name__ == "__main__":
    main()
