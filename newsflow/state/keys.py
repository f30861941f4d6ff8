"""Every Redis name newsflow reads or writes: queues (with kombu's priority lists), streams, markers, the ledger,
the translation memory. Nothing else composes a key."""

from __future__ import annotations

from dataclasses import dataclass

from kombu.transport import redis as kombu_redis

from config import Settings

# kombu keeps one Redis list per priority step and names them with Channel._q_for_pri, which reads only class
# attributes (its separator and steps): a bare instance, never connected, answers with kombu's own names.
_KOMBU_CHANNEL = kombu_redis.Channel.__new__(kombu_redis.Channel)


@dataclass(frozen=True)
class Keys:
    prefix: str
    output_stream: str
    dead_letter_stream: str

    @classmethod
    def from_settings(cls, settings: Settings) -> Keys:
        return cls(settings.key_prefix, settings.output_stream, settings.dead_letter_stream)

    def queue(self, stage: str) -> str:
        """The broker queue (and its exchange and routing key) of a stage."""
        return f"{self.prefix}.{stage}"

    def queue_stage(self, queue: str) -> str:
        """The stage whose queue is ``queue`` (a worker's own queue or an unknown one comes back as it is)."""
        return queue.removeprefix(f"{self.prefix}.")

    def queue_lists(self, stage: str) -> list[str]:
        """The Redis lists that hold a stage queue's messages, one per kombu priority step."""
        return [_KOMBU_CHANNEL._q_for_pri(self.queue(stage), step) for step in kombu_redis.PRIORITY_STEPS]

    def seen(self, article_id: str, digest: str) -> str:
        """Ingest's duplicate marker of one content under an id, alive for the dedup window."""
        return f"{self.prefix}:seen:{article_id}:{digest}"

    def versions(self, article_id: str) -> str:
        """Hash of the story's versions: each content digest's version number, and ``latest``."""
        return f"{self.prefix}:versions:{article_id}"

    def body(self, article_id: str, version: int) -> str:
        """A raw body too large to travel inside a message."""
        return f"{self.prefix}:body:{article_id}:{version}"

    def published(self, article_id: str, pipeline_version: str, version: int) -> str:
        """Publish's idempotency marker of one version of an article; its value is the output stream entry id."""
        return f"{self.prefix}:published:{pipeline_version}:{article_id}:{version}"

    def published_count(self, bucket: int) -> str:
        """How many records publish added in one 10-second bucket (for "published in the last minute")."""
        return f"{self.prefix}:published-count:{bucket}"

    def dead_letter_input(self, token: str) -> str:
        return f"{self.prefix}:dlq-input:{token}"

    def dead_lettered(self, article_id: str, stage: str, pipeline_version: str, version: int) -> str:
        """Marks that a version of an article has its dead letter for a stage: a redelivered failure adds no second."""
        return f"{self.prefix}:dead-lettered:{pipeline_version}:{stage}:{article_id}:{version}"

    def worker_losses(self, task_id: str) -> str:
        """How often a pool process died while it held this task's message."""
        return f"{self.prefix}:worker-losses:{task_id}"

    def in_flight(self) -> str:
        """Sorted set of accepted articles not yet published or dead-lettered, scored by when they were queued."""
        return f"{self.prefix}:in-flight"

    def in_flight_bytes(self) -> str:
        """Hash: the bytes each in-flight article holds (RawArticle.size), and their sum under ``*``."""
        return f"{self.prefix}:in-flight-bytes"

    def in_flight_message(self, article_id: str) -> str:
        """The ingest message of an article in flight, to queue it again if the broker lost it."""
        return f"{self.prefix}:in-flight:{article_id}"

    def stage(self, article_id: str) -> str:
        """The stage an article in flight last entered, for status queries."""
        return f"{self.prefix}:stage:{article_id}"

    def story(self, story_id: str) -> str:
        """Hash of a live story's state: centroid, names, countries, languages, sources, title, times, size."""
        return f"{self.prefix}:story:{story_id}"

    def story_members(self, story_id: str) -> str:
        """List of a story's latest articles (a short summary each), newest first, capped."""
        return f"{self.prefix}:story-members:{story_id}"

    def stories(self) -> str:
        """Sorted set of live stories by when their last article joined."""
        return f"{self.prefix}:stories"

    def story_index(self, term: str) -> str:
        """Sorted set of the stories that hold a name or country, by when they last saw an article; capped."""
        return f"{self.prefix}:story-index:{term}"

    def story_of(self, article_id: str) -> str:
        """The story an article (any version) belongs to."""
        return f"{self.prefix}:story-of:{article_id}"

    def story_assignment(self, pipeline_version: str, article_id: str, version: int) -> str:
        """What the cluster stage decided for one version of an article: a redelivery gets the same answer."""
        return f"{self.prefix}:story-assignment:{pipeline_version}:{article_id}:{version}"

    def language_mean(self, language: str) -> str:
        """Hash of the running sum and count of one language's article vectors (the cluster stage's centring)."""
        return f"{self.prefix}:language-mean:{language}"

    def story_lock(self) -> str:
        return f"{self.prefix}:story-lock"

    def story_counts(self) -> str:
        """Hash of the cluster stage's counters: articles, started, joined, duplicates."""
        return f"{self.prefix}:story-counts"

    def copy_digest(self, digest: str) -> str:
        """The first article seen with exactly this normalised text."""
        return f"{self.prefix}:copy-digest:{digest}"

    def copy_band(self, band: int, value: str) -> str:
        """Set of the articles whose MinHash signature has this value in this band."""
        return f"{self.prefix}:copy-band:{band}:{value}"

    def copy_signature(self, article_id: str) -> str:
        return f"{self.prefix}:copy-signature:{article_id}"

    def message_holders(self) -> str:
        """Hash of every unacknowledged broker message (kombu's delivery tag) to the worker process holding it."""
        return f"{self.prefix}:message-holders"

    def heartbeat(self, holder: str) -> str:
        """Alive while the worker process ``holder`` beats; it expires three beats after the last."""
        return f"{self.prefix}:heartbeat:{holder}"

    def replication_probe(self) -> str:
        """The one key newsflow writes to learn that every write before it reached the replicas (WAIT)."""
        return f"{self.prefix}:replication-probe"

    def reconcile_lock(self) -> str:
        return f"{self.prefix}:reconcile-lock"

    def health(self, token: str) -> str:
        return f"{self.prefix}:health:{token}"

    def translation(self, route: str, source: str, target: str, digest: str) -> str:
        """One sentence in the translation memory: who translated it (backend:model), the pair, the sentence's hash."""
        return f"{self.prefix}:tm:{route}:{source}:{target}:{digest}"
