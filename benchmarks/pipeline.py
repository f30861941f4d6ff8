"""The whole pipeline through real Redis and real workers: throughput, latency, CPU, memory and message size,
against the same stage functions in-process and a no-op chain of the same shape, in one run.

    .venv/bin/python benchmarks/pipeline.py [--articles 2000] [--rounds 5] [--memory-articles N] [--write]

Articles: news documents from ../shared/data/translation/ntrex128-ar-en, in English and in Arabic (one document's
sentences, the first as title, padded with the next documents' to a 3 KB or 30 KB body), delivered as plain
text or inside a news-page HTML template (navigation, related links, share bar, footer): equal shares of
{ar, en} x {3 KB, 30 KB} x {text, HTML}, in a seeded random order. Translation runs on the default backend.

Contenders, each with its own private redis-server and 2 pool processes (this machine's cores), all started
first and then taking turns on the same articles in ROUNDS chunks, so that noise and drift fall on all alike:
  events off          `newsflow worker`, all stages; a closed-loop producer keeps WINDOW articles in flight
                      (saturation), through the gateway.
  events on           the same with task events from workers and task-sent events from producers (the setup
                      Flower's documentation asks for), and a Flower-like receiver consuming every event.
  events tuned        the same with newsflow's NEWSFLOW_TASK_EVENTS: worker events only.
  in-process          the same stage functions (newsflow/stages.py, publish's Lua script) on the same articles in a
                      multiprocessing pool of the same size: no queue.
  no-op chain         benchmarks/noop_chain.py: the four hops with no work; the queue's own ceiling.
Then: light load (the events-off deployment at a fixed rate, a quarter of its saturated rate); bytes per hop
(workers for one stage at a time; the messages waiting in the next queue are measured); with --memory-articles,
a long events-off run whose worker memory is sampled every second.
Stage latency is each task's own time (its provenance); queue wait is the time between one stage's end and the
next one's start; end to end is from ingest (received_at) to the output stream entry's timestamp.
CPU: worker main and pool processes (reaped children included) and redis-server, from /proc and INFO.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as `newsflow` sets it, so that the in-process run is alike

import argparse  # noqa: E402
import multiprocessing  # noqa: E402
import random
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import redis
from pydantic import SecretStr

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.machine import describe  # noqa: E402
from config import Settings  # noqa: E402
from newsflow.ids import article_id  # noqa: E402
from newsflow.resources import Resources  # noqa: E402
from newsflow.schema import IngestedArticle, RawArticle  # noqa: E402
from newsflow.stages import PIPELINE  # noqa: E402
from newsflow.state.ingest import Ingest  # noqa: E402
from newsflow.state.keys import Keys  # noqa: E402
from newsflow.wire import dumps, loads  # noqa: E402
from workers.dev.embedded import LocalWorkers, PrivateRedis  # noqa: E402
from workers.runtime.app import create_app, create_ingest  # noqa: E402

STAGES = PIPELINE.names

NTREX = ROOT.parent / "shared" / "data" / "translation" / "ntrex128-ar-en"
RESULTS = ROOT / "benchmarks" / "results" / "pipeline.md"
PROCESSES = 2
WINDOW = 16
LIGHT_SHARE = 0.25  # of the saturated rate
LIGHT_ARTICLES = 120
SIZES = {"3 KB": 3_000, "30 KB": 30_000}
SETTINGS = {"max_queue_depth": 100_000}
TICK = os.sysconf("SC_CLK_TCK")
# Celery's defaults when events are switched on (-E and task_send_sent_event), and what newsflow turns on for Flower.
EVENTS_DEFAULT = {"task_events": True, "task_sent_events": True}
EVENTS_TUNED = {"task_events": True}

PAGE = """<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{title} | Example News</title>
<meta property="og:title" content="{title}"><meta name="keywords" content="news, {lang}">
<link rel="stylesheet" href="/static/site.css"><script>window.dataLayer=[];function gtag(){{}}</script></head>
<body><header><nav><ul><li><a href="/">{home}</a></li><li><a href="/world">World</a></li>
<li><a href="/business">Business</a></li><li><a href="/sport">Sport</a></li></ul></nav></header>
<main><article><h1>{title}</h1><time datetime="2026-11-30T08:00:00Z">30.11.2026</time>
<div class="share"><a href="#">Facebook</a> <a href="#">X</a> <a href="#">WhatsApp</a></div>
{paragraphs}
</article><aside><h2>{related}</h2><ul>{links}</ul></aside></main>
<footer><p>© 2026 Example News. All rights reserved.</p><a href="/privacy">Privacy</a></footer></body></html>"""
WORDS = {"ar": ("الرئيسية", "اقرأ أيضا"), "en": ("Home", "Read also")}


# --- articles -------------------------------------------------------------------------------------------------


def documents() -> dict[str, list[list[str]]]:
    """Sentences grouped by document, per language."""
    if not NTREX.is_dir():
        sys.exit(f"needs {NTREX} (the shared evaluation data)")
    ids = (NTREX / "DOCUMENT_IDS.tsv").read_text().splitlines()
    docs: dict[str, list[list[str]]] = {}
    for lang, name in (("en", "newstest2019-src.eng.txt"), ("ar", "newstest2019-ref.arb.txt")):
        grouped: dict[str, list[str]] = {}
        for doc, sentence in zip(ids, (NTREX / name).read_text().splitlines(), strict=True):
            grouped.setdefault(doc, []).append(sentence.strip())
        docs[lang] = list(grouped.values())
    return docs


def article(n: int, lang: str, size: int, kind: str, docs: list[list[str]], rng: random.Random) -> RawArticle:
    start = rng.randrange(len(docs))
    title, *sentences = docs[start]
    following = (s for doc in docs[start + 1 :] + docs[:start] for s in doc)
    while sum(len(s.encode()) + 1 for s in sentences) < size:
        sentences.append(next(following))
    paragraphs = [" ".join(sentences[i : i + 3]) for i in range(0, len(sentences), 3)]
    url = f"https://bench.example/{lang}/{n}"
    if kind == "text":
        return RawArticle(url=url, title=title, text="\n\n".join(paragraphs))
    home, related = WORDS[lang]
    links = "".join(f'<li><a href="/story/{rng.randrange(10**6)}">{s[:60]}</a></li>' for s in rng.sample(docs, 5)[0])
    html = PAGE.format(lang=lang, title=title, home=home, related=related, links=links,
                       paragraphs="\n".join(f"<p>{p}</p>" for p in paragraphs))  # fmt: skip
    return RawArticle(url=url, html=html)


def corpus(count: int, seed: int, first: int = 0) -> list[RawArticle]:
    """``count`` articles numbered from ``first`` (the number is in the URL, so in the article id)."""
    rng, docs = random.Random(seed), documents()
    shapes = [(lang, size, kind) for lang in ("ar", "en") for size in SIZES.values() for kind in ("text", "html")]
    return [
        article(n, *shapes[n % len(shapes)], docs[shapes[n % len(shapes)][0]], rng) for n in range(first, first + count)
    ]


# --- processes ------------------------------------------------------------------------------------------------


def proc_cpu_s(pid: int, children: bool = True) -> float:
    """User + system seconds of a process, with its reaped children's."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if children else 0)
    return ticks / TICK


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def worker_cpu_s(workers: LocalWorkers) -> float:
    total = proc_cpu_s(workers.process.pid)
    for pid in workers.pool_processes():
        try:
            total += proc_cpu_s(pid, children=False)
        except OSError:  # recycled while we looked; its time is in the parent's children total once reaped
            continue
    return total


