"""Soak under chaos: N articles through real workers while pool processes, whole workers and Redis are killed
or restarted; then every accepted article is accounted for.

    .venv/bin/python benchmarks/soak.py [--articles 10000] [--write]

A private redis-server (AOF every second, noeviction) and two `newsflow worker` processes (two pool processes
each) run the pipeline. While a producer submits the articles, a chaos loop every few seconds picks one of:
SIGKILL a random pool process; SIGKILL a whole worker (main process and pool) and start a new one; restart
Redis (SIGTERM, which writes the AOF out, then start it on the same port and files). When the producer is done
and the queues have drained, it counts, per accepted article id: published records and dead letters.
lost = accepted ids with neither; duplicated = ids with more than one record, or a record and a dead letter.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import redis
from pydantic import SecretStr

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from config import Settings  # noqa: E402
from newsflow.errors import QueueFull  # noqa: E402
from newsflow.schema import RawArticle  # noqa: E402
from newsflow.state.ingest import Ingest  # noqa: E402
from newsflow.wire import loads  # noqa: E402
from workers.dev.embedded import LocalWorkers, PrivateRedis  # noqa: E402
from workers.runtime.app import create_ingest  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "soak.md"
SETTINGS = {
    "visibility_timeout_s": 30,
    "task_time_limit_s": 20,
    "retry_backoff_max_s": 5,
    "max_queue_depth": 500,
    "reconcile_after_s": 240,
}
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
    def __init__(self, server: PrivateRedis, workers: list[LocalWorkers], env: dict, rng: random.Random) -> None:
        self.server, self.workers, self.env, self.rng = server, workers, env, rng
        self.events: Counter[str] = Counter()

    def strike(self) -> None:
        action = self.rng.choice(["kill pool process", "kill pool process", "kill worker", "restart redis"])
        if action == "kill pool process":
            pool = [pid for worker in self.workers for pid in worker.pool_processes()]
            if pool:
                os.kill(self.rng.choice(pool), signal.SIGKILL)
        elif action == "kill worker":
            index = self.rng.randrange(len(self.workers))
            victim = self.workers[index]
            os.killpg(victim.process.pid, signal.SIGKILL)
            victim.process.wait()
            self.workers[index] = LocalWorkers(self.server.url, concurrency=2, name=f"soak{index}-{time.time():.0f}",
                                               env=self.env).start()  # fmt: skip
        else:
            self.server.stop()
            time.sleep(1)
            self.server.start()
        self.events[action] += 1


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


def run(count: int, chaos_every_s: float, seed: int) -> tuple[dict[str, int], Counter[str], float]:
    rng = random.Random(seed)
    env = {f"NEWSFLOW_{k.upper()}": str(v) for k, v in SETTINGS.items()}
    with PrivateRedis(appendonly=True) as server:
        settings = Settings(redis_url=SecretStr(server.url), **SETTINGS)
        client = redis.Redis.from_url(server.url)
        gateway = create_ingest(settings, client)
        workers = [LocalWorkers(server.url, concurrency=2, name=f"soak{i}", env=env).start() for i in range(2)]
        chaos, accepted, started = Chaos(server, workers, env, rng), set(), time.monotonic()
        next_strike = started + chaos_every_s
        try:
            for n in range(count):
                if (aid := submit(gateway, article(n, rng))) is not None:
                    accepted.add(aid)
                if time.monotonic() >= next_strike:
                    chaos.strike()
                    next_strike = time.monotonic() + chaos_every_s
            deadline, result = time.monotonic() + 900, {}
            while time.monotonic() < deadline:  # chaos goes on until every accepted article is accounted for
                try:
                    result = account(client, settings, accepted)
                except redis.ConnectionError:
                    time.sleep(1)
                    continue
                if result["lost"] == 0:
                    break
                if time.monotonic() >= next_strike:
                    chaos.strike()
                    next_strike = time.monotonic() + chaos_every_s
                time.sleep(1)
            return result, chaos.events, time.monotonic() - started
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
    result, events, seconds = run(args.articles, args.chaos_every, args.seed)
    command = " ".join(["python", "benchmarks/soak.py", *sys.argv[1:]])
    lines = [
        f"Command: `{command}`  ",
        f"Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {os.cpu_count()} cores; {seconds:.0f} s in all.",
        "",
        "| " + " | ".join(result) + " |",
        "| " + " | ".join("---" for _ in result) + " |",
        "| " + " | ".join(str(v) for v in result.values()) + " |",
        "",
        "Chaos: " + ", ".join(f"{name} x{n}" for name, n in sorted(events.items())),
        "",
        f"Target lost 0 and duplicated 0: {'met' if result.get('lost') == 0 and result.get('duplicated') == 0 else 'NOT met'}.",
    ]
    print("\n".join(lines))
    if args.write:
        RESULTS.write_text("# Soak under chaos\n\n" + "\n".join(lines) + "\n" + NOTES)


NOTES = """
Notes: settings as in the script (visibility timeout 30 s, so a killed worker's messages come back within
about half a minute; the in-flight ledger queues again what has not landed after 4 minutes); Redis restarts are graceful (SIGTERM writes the AOF), so the one second of AOF that a
power cut could lose is not exercised here. An article is counted once per id; "duplicated" counts an id with
two records, two dead letters, or both a record and a dead letter.
"""


if __name__ == "__main__":
    main()
