"""Soak under chaos: N articles through real workers while pool processes, workers and the Redis master are
killed; then every accepted article is accounted for.

    .venv/bin/python benchmarks/soak.py [--articles 10000] [--write]

A replicated Redis of its own (a master and a replica with AOF, three sentinels: workers/dev/sentinel.py) and two
`newsflow worker` processes (two pool processes each) run the pipeline, every write confirmed by the replica.
While a producer submits the articles, a chaos loop every few seconds picks one of: SIGKILL a random pool process;
SIGKILL a whole worker (main process and pool), or its main process alone, and start a new one; SIGKILL the Redis
master, wait for the sentinels to promote the replica, and start the killed node again (it comes back as a
replica). When the producer is done and the queues have drained, it counts, per accepted article id: published
records and dead letters. lost = accepted ids with neither; duplicated = ids with more than one record, or a record
and a dead letter. Each fault's recovery time is recorded: for a killed worker, until every message it held is
back in a queue (the heartbeat sweep); for a killed master, until a write is confirmed by a replica again.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import socket
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path

import redis
from pydantic import SecretStr

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from config import Settings  # noqa: E402
from newsflow.errors import QueueFull  # noqa: E402
from newsflow.schema import RawArticle  # noqa: E402
from newsflow.state.client import connect  # noqa: E402
from newsflow.state.ingest import Ingest  # noqa: E402
from newsflow.state.keys import Keys  # noqa: E402
from newsflow.state.replication import Replication  # noqa: E402
from newsflow.wire import loads  # noqa: E402
from workers.dev.embedded import LocalWorkers  # noqa: E402
from workers.dev.sentinel import ReplicatedRedis  # noqa: E402
from workers.runtime.app import create_ingest  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "soak.md"
# The visibility timeout is ten minutes: a killed worker's messages can only come back in time through the
# heartbeat sweep (NEWSFLOW_WORKER_HEARTBEAT_S at its default of 5 s, so a lapse after 15 s).
SETTINGS = {
    "visibility_timeout_s": 600,
    "task_time_limit_s": 20,
    "retry_backoff_max_s": 5,
    "max_queue_depth": 500,
    "reconcile_after_s": 240,
    "redis_sentinel_master": "newsflow",
}
PASSWORD = "soak-password"
PARAGRAPHS = [
    "Officials in Doha said talks on the ceasefire would resume next week.",
    "The port of Rotterdam handled more containers than in any month last year.",
    "وقال مسؤولون في القاهرة إن المحادثات ستستأنف الأسبوع المقبل في الدوحة.",
    "أعلنت الحكومة الأردنية عن خطة جديدة لتحلية المياه في العقبة.",
]


def article(n: int, rng: random.Random) -> RawArticle:
    body = "\n\n".join(rng.choice(PARAGRAPHS) + f" ({n}.{i})" for i in range(rng.randint(3, 8)))
    return RawArticle(url=f"https://soak.example/{n}", text=body)


class Chaos:
    def __init__(self, server: ReplicatedRedis, workers: list[LocalWorkers], env: dict, rng: random.Random,
                 settings: Settings) -> None:  # fmt: skip
        self.server, self.workers, self.env, self.rng = server, workers, env, rng
        self.client, self.keys = connect(settings), Keys.from_settings(settings)
        self.replication = Replication.from_settings(settings)
        self.events: Counter[str] = Counter()
        self.recoveries: defaultdict[str, list[float]] = defaultdict(list)
        self._pending: list[tuple[str, float, Callable[[], bool]]] = []

    def strike(self) -> None:
        action = self.rng.choice(["kill pool process", "kill pool process", "kill worker", "kill worker main process",
                                  "kill redis master"])  # fmt: skip
        if action == "kill pool process":
            pool = [pid for worker in self.workers for pid in worker.pool_processes()]
            if pool:
                os.kill(self.rng.choice(pool), signal.SIGKILL)
        elif action.startswith("kill worker"):
            index = self.rng.randrange(len(self.workers))
            victim = self.workers[index]
            assert victim.process is not None
            pid, orphans = victim.process.pid, victim.pool_processes()
            if action == "kill worker":
                os.killpg(pid, signal.SIGKILL)
            else:
                os.kill(pid, signal.SIGKILL)
            victim.process.wait()
            self._pending.append((action, time.monotonic(), lambda: self._released(pid)))
            for orphan in orphans if action != "kill worker" else []:  # a killed main process leaves its pool
                with suppress(ProcessLookupError):
                    os.kill(orphan, signal.SIGKILL)
            self.workers[index] = LocalWorkers(self.server.url, concurrency=2, name=f"soak{index}-{time.time():.0f}",
                                               env=self.env).start()  # fmt: skip
        else:
            old = self.server.master()
            old.kill()
            self._pending.append((action, time.monotonic(), self._confirmed))
            self.server.wait_for_master(not_port=old.port)
            old.start()
        self.events[action] += 1

    def check(self) -> None:
        """Record the recovery of each fault whose recovery is now visible."""
        now, waiting = time.monotonic(), []
        for action, at, recovered in self._pending:
            try:
                done = recovered()
            except redis.RedisError:
                done = False
            if done:
                self.recoveries[action].append(now - at)
            else:
                waiting.append((action, at, recovered))
        self._pending = waiting

    def _released(self, pid: int) -> bool:
        """Every message the worker with main process ``pid`` held is back in a queue."""
        prefix = f"{socket.gethostname()}:{pid}:"
        return not any(h.decode().startswith(prefix) for h in self.client.hvals(self.keys.message_holders()))  # type: ignore[union-attr]

    def _confirmed(self) -> bool:
        self.replication.confirm(self.client)
        return True


def submit(gateway: Ingest, raw: RawArticle) -> str | None:
    """Submit, waiting out back-pressure and Redis restarts as a producer should."""
    for _ in range(600):
        try:
            return gateway.submit(raw).id
        except QueueFull:
            time.sleep(0.2)
        except Exception:  # noqa: BLE001 - Redis is restarting: the producer retries
            time.sleep(0.5)
    return None


def account(client: redis.Redis, settings: Settings, accepted: set[str]) -> dict[str, int]:
    published = Counter(f[b"id"].decode() for _, f in client.xrange(settings.output_stream))
    dead = Counter(loads(f[b"record"])["article_id"] for _, f in client.xrange(settings.dead_letter_stream))
    return {
        "accepted": len(accepted),
        "published": sum(1 for i in accepted if published[i]),
        "dead-lettered": sum(1 for i in accepted if dead[i] and not published[i]),
        "lost": sum(1 for i in accepted if not published[i] and not dead[i]),
        "duplicated": sum(1 for i in accepted if published[i] > 1 or (published[i] and dead[i]) or dead[i] > 1),
    }


def run(count: int, chaos_every_s: float, seed: int) -> tuple[dict[str, int], Chaos, float]:
    rng = random.Random(seed)
    env = {f"NEWSFLOW_{k.upper()}": str(v) for k, v in SETTINGS.items()}
    with ReplicatedRedis(PASSWORD) as server:
        settings = Settings(redis_url=SecretStr(server.url), **SETTINGS)
        client = connect(settings)
        gateway = create_ingest(settings, client)
        workers = [LocalWorkers(server.url, concurrency=2, name=f"soak{i}", env=env).start() for i in range(2)]
        chaos, accepted, started = Chaos(server, workers, env, rng, settings), set(), time.monotonic()
        next_strike = started + chaos_every_s
        try:
            for n in range(count):
                if (aid := submit(gateway, article(n, rng))) is not None:
                    accepted.add(aid)
                if time.monotonic() >= next_strike:
                    chaos.strike()
                    next_strike = time.monotonic() + chaos_every_s
                if n % 20 == 0:
                    chaos.check()
            deadline, result = time.monotonic() + 900, {}
            while time.monotonic() < deadline:  # chaos goes on until every accepted article is accounted for
                try:
                    result = account(client, settings, accepted)
                except redis.RedisError:
                    time.sleep(1)
                    continue
                chaos.check()
                if result["lost"] == 0:
                    break
                if time.monotonic() >= next_strike:
                    chaos.strike()
                    next_strike = time.monotonic() + chaos_every_s
                time.sleep(1)
            for _ in range(60):  # the last faults' recoveries
                chaos.check()
                time.sleep(0.5)
            return result, chaos, time.monotonic() - started
        finally:
            for worker in chaos.workers:
                worker.stop(timeout_s=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--chaos-every", type=float, default=5.0, help="seconds between chaos strikes")
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--write", action="store_true", help=f"record the result in {RESULTS.relative_to(ROOT)}")
    args = parser.parse_args()
    result, chaos, seconds = run(args.articles, args.chaos_every, args.seed)
    command = " ".join(["python", "benchmarks/soak.py", *sys.argv[1:]])
    lines = [
        f"Command: `{command}`  ",
        f"Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {os.cpu_count()} cores; {seconds:.0f} s in all.",
        "",
        "| " + " | ".join(result) + " |",
        "| " + " | ".join("---" for _ in result) + " |",
        "| " + " | ".join(str(v) for v in result.values()) + " |",
        "",
        "Chaos: " + ", ".join(f"{name} x{n}" for name, n in sorted(chaos.events.items())),
        "",
        "| fault | times | recovered | recovery median (s) | max (s) |",
        "| --- | --- | --- | --- | --- |",
        *[
            f"| {name} | {chaos.events[name]} | {len(times)} | {statistics.median(times):.1f} | {max(times):.1f} |"
            for name, times in sorted(chaos.recoveries.items())
        ],
        "",
        f"Target lost 0 and duplicated 0: {'met' if result.get('lost') == 0 and result.get('duplicated') == 0 else 'NOT met'}.",
    ]
    print("\n".join(lines))
    if args.write:
        RESULTS.write_text("# Soak under chaos\n\n" + "\n".join(lines) + "\n" + NOTES)


NOTES = """
Notes: settings as in the script. The visibility timeout is 10 minutes, so a killed worker's messages come back
only through the heartbeat sweep (a lapse after 15 s); the in-flight ledger queues again what has not landed after
4 minutes. A killed master takes what it had not replicated with it: every write newsflow relies on waits for the
replica's confirmation (WAIT), so none of those is among it; until the killed node is back as a replica, writes
wait and are retried. Recovery of a killed worker: until no message is held in its name any more; of a killed
master: until a write is confirmed by a replica again (promotion, then the old node's resync). A pool process
killed alone is requeued by its worker at once, not timed here. An article is counted once per id; "duplicated"
counts an id with two records, two dead letters, or both a record and a dead letter.
"""


if __name__ == "__main__":
    main()