def redis_cpu_s(client: redis.Redis) -> float:
    info = client.info("cpu")
    return info["used_cpu_user"] + info["used_cpu_sys"]


class MemorySampler(threading.Thread):
    """Resident memory of the worker's main and pool processes, every second."""

    def __init__(self, workers: LocalWorkers) -> None:
        super().__init__(daemon=True)
        self.workers, self.samples, self.stopped = workers, [], threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(1.0):
            try:
                pool = [rss_mb(pid) for pid in self.workers.pool_processes()]
                self.samples.append((rss_mb(self.workers.process.pid), pool))
            except OSError:
                continue


class EventCounter(threading.Thread):
    """Consumes the workers' events the way Flower does (a Celery event receiver on the broker)."""

    def __init__(self, app) -> None:
        super().__init__(daemon=True)
        self.app, self.count, self.receiver = app, 0, None

    def run(self) -> None:
        with self.app.connection_for_read() as connection:
            self.receiver = self.app.events.Receiver(connection, handlers={"*": self._on_event})
            self.receiver.capture(limit=None, timeout=None, wakeup=False)

    def _on_event(self, _event: dict) -> None:
        self.count += 1

    def stop(self) -> None:
        if self.receiver:
            self.receiver.should_stop = True


# --- runs -----------------------------------------------------------------------------------------------------


