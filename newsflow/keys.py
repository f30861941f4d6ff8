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
