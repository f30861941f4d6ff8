"""The tag stage's speed per core and a tag worker's memory, on 3 KB Arabic and English articles, against an earlier
tree's tag stage in the same run.

    .venv/bin/python benchmarks/tagging.py [--articles 100] [--before TREE] [--write]

Articles: NTREX-128 news documents (../shared/data/translation/ntrex128-ar-en), Arabic and English, each body
3,000 bytes of UTF-8 (its document's sentences, then the next documents'), three sentences a paragraph.
  per core   tag_article with every library held to one thread (OMP_NUM_THREADS=1, the encoder with one thread);
             CPU seconds per article (process time; the median of five passes over the articles, and the best pass:
             the machine is shared, and other work only ever adds time). Each tree runs in a subprocess of its own
             (this venv, the tree first on sys.path), the two taking turns, this tree first in even rounds; then each
             part of this tree's stage: the encoder (title, body; newsflow/tagging/encoder.py), names and countries
             (the language's tagger reading the encoder's states, the name tables, nationality adjectives), topics
             (the classifier on the pooled vector), keywords.
  worker     a real `newsflow worker --stages tag --concurrency 1` on a private Redis, fed the same articles;
             resident memory of its main and pool processes after it has tagged them all.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402

import redis  # noqa: E402
from pydantic import SecretStr  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.machine import describe  # noqa: E402
from benchmarks.pipeline import documents, rss_mb  # noqa: E402
from config import Settings  # noqa: E402
from newsflow.resources import Resources  # noqa: E402
from newsflow.schema import Article, Translation  # noqa: E402
from newsflow.tagging.encoder import pooled  # noqa: E402
from newsflow.tagging.keywords import keywords  # noqa: E402
from newsflow.tagging.stage import tag_article  # noqa: E402
from newsflow.tagging.tagger import Tagger  # noqa: E402
from workers.dev.embedded import LocalWorkers, PrivateRedis  # noqa: E402
from workers.runtime.app import create_app, dispatcher  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "tagging.md"
SIZE = 3_000
PASSES = 5


def articles(language: str, count: int) -> list[Article]:
    docs = documents()[language]
    out = []
    for n in range(count):
        title, *sentences = docs[n % len(docs)]
        following = (s for doc in docs[n % len(docs) + 1 :] + docs for s in doc)
        while sum(len(s.encode()) + 1 for s in sentences) < SIZE:
            sentences.append(next(following))
        body = [" ".join(sentences[i : i + 3]) for i in range(0, len(sentences), 3)]
        untranslated = Translation(status="untranslated", quality="none", target_language="en", reason="benchmark")
        out.append(Article(id=f"{language}-{n}", received_at=datetime.now(UTC), language=language, title=title,
                           body=body, translation=untranslated))  # fmt: skip
    return out


def cpu_per_article(work, items) -> float:
    started = time.process_time()
    for item in items:
        work(item)
    return (time.process_time() - started) / len(items)


def parts(tagger: Tagger, batch: list[Article]) -> dict[str, float]:
    joined = {a.id: "\n\n".join(a.body) for a in batch}
    read = {a.id: tagger.encoder.encode([a.title or "", joined[a.id]]) for a in batch}
    return {
        "encoder": cpu_per_article(lambda a: tagger.encoder.encode([a.title or "", joined[a.id]]), batch),
        "names and countries": cpu_per_article(lambda a: tagger.read(joined[a.id], a.language, read[a.id][1]), batch),
        "topics": cpu_per_article(lambda a: tagger.topics.classify(pooled(*read[a.id])), batch),
        "keywords": cpu_per_article(lambda a: keywords(a.body, a.language, a.page_keywords), batch),
    }


PER_CORE = """
import json, os, statistics, sys
sys.path.insert(0, os.getcwd())
from benchmarks.tagging import PASSES, articles, cpu_per_article
from config import Settings
from newsflow.resources import Resources
from newsflow.tagging.stage import tag_article
tagger, found = Resources(Settings()).tagger, {}
for lang in ("ar", "en"):
    batch = articles(lang, int(sys.argv[1]))
    for article in batch[:5]:
        tag_article(article, tagger)
    found[lang] = [cpu_per_article(lambda a: tag_article(a, tagger), batch) for _ in range(PASSES)]
print(json.dumps(found))
"""


def per_core(tree: Path, count: int) -> dict[str, list[float]]:
    """Seconds per article of each pass, per language, of ``tree``'s tag stage, in a process of its own."""
    run = subprocess.run([sys.executable, "-c", PER_CORE, str(count)], cwd=tree, capture_output=True, text=True,
                         check=True, env={**os.environ, "OMP_NUM_THREADS": "1"})  # fmt: skip
    return json.loads(run.stdout.splitlines()[-1])