@dataclass
class Result:
    name: str
    articles: int = 0
    seconds: float = 0.0
    records: list[tuple[int, dict]] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)
    memory: list = field(default_factory=list)
    events: int = 0

    @property
    def rate(self) -> float:
        return self.articles / self.seconds

    def add(self, articles: int, seconds: float, records=(), cpu: dict[str, float] | None = None) -> None:
        self.articles, self.seconds = self.articles + articles, self.seconds + seconds
        self.records.extend(records)
        for key, value in (cpu or {}).items():
            self.cpu[key] = self.cpu.get(key, 0.0) + value


def env_for(settings: dict) -> dict[str, str]:
    return {f"NEWSFLOW_{k.upper()}": str(v).lower() if isinstance(v, bool) else str(v) for k, v in settings.items()}


def produce(gateway: Ingest, client: redis.Redis, stream: str, articles: list[RawArticle], rate: float | None) -> float:
    """Submit every article (closed loop, or at a fixed rate); wait until all are published. Returns seconds from
    the first submission to the last output entry."""
    base, started = client.xlen(stream), time.time()
    for i, raw in enumerate(articles):
        if rate:
            time.sleep(max(0.0, started + i / rate - time.time()))
        else:
            while i - (client.xlen(stream) - base) >= WINDOW:
                time.sleep(0.01)
        gateway.submit(raw)
    deadline = time.monotonic() + 600
    while client.xlen(stream) - base < len(articles):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{client.xlen(stream) - base} of {len(articles)} published after 10 minutes")
        time.sleep(0.01)
    last_ms = int(client.xrevrange(stream, count=1)[0][0].split(b"-")[0])
    return last_ms / 1000 - started


def published(client: redis.Redis, stream: str, last: int) -> list[tuple[int, dict]]:
    """The last ``last`` records of the output stream with their entry times (ms)."""
    entries = client.xrevrange(stream, count=last)
    return [(int(entry.split(b"-")[0]), loads(f[b"record"])) for entry, f in reversed(entries)]


class Deployment:
    """A private Redis, one `newsflow worker` (or another worker command) and a gateway, kept up across rounds."""

    workers_class = LocalWorkers

    def __init__(self, name: str, settings: dict, events: bool = False) -> None:
        self.result, self.settings_env, self.events = Result(name), env_for({**SETTINGS, **settings}), events

    def start(self, warmup: list[RawArticle]) -> Deployment:
        self.server = PrivateRedis().start()
        self.settings = Settings(redis_url=SecretStr(self.server.url), **SETTINGS)
        self.client, app = redis.Redis.from_url(self.server.url), create_app(self.settings)
        self.gateway = create_ingest(self.settings, self.client)
        env = {**self.settings_env, "PYTHONPATH": str(ROOT)}
        self.workers = self.workers_class(self.server.url, concurrency=PROCESSES, name="bench", env=env).start()
        self.produce(warmup)  # pool processes up, models loaded
        self.counter = EventCounter(app) if self.events else None
        self.sampler = MemorySampler(self.workers)
        for thread in filter(None, (self.counter, self.sampler)):
            thread.start()
        return self

    def produce(self, articles: list[RawArticle], rate: float | None = None) -> float:
        return produce(self.gateway, self.client, self.settings.output_stream, articles, rate)

    def run(self, articles: list[RawArticle]) -> None:
        before = self._cpu()
        seconds = self.produce(articles)
        cpu = {key: after - before[key] for key, after in self._cpu().items()}
        self.result.add(len(articles), seconds, published(self.client, self.settings.output_stream, len(articles)), cpu)

    def _cpu(self) -> dict[str, float]:
        return {"workers": worker_cpu_s(self.workers), "redis": redis_cpu_s(self.client),
                "producer": proc_cpu_s(os.getpid(), children=False)}  # fmt: skip

    def stop(self) -> None:
        self.sampler.stopped.set()
        self.result.memory = self.sampler.samples
        if self.counter:
            self.counter.stop()
            self.result.events = self.counter.count
        self.workers.stop()
        self.server.__exit__()


