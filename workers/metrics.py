"""Prometheus metrics.

Workers: every stage task's duration and outcome, counted in the pool process that ran it; for translate, the
size of each model batch (sentences, articles) and translation-memory hits and misses. With
NEWSFLOW_METRICS_PORT set, `newsflow worker` points prometheus_client's multiprocess mode at a fresh folder
(PROMETHEUS_MULTIPROC_DIR) before any pool process starts, and serves the sum over its pool processes on that port.
Gateway: its submissions, and the deployment's state read from Redis at each scrape (queue depth per stage,
dead letters, articles in flight, published), so any one gateway shows the whole deployment.
"""

from __future__ import annotations

import redis
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from config import Settings

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


TRANSLATE_BATCH_SENTENCES = Histogram(
    "newsflow_translate_batch_sentences", "Sentences per translation model call.",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512),
)  # fmt: skip
TRANSLATE_BATCH_ARTICLES = Histogram(
    "newsflow_translate_batch_articles", "Articles whose sentences shared one translation model call.",
    buckets=(1, 2, 3, 4, 6, 8, 12, 16, 32, 64),
)  # fmt: skip
TRANSLATION_MEMORY = Counter(
    "newsflow_translation_memory_sentences", "Translated sentences by whether the translation memory answered.",
    ["result"],
)  # fmt: skip


def record_translation_batch(sentences: int, articles: int) -> None:
    TRANSLATE_BATCH_SENTENCES.observe(sentences)
    TRANSLATE_BATCH_ARTICLES.observe(articles)


def record_translation_memory(hits: int, misses: int) -> None:
    TRANSLATION_MEMORY.labels("hit").inc(hits)
    TRANSLATION_MEMORY.labels("miss").inc(misses)


def record_stage(stage: str, outcome: str, seconds: float) -> None:
    STAGE_SECONDS.labels(stage).observe(seconds)
    STAGE_OUTCOMES.labels(stage, outcome).inc()


def serve_worker_metrics(port: int) -> None:
    from prometheus_client import multiprocess, start_http_server

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    start_http_server(port, registry=registry)


class DeploymentCollector:
    """Read from Redis at scrape time."""

    def __init__(self, gateway, client: redis.Redis, settings: Settings) -> None:
        self._gateway, self._redis, self._settings = gateway, client, settings

    def collect(self):
        s = self._settings
        depth = GaugeMetricFamily("newsflow_queue_depth", "Messages waiting in each stage queue.", labels=["stage"])
        for stage, waiting in self._gateway.queue_depths().items():
            depth.add_metric([stage], waiting)
        yield depth
        yield GaugeMetricFamily("newsflow_in_flight_articles", "Accepted articles neither published nor dead-lettered.",
                                value=self._redis.zcard(self._gateway.keys.in_flight()))  # fmt: skip
        yield GaugeMetricFamily("newsflow_dead_letters", "Dead letters waiting in the dead-letter stream.",
                                value=self._redis.xlen(s.dead_letter_stream))  # fmt: skip
        yield CounterMetricFamily("newsflow_published_articles", "Records added to the output stream, ever.",
                                  value=self._added(s.output_stream))  # fmt: skip
        yield CounterMetricFamily("newsflow_dead_lettered_articles", "Dead letters added, ever.",
                                  value=self._added(s.dead_letter_stream))  # fmt: skip

    def _added(self, stream: str) -> int:
        """Entries ever added to a stream (Redis 7 counts them; before it, the length is the best there is)."""
        try:
            info = self._redis.xinfo_stream(stream)
        except redis.ResponseError:  # no such stream yet
            return 0
        return info.get("entries-added", info["length"])


class GatewayMetrics:
    def __init__(self, gateway, client: redis.Redis, settings: Settings) -> None:
        self.registry = CollectorRegistry()
        self.submitted = Counter(
            "newsflow_gateway_articles", "Articles submitted over HTTP, by result: queued, duplicate, invalid, refused.",
            ["result"], registry=self.registry,
        )  # fmt: skip
        self.registry.register(DeploymentCollector(gateway, client, settings))

    def render(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