def worker_memory(batch: list[Article]) -> dict[str, float]:
    with PrivateRedis() as server:
        settings = Settings(redis_url=SecretStr(server.url))
        app, client = create_app(settings), redis.Redis.from_url(server.url)
        with LocalWorkers(server.url, concurrency=1, name="tag", stages="tag,cluster,publish") as worker:
            while not app.control.ping(timeout=0.5):
                time.sleep(0.5)
            dispatch = dispatcher(app)
            for article in batch:
                dispatch("tag", article.model_dump(mode="json"))
            while client.xlen(settings.output_stream) + client.xlen(settings.dead_letter_stream) < len(batch):
                time.sleep(0.2)
            assert not client.xlen(settings.dead_letter_stream), client.xrange(settings.dead_letter_stream, count=1)
            pool = worker.pool_processes()
            return {"main": rss_mb(worker.process.pid), "pool": max(rss_mb(pid) for pid in pool)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100, help="per language")
    parser.add_argument("--before", type=Path, help="an earlier tree (git worktree) to time in the same run")
    parser.add_argument("--rounds", type=int, default=2, help="turns each tree takes")
    parser.add_argument("--write", action="store_true", help=f"write {RESULTS.relative_to(ROOT)}")
    args = parser.parse_args()
    trees = {"this tree": ROOT, **({"before": args.before} if args.before else {})}
    timed: dict[str, dict[str, list[float]]] = {name: {"ar": [], "en": []} for name in trees}
    for round_ in range(args.rounds):
        for name in list(trees)[:: 1 if round_ % 2 == 0 else -1]:
            for lang, passes in per_core(trees[name], args.articles).items():
                timed[name][lang] += passes
            print(name, {lang: min(p) for lang, p in timed[name].items()}, flush=True)
    corpus = {lang: articles(lang, args.articles) for lang in ("ar", "en")}
    before = rss_mb(os.getpid())
    started = time.perf_counter()
    tagger = Resources(Settings()).tagger
    load_s, loaded = time.perf_counter() - started, rss_mb(os.getpid())
    breakdown = {}
    for lang, batch in corpus.items():
        for article in batch:
            tag_article(article, tagger)
        breakdown[lang] = parts(tagger, batch)
    after = rss_mb(os.getpid())
    memory = worker_memory(corpus["ar"] + corpus["en"])
    print("worker", memory, flush=True)
    report = render(args, trees, timed, breakdown, (load_s, before, loaded, after), memory)
    print(report)
    if args.write:
        RESULTS.write_text(report)


def commit(tree: Path) -> str:
    return subprocess.run(["git", "-C", str(tree), "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True).stdout.strip()  # fmt: skip


def render(args, trees, timed, breakdown, loading, memory) -> str:
    load_s, before, loaded, after = loading
    named = {"this tree": "this tree", "before": f"before ({commit(trees['before'])})" if "before" in trees else ""}
    lines = [
        "# Tag stage: speed per core and worker memory",
        "",
        f"Command: `.venv/bin/python benchmarks/tagging.py --articles {args.articles}"
        f"{' --before ' + str(args.before) if args.before else ''} --write` ({datetime.now(UTC):%Y-%m-%d}, "
        f"{describe()}). 3,000-byte NTREX articles; {args.rounds} turns per tree; method in the module docstring.",
        "",
        "| tree | language | CPU ms per article (median) | articles/s per core | best pass |",
        "|---|---|---:|---:|---:|",
    ]
    for name, by_language in timed.items():
        for lang, passes in by_language.items():
            median, best = statistics.median(passes), min(passes)
            lines.append(f"| {named[name]} | {lang} | {median * 1000:.1f} | {1 / median:.1f} | "
                         f"{best * 1000:.1f} ms, {1 / best:.1f}/s |")  # fmt: skip
    lines += ["", "This tree's stage by part (CPU ms per article, one pass):", "",
              "| language | encoder | names and countries | topics | keywords |", "|---|---:|---:|---:|---:|"]  # fmt: skip
    for lang, part in breakdown.items():
        lines.append(f"| {lang} | " + " | ".join(f"{part[k] * 1000:.1f}" for k in part) + " |")
    lines += [
        "",
        "Target: the tag stage at or under 110 ms per 3 KB article on one core (issue 17).",
        "",
        f"Loading the tag stage's models: {load_s:.1f} s; this process {before:.0f} MB before, {loaded:.0f} MB after "
        f"loading, {after:.0f} MB after tagging every article.",
        "",
        f"A running tag worker after {2 * args.articles} articles: pool process {memory['pool']:.0f} MB resident "
        f"(it holds the models), main process {memory['main']:.0f} MB. Target: a tag worker process under 600 MB.",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