class NoopChainWorkers(LocalWorkers):
    def command(self) -> list[str]:
        queues = ",".join(Keys.from_settings(Settings()).queue(stage) for stage in STAGES)
        return [sys.executable, "-m", "celery", "-A", "benchmarks.noop_chain", "worker", "-Q", queues,
                "-c", str(self.concurrency), "-n", f"{self.name}@%h", "-l", "WARNING", "--prefetch-multiplier", "1"]  # fmt: skip


class NoopChain(Deployment):
    workers_class = NoopChainWorkers


_loaded: dict[str, object] = {}


def _inprocess_init(url: str) -> None:
    resources = Resources(Settings(redis_url=SecretStr(url), **SETTINGS))
    _loaded.update({stage.name: stage.load(resources) for stage in PIPELINE})


def _inprocess_one(raw: RawArticle) -> None:
    """Each stage's function on the record as the previous one wrote it (decoded again, as a worker does), then the
    last stage's sink."""
    message = IngestedArticle.from_raw(raw, article_id(raw)).model_dump(mode="json")
    for stage in PIPELINE:
        article = stage.apply(stage.reads.model_validate(message), _loaded[stage.name])
        message = article.model_dump(mode="json")
    PIPELINE.stages[-1].emit(article, _loaded[PIPELINE.stages[-1].name])


class InProcess:
    """The same stage functions in a pool of the same size, no queue."""

    def __init__(self) -> None:
        self.result = Result("in-process")

    def start(self, warmup: list[RawArticle]) -> InProcess:
        self.server = PrivateRedis().start()
        self.pool = multiprocessing.get_context("fork").Pool(PROCESSES, _inprocess_init, (self.server.url,))
        list(self.pool.imap_unordered(_inprocess_one, warmup))
        return self

    def run(self, articles: list[RawArticle]) -> None:
        started = time.perf_counter()
        list(self.pool.imap_unordered(_inprocess_one, articles))
        self.result.add(len(articles), time.perf_counter() - started)

    def stop(self) -> None:
        self.pool.terminate()
        self.server.__exit__()


def queue_message_bytes(client: redis.Redis, queue: str, count: int, timeout_s: float = 120) -> float:
    deadline = time.monotonic() + timeout_s
    while client.llen(queue) < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{queue} holds {client.llen(queue)} of {count} messages")
        time.sleep(0.05)
    return statistics.mean(len(m) for m in client.lrange(queue, 0, -1))


