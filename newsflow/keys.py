"""Every Redis key newsflow writes, built in one place."""

from __future__ import annotations

from dataclasses import dataclass

from config import Settings


@dataclass(frozen=True)
class Keys:
    prefix: str

    @classmethod
    def from_settings(cls, settings: Settings) -> Keys:
        return cls(settings.key_prefix)

    def seen(self, article_id: str) -> str:
        """Ingest's duplicate marker, alive for the dedup window."""
        return f"{self.prefix}:seen:{article_id}"

    def body(self, article_id: str) -> str:
        """A raw body too large to travel inside a message."""
        return f"{self.prefix}:body:{article_id}"

    def published(self, article_id: str, pipeline_version: str) -> str:
        """Publish's idempotency marker; its value is the output stream entry id."""
        return f"{self.prefix}:published:{pipeline_version}:{article_id}"

    def dead_letter_input(self, token: str) -> str:
        return f"{self.prefix}:dlq-input:{token}"

    def dead_lettered(self, article_id: str, stage: str, pipeline_version: str) -> str:
        """Marks that an article has its dead letter for a stage: a redelivered failure adds no second one."""
        return f"{self.prefix}:dead-lettered:{pipeline_version}:{stage}:{article_id}"

    def worker_losses(self, task_id: str) -> str:
        """How often a pool process died while it held this task's message."""
        return f"{self.prefix}:worker-losses:{task_id}"

    def in_flight(self) -> str:
        """Sorted set of accepted articles not yet published or dead-lettered, scored by when they were queued."""
        return f"{self.prefix}:in-flight"

    def in_flight_message(self, article_id: str) -> str:
        """The ingest message of an article in flight, to queue it again if the broker lost it."""
        return f"{self.prefix}:in-flight:{article_id}"

    def stage(self, article_id: str) -> str:
        """The stage an article in flight last entered, for status queries."""
        return f"{self.prefix}:stage:{article_id}"

    def reconcile_lock(self) -> str:
        return f"{self.prefix}:reconcile-lock"

    def health(self, token: str) -> str:
        return f"{self.prefix}:health:{token}"
