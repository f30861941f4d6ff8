"""The gateway's Prometheus metrics: its submissions, and the deployment's figures read from Redis at each scrape
(newsflow/state/figures.py), so any one gateway shows the whole deployment."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import redis
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from newsflow.state.figures import read_figures
from newsflow.state.keys import Keys


class DeploymentCollector:
    """Read from Redis at scrape time."""

    def __init__(self, client: redis.Redis, keys: Keys, stages: Sequence[str]) -> None:
        self._redis, self._keys, self._stages = client, keys, stages

    def collect(self) -> Iterator[Metric]:
        found = read_figures(self._redis, self._keys, self._stages)
        depth = GaugeMetricFamily("newsflow_queue_depth", "Messages waiting in each stage queue.", labels=["stage"])
        for stage, waiting in found.queue_depths.items():
            depth.add_metric([stage], waiting)
        yield depth
        yield GaugeMetricFamily("newsflow_in_flight_articles", "Accepted articles neither published nor dead-lettered.",
                                value=found.in_flight)  # fmt: skip
        yield GaugeMetricFamily("newsflow_in_flight_bytes", "Bytes the articles in flight hold, as back-pressure "
                                "counts them (NEWSFLOW_MAX_QUEUE_BYTES).", value=found.in_flight_bytes)  # fmt: skip
        yield GaugeMetricFamily("newsflow_dead_letters", "Dead letters waiting in the dead-letter stream.",
                                value=found.dead_letters)  # fmt: skip
        yield CounterMetricFamily("newsflow_published_articles", "Records added to the output stream, ever.",
                                  value=found.published_total)  # fmt: skip
        yield CounterMetricFamily("newsflow_dead_lettered_articles", "Dead letters added, ever.",
                                  value=found.dead_lettered_total)  # fmt: skip
        stories = found.stories
        yield GaugeMetricFamily("newsflow_live_stories", "Stories with an article within NEWSFLOW_STORY_TTL_DAYS.",
                                value=stories.live)  # fmt: skip
        placed = CounterMetricFamily("newsflow_story_articles", "Articles the cluster stage placed, by whether they "
                                     "joined a live story or started one.", labels=["result"])  # fmt: skip
        placed.add_metric(["joined"], stories.joined)
        placed.add_metric(["started"], stories.started)
        yield placed
        yield CounterMetricFamily("newsflow_duplicate_articles", "Articles that copy an earlier one (exact or near).",
                                  value=stories.duplicates)  # fmt: skip


class GatewayMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.submitted = Counter(
            "newsflow_gateway_articles", "Articles submitted over HTTP, by result: queued, duplicate, invalid, refused.",
            ["result"], registry=self.registry,
        )  # fmt: skip
        self.redis_master_changes = Counter(
            "newsflow_gateway_redis_master_changes", "Times the gateway found the Redis master at a new address "
            "(a Sentinel failover).", registry=self.registry,
        )  # fmt: skip

    def read_deployment(self, client: redis.Redis, keys: Keys, stages: Sequence[str]) -> None:
        self.registry.register(DeploymentCollector(client, keys, stages))

    def render(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