def bytes_per_hop(articles: list[RawArticle]) -> dict[str, tuple[float, float]]:
    """Mean bytes of the Redis message on each hop, and of the record it carries (orjson)."""
    hops: dict[str, tuple[float, float]] = {}
    with PrivateRedis() as server:
        settings = Settings(redis_url=SecretStr(server.url), **SETTINGS)
        client = redis.Redis.from_url(server.url)
        gateway = create_ingest(settings, client)
        for raw in articles:
            gateway.submit(raw)
        records = [IngestedArticle.from_raw(raw, article_id(raw)).model_dump(mode="json") for raw in articles]
        keys = Keys.from_settings(settings)
        hops["ingest → extract"] = (queue_message_bytes(client, keys.queue("extract"), len(articles)),
                                    statistics.mean(len(dumps(r)) for r in records))  # fmt: skip
        for stage, following in zip(STAGES, STAGES[1:], strict=False):
            with LocalWorkers(
                server.url, concurrency=PROCESSES, name=f"hop-{stage}", env=env_for(SETTINGS), stages=stage
            ):
                size = queue_message_bytes(client, keys.queue(following), len(articles))
            bodies = [loads(m) for m in client.lrange(keys.queue(following), 0, -1)]
            hops[f"{stage} → {following}"] = (size, statistics.mean(len(_payload(b)) for b in bodies))
        with LocalWorkers(
            server.url, concurrency=PROCESSES, name="hop-publish", env=env_for(SETTINGS), stages="publish"
        ):
            deadline = time.monotonic() + 120
            while client.xlen(settings.output_stream) < len(articles) and time.monotonic() < deadline:
                time.sleep(0.05)
        entries = [f[b"record"] for _, f in client.xrange(settings.output_stream)]
        hops["publish → output stream"] = (statistics.mean(len(e) for e in entries),) * 2
    return hops


def _payload(message: dict) -> bytes:
    import base64

    return (
        base64.b64decode(message["body"])
        if message["properties"].get("body_encoding") == "base64"
        else message["body"].encode()
    )


# --- report ---------------------------------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))] if ordered else float("nan")


def latencies(records: list[tuple[int, dict]]) -> dict[str, list[float]]:
    """Per stage: its own time; per hop: queue wait; end to end; and the stages' compute per article."""
    out: dict[str, list[float]] = {}
    for entry_ms, record in records:
        runs = {run["stage"]: run for run in record["provenance"]}
        received = datetime.fromisoformat(record["received_at"]).timestamp() * 1000
        previous_end = received
        for stage in STAGES:
            run = runs[stage]
            start = datetime.fromisoformat(run["started_at"]).timestamp() * 1000
            out.setdefault(stage, []).append(run["duration_ms"])
            out.setdefault(f"wait before {stage}", []).append(start - previous_end)
            previous_end = start + run["duration_ms"]
        out.setdefault("end to end", []).append(entry_ms - received)
        out.setdefault("compute", []).append(sum(runs[s]["duration_ms"] for s in STAGES))
    return out


