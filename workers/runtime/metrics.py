"""A worker's Prometheus metrics: every stage task's duration and outcome, counted in the pool process that ran
it; the ingest task's articles by result; for translate, the size of each model batch (sentences, articles) and
translation-memory hits and misses; for a tag worker that batches across articles, the size of each encoder call;
the messages of dead workers it queued again, and the failovers it followed.

With NEWSFLOW_METRICS_PORT set, `newsflow worker` points prometheus_client's multiprocess mode at a fresh folder
(PROMETHEUS_MULTIPROC_DIR) before any pool process starts, and serves the sum over its pool processes on that port.
The gateway's metrics are in workers/api/metrics.py.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

STAGE_SECONDS = Histogram(
    "newsflow_stage_duration_seconds",
    "Time a stage task took in its pool process, by stage.",
    ["stage"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
STAGE_OUTCOMES = Counter(
    "newsflow_stage_outcomes", "Stage tasks by how they ended: ok, retried, requeued, dead_lettered.",
    ["stage", "outcome"],
)  # fmt: skip
INGEST_ARTICLES = Counter(
    "newsflow_ingest_articles",
    "Articles sent to the newsflow.ingest task, by result: queued, updated, duplicate, invalid, deferred (a stage "
    "queue was full: the task waits and tries again), backlog (dead-lettered after waiting too long).",
    ["result"],
)
ORPHANS_REQUEUED = Counter(
    "newsflow_orphaned_messages_requeued",
    "Messages held by a worker whose heartbeat lapsed (or by a connection this worker replaced), queued again.",
)
REDIS_MASTER_CHANGES = Counter(
    "newsflow_redis_master_changes", "Times a process found the Redis master at a new address (a Sentinel failover)."
)

# Cross-article batches (newsflow/batching.py): items per model call, and the articles they came from.
_ITEMS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)
_ARTICLES = (1, 2, 3, 4, 6, 8, 12, 16, 32, 64)
TRANSLATE_BATCH_SENTENCES = Histogram(
    "newsflow_translate_batch_sentences", "Sentences per translation model call.", buckets=_ITEMS
)
TRANSLATE_BATCH_ARTICLES = Histogram(
    "newsflow_translate_batch_articles", "Articles whose sentences shared one translation model call.",
    buckets=_ARTICLES,
)  # fmt: skip
TAG_BATCH_TEXTS = Histogram(
    "newsflow_tag_batch_texts", "Texts per encoder call of a tag worker that batches across articles.", buckets=_ITEMS
)
TAG_BATCH_ARTICLES = Histogram(
    "newsflow_tag_batch_articles", "Articles whose texts shared one encoder call.", buckets=_ARTICLES
)
TRANSLATION_MEMORY = Counter(
    "newsflow_translation_memory_sentences", "Translated sentences by whether the translation memory answered.",
    ["result"],
)  # fmt: skip


def record_translation_batch(sentences: int, articles: int) -> None:
    TRANSLATE_BATCH_SENTENCES.observe(sentences)
    TRANSLATE_BATCH_ARTICLES.observe(articles)


def record_tag_batch(texts: int, articles: int) -> None:
    TAG_BATCH_TEXTS.observe(texts)
    TAG_BATCH_ARTICLES.observe(articles)


def record_translation_memory(hits: int, misses: int) -> None:
    TRANSLATION_MEMORY.labels("hit").inc(hits)
    TRANSLATION_MEMORY.labels("miss").inc(misses)


def record_ingest(result: str, articles: int = 1) -> None:
    INGEST_ARTICLES.labels(result).inc(articles)


def record_stage(stage: str, outcome: str, seconds: float) -> None:
    STAGE_SECONDS.labels(stage).observe(seconds)
    STAGE_OUTCOMES.labels(stage, outcome).inc()


def serve_worker_metrics(host: str, port: int) -> None:
    from prometheus_client import multiprocess, start_http_server

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    start_http_server(port, addr=host, registry=registry)
