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
        yield GaugeMetricFamily("newsflow_dead_letters", "Dead letters waiting in the dead-letter stream.",
                                value=found.dead_letters)  # fmt: skip
        yield CounterMetricFamily("newsflow_published_articles", "Records added to the output stream, ever.",
                                  value=found.published_total)  # fmt: skip
        yield CounterMetricFamily("newsflow_dead_lettered_articles", "Dead letters added, ever.",
                                  value=found.dead_lettered_total)  # fmt: skip


class GatewayMetrics:
    def __init__(self, client: redis.Redis, keys: Keys, stages: Sequence[str]) -> None:
        self.registry = CollectorRegistry()
        self.submitted = Counter(
            "newsflow_gateway_articles", "Articles submitted over HTTP, by result: queued, duplicate, invalid, refused.",
            ["result"], registry=self.registry,
        )  # fmt: skip
        self.registry.register(DeploymentCollector(client, keys, stages))

    def render(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