def memory_summary(samples: list) -> str:
    totals = [main + sum(pool) for main, pool in samples]
    if len(totals) < 10:
        return "too short to sample"
    tenth = max(1, len(totals) // 10)
    first, last = statistics.median(totals[:tenth]), statistics.median(totals[-tenth:])
    pools = [rss for _, pool in samples for rss in pool if rss]  # 0: a process sampled as it exited
    return (f"main + pool RSS {first:.0f} MB in the first tenth of the run, {last:.0f} MB in the last "
            f"({(last - first) / first * 100:+.1f} %); main {samples[-1][0]:.0f} MB; pool processes "
            f"{min(pools):.0f}-{max(pools):.0f} MB each ({len(samples)} samples, one a second)")  # fmt: skip


def report(args, runs: dict[str, Result], hops: dict[str, tuple[float, float]], wall_s: float) -> str:
    off, inproc, noop = runs["events off"], runs["in-process"], runs["no-op chain"]
    lines = [
        f"Command: `python benchmarks/pipeline.py {' '.join(sys.argv[1:])}`  ",
        f"Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {describe()}; {PROCESSES} pool processes; "
        f"{args.articles} articles per run; {wall_s:.0f} s in all.",
        "",
        "## Throughput",
        "",
        "| run | articles/s | vs events off | worker CPU ms/article | Redis CPU ms/article | events seen |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name in ("events off", "events on", "events tuned"):
        r = runs[name]
        lines.append(f"| pipeline, {name} | {r.rate:.1f} | {r.rate / off.rate:.2f} | "
                     f"{r.cpu['workers'] / r.articles * 1000:.1f} | {r.cpu['redis'] / r.articles * 1000:.2f} | {r.events} |")  # fmt: skip
    lines += [
        f"| in-process, same stage functions | {inproc.rate:.1f} | {inproc.rate / off.rate:.2f} | | | |",
        f"| no-op chain of the same shape | {noop.rate:.1f} | {noop.rate / off.rate:.2f} | | | |",
        "",
        f"Efficiency ratio (pipeline, events off / in-process): **{off.rate / inproc.rate:.2f}** (target 0.75). "
        f"Events on cost {(1 - runs['events on'].rate / off.rate) * 100:.0f} % of throughput with Celery's defaults, "
        f"{(1 - runs['events tuned'].rate / off.rate) * 100:.0f} % with newsflow's event settings (target 15 %).",
        "",
        "## Latency (ms)",
        "",
        "| measure | p50 | p95 | p99 |",
        "| --- | --- | --- | --- |",
    ]
    light_label = f"light load, {runs['light load'].rate:.1f} articles/s"
    for label, result in (("saturation", off), (light_label, runs["light load"])):
        for key, values in latencies(result.records).items():
            lines.append(f"| {label}: {key} | {pct(values, 50):.1f} | {pct(values, 95):.1f} | {pct(values, 99):.1f} |")
    light = latencies(runs["light load"].records)
    overhead = [e - c for e, c in zip(light["end to end"], light["compute"], strict=True)]
    lines += [
        "",
        f"Light load: end-to-end p95 minus the stages' own compute, per article: p95 {pct(overhead, 95):.1f} ms "
        "(target 150 ms).",
        "",
        "## Messages",
        "",
        "| hop | Redis message bytes | record bytes (orjson) |",
        "| --- | --- | --- |",
        *(f"| {hop} | {message:,.0f} | {record:,.0f} |" for hop, (message, record) in hops.items()),
        "",
        "## Memory",
        "",
        *(
            f"- {r.name} run, {r.articles} articles at {r.rate:.1f}/s: {memory_summary(r.memory)}"
            for r in (off, runs.get("memory"))
            if r
        ),
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=2000, help="articles through each contender")
    parser.add_argument("--rounds", type=int, default=5, help="contenders take turns this many times")
    parser.add_argument("--memory-articles", type=int, default=0,
                        help="also run this many articles (events off) for the worker memory figure")  # fmt: skip
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--write", action="store_true", help=f"record the result in {RESULTS.relative_to(ROOT)}")
    args = parser.parse_args()
    started = time.monotonic()
    articles = corpus(args.articles + LIGHT_ARTICLES + 40, args.seed)
    warmup, light, articles = articles[:40], articles[40 : 40 + LIGHT_ARTICLES], articles[40 + LIGHT_ARTICLES :]
    contenders = {
        "events off": Deployment("events off", {}),
        "events on": Deployment("events on", EVENTS_DEFAULT, events=True),
        "events tuned": Deployment("events tuned", EVENTS_TUNED, events=True),
        "in-process": InProcess(),
        "no-op chain": NoopChain("no-op chain", {}),
    }
    try:
        for contender in contenders.values():
            contender.start(warmup)
        # Contenders take turns on the same articles, so machine noise and drift fall on all of them alike.
        step = -(-len(articles) // args.rounds)
        for chunk in (articles[i : i + step] for i in range(0, len(articles), step)):
            for contender in contenders.values():
                contender.run(chunk)
        off = contenders["events off"]
        light_run = Result("light load")
        light_run.add(
            len(light),
            off.produce(light, rate=off.result.rate * LIGHT_SHARE),
            published(off.client, off.settings.output_stream, len(light)),
        )
    finally:
        for contender in contenders.values():
            if hasattr(contender, "server"):
                contender.stop()
    runs = {name: c.result for name, c in contenders.items()} | {"light load": light_run}
    hops = bytes_per_hop(articles[:48])
    if args.memory_articles:
        long_run = Deployment("memory", {}).start(warmup)
        try:
            long_run.run(corpus(args.memory_articles, args.seed + 1, first=len(warmup) + 10**6))
        finally:
            long_run.stop()
        runs["memory"] = long_run.result
    text = report(args, runs, hops, time.monotonic() - started)
    print(text)
    if args.write:
        RESULTS.write_text("# Pipeline throughput, latency and memory\n\n" + text + "\n")


if __name__ == "__main__":
    main()
