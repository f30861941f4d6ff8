"""What confirming writes with a replica (WAIT) costs: per send, per publish, and per article through the pipeline.

    .venv/bin/python benchmarks/replication.py [--sends 2000] [--articles 120] [--rounds 3] [--write]

One replicated Redis of its own (a master and a replica with AOF, three sentinels: workers/dev/sentinel.py, all on
loopback), reached through the sentinels in both contenders, which take turns in ROUNDS chunks so that noise and
drift fall on both alike:
  unconfirmed   NEWSFLOW_REDIS_MIN_REPLICAS=0: writes return when the master has them
  confirmed     NEWSFLOW_REDIS_MIN_REPLICAS=1: every write newsflow relies on waits for the replica (the default
                with Sentinel)
Measured: the time of one task send (kombu's LPUSH, with the WAIT in the same round trip when confirmed); of one
publish (its Lua script, then the confirmation); and the throughput of a `newsflow worker` of every stage (two
pool processes) on short articles, where the confirmations weigh most against the stages' own work. An article
makes six confirmed writes: five sends (ingest to extract, then one hand-on after each stage but publish) and the
publish.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from pydantic import SecretStr

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from config import Settings  # noqa: E402
from newsflow.ids import article_id  # noqa: E402
from newsflow.schema import Article, RawArticle  # noqa: E402
from newsflow.state.client import connect  # noqa: E402
from newsflow.state.output import Publisher  # noqa: E402
from workers.dev.embedded import LocalWorkers  # noqa: E402
from workers.dev.sentinel import ReplicatedRedis  # noqa: E402
from workers.runtime.app import create_app, create_ingest  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "replication.md"
CONTENDERS = {"unconfirmed": 0, "confirmed": 1}
TEXT = "Officials in Doha said on Tuesday that talks on the port agreement would resume next week. " * 4


def settings_for(server: ReplicatedRedis, replicas: int) -> Settings:
    return Settings(redis_url=SecretStr(server.url), redis_sentinel_master=server.master_name,
                    redis_min_replicas=replicas, key_prefix=f"bench{replicas}",
                    output_stream=f"bench{replicas}:articles")  # fmt: skip


def send_ms(settings: Settings, count: int) -> float:
    """Median milliseconds of one task send to a queue no worker reads."""
    app, times = create_app(settings), []
    with app.producer_or_acquire() as producer:
        for n in range(count):
            started = time.perf_counter()
            app.send_task("newsflow.extract", args=({"id": f"s{n}"},), queue=f"{settings.key_prefix}.idle",
                          producer=producer)  # fmt: skip
            times.append(time.perf_counter() - started)
    connect(settings).delete(f"{settings.key_prefix}.idle")
    return statistics.median(times) * 1000


def publish_ms(settings: Settings, count: int, first: int) -> float:
    publisher, times = Publisher(connect(settings), settings), []
    for n in range(first, first + count):
        raw = RawArticle(url=f"https://replication.example/p{n}", text=TEXT)
        record = Article(id=article_id(raw), url=str(raw.url), title="t", body=[TEXT], language="en", version=1,
                         received_at=datetime.now(UTC))  # fmt: skip
        started = time.perf_counter()
        publisher.publish(record)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def articles_per_s(server: ReplicatedRedis, settings: Settings, count: int, first: int) -> float:
    env = {"NEWSFLOW_REDIS_SENTINEL_MASTER": server.master_name, "NEWSFLOW_KEY_PREFIX": settings.key_prefix,
           "NEWSFLOW_OUTPUT_STREAM": settings.output_stream,
           "NEWSFLOW_REDIS_MIN_REPLICAS": str(settings.redis_min_replicas)}  # fmt: skip
    client = connect(settings)
    with LocalWorkers(server.url, concurrency=2, name=f"bench{settings.redis_min_replicas}", env=env):
        app = create_app(settings)
        while not app.control.ping(timeout=0.5):
            pass
        gateway = create_ingest(settings, client)

        def through(ns: range) -> float:
            before, started = client.xlen(settings.output_stream), time.perf_counter()
            for n in ns:
                gateway.submit(RawArticle(url=f"https://replication.example/a{n}", text=f"{TEXT} ({n})"))
            while client.xlen(settings.output_stream) < before + len(ns):
                time.sleep(0.05)
            return len(ns) / (time.perf_counter() - started)

        through(range(-first - 4, -first))  # warm: every pool process has loaded its models
        return through(range(first, first + count))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sends", type=int, default=2000, help="sends and publishes per contender and round")
    parser.add_argument("--articles", type=int, default=120, help="articles per contender and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--write", action="store_true", help=f"record the result in {RESULTS.relative_to(ROOT)}")
    args = parser.parse_args()
    found: dict[str, dict[str, list[float]]] = {name: {"send": [], "publish": [], "rate": []} for name in CONTENDERS}
    with ReplicatedRedis("bench-password") as server:
        for round_ in range(args.rounds):
            for name, replicas in CONTENDERS.items():
                settings = settings_for(server, replicas)
                found[name]["send"].append(send_ms(settings, args.sends))
                found[name]["publish"].append(publish_ms(settings, args.sends, round_ * args.sends))
                found[name]["rate"].append(articles_per_s(server, settings, args.articles, round_ * args.articles))
    median = {name: {k: statistics.median(v) for k, v in runs.items()} for name, runs in found.items()}
    added = 5 * (median["confirmed"]["send"] - median["unconfirmed"]["send"]) + (
        median["confirmed"]["publish"] - median["unconfirmed"]["publish"]
    )
    command = " ".join(["python", "benchmarks/replication.py", *sys.argv[1:]])
    lines = [
        f"Command: `{command}`  ",
        f"Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {os.cpu_count()} cores; master, replica and sentinels on "
        "loopback; medians over the rounds.",
        "",
        "| contender | one send (ms) | one publish (ms) | articles/s, one worker of every stage |",
        "| --- | --- | --- | --- |",
        *[f"| {name} | {m['send']:.3f} | {m['publish']:.3f} | {m['rate']:.1f} |" for name, m in median.items()],
        "",
        f"Added per article by the six confirmations: {added:.2f} ms of waiting (the replica's round trip on "
        "loopback; over a network, add its round-trip time six times), no CPU to speak of.",
    ]
    print("\n".join(lines))
    if args.write:
        RESULTS.write_text("# Writes confirmed by a replica\n\n" + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
