"""The one settings object: environment variables (prefix ``NEWSFLOW_``) over an optional TOML file.

Read once per process through :func:`get_settings`; everything else receives it as a parameter.
The file is named by ``NEWSFLOW_CONFIG``; ``config/newsflow.example.toml`` lists every key.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from difflib import get_close_matches
from functools import lru_cache
from ipaddress import ip_address, ip_network
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from newsflow.errors import NotConfigured

_REDIS_SCHEMES = ("redis://", "rediss://", "unix://", "sentinel://")
GATEWAY_TOKEN_MIN_CHARS = 32
TranslateBackend = Literal["ctranslate2", "libretranslate", "gloss"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NEWSFLOW_", extra="forbid", frozen=True)

    redis_url: SecretStr | None = Field(
        None,
        description="Broker and state Redis, e.g. redis://:password@host:6379/0, or its Redis Sentinel set, e.g. "
        "sentinel://:password@s1:26379/0;sentinel://s2:26379;sentinel://s3:26379 (the password is the master's). "
        "Unset: `newsflow process` starts a private one.",
    )
    redis_sentinel_master: str | None = Field(
        None, description="With a sentinel:// NEWSFLOW_REDIS_URL: the name the sentinels monitor the master under."
    )
    redis_sentinel_password: SecretStr | None = Field(
        None, description="Password of the sentinels themselves, where they require one (their `requirepass`)."
    )
    redis_min_replicas: int | None = Field(
        None,
        ge=0,
        le=10,
        description="Replicas that must confirm (WAIT) every write newsflow relies on before it counts as done. "
        "Unset: 1 with Redis Sentinel, 0 with one Redis.",
    )
    redis_confirm_timeout_ms: int = Field(
        5000,
        ge=10,
        le=60_000,
        description="How long a write waits for its replicas' confirmation (WAIT) before it fails and is tried again "
        "later; while no replica is in sync (a failover, a replica restarting) each write waits this long.",
    )
    worker_heartbeat_s: float = Field(
        5,
        ge=0.5,
        le=60,
        description="A worker process that holds messages beats this often in Redis; three beats missed, any worker "
        "queues its messages again.",
    )
    key_prefix: str = Field("newsflow", description="Prefix of every Redis key and queue name newsflow writes.")
    output_stream: str = Field("newsflow:articles", description="Stream that receives published articles.")
    output_stream_maxlen: int = Field(1_000_000, ge=1000, description="Approximate cap on the output stream length.")
    output_stream_max_age_s: int = Field(
        7 * 86400, ge=3600, description="Records older than this leave the output stream (besides the length cap)."
    )
    dead_letter_stream: str = Field("newsflow:dead-letters", description="Stream that receives dead letters.")
    dead_letter_retention_s: int = Field(
        14 * 86400, ge=3600, description="How long a dead letter's input is kept for replay."
    )
    pipeline_version: str = Field(
        "1", description="Publish is idempotent per (article id, article version, pipeline version)."
    )
    pipeline: str = Field(
        "newsflow.stages:PIPELINE",
        pattern=r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$",
        description="The stages, as `module:attribute` naming a newsflow.stages.Pipeline; a deployment's own "
        "stage goes in a pipeline of its own (README: Adding a stage). Every worker, gateway and CLI reads the same.",
    )
    published_marker_ttl_s: int = Field(
        30 * 86400, ge=3600, description="How long publish remembers an (id, version) it wrote."
    )

    dedup_window_s: int = Field(
        86400,
        ge=0,
        description="A version submitted again within this window, while still in flight, is a duplicate. 0 disables "
        "that; a version already published is a duplicate whatever the window.",
    )
    max_body_bytes: int = Field(
        5_000_000, ge=1024, description="Largest raw html/text accepted at ingest (UTF-8 bytes)."
    )
    inline_body_max_bytes: int = Field(
        65_536, ge=1024, description="Raw bodies above this travel as a Redis key, not in the message."
    )
    body_ttl_s: int = Field(86400, ge=600, description="Lifetime of a raw body stored by reference.")

    visibility_timeout_s: int = Field(
        3600,
        ge=5,
        description="Redis transport visibility timeout: unacked tasks are redelivered after it, the last resort "
        "(a dead worker's return once its heartbeat lapses).",
    )
    task_time_limit_s: int = Field(300, ge=5, description="Hard per-task limit; the pool process is killed past it.")
    max_retries: int = Field(
        5, ge=0, le=20, description="Retries of a transient failure before the article is dead-lettered."
    )
    retry_backoff_max_s: int = Field(300, ge=1, description="Upper bound of the exponential retry back-off.")
    max_deliveries: int = Field(
        3,
        ge=1,
        le=20,
        description="Deliveries of one message whose worker process dies each time before it is dead-lettered.",
    )
    reconcile_after_s: int = Field(
        1800,
        ge=10,
        description="An accepted article neither published nor dead-lettered after this long is presumed lost by the "
        "broker and queued again (a repeat costs work, never a second record); keep it above the longest backlog.",
    )
    max_queue_depth: int = Field(
        10_000, ge=10, description="Ingest answers 'try later' while a stage queue holds more messages than this."
    )
    max_queue_bytes: int = Field(
        500_000_000,
        ge=100_000,
        description="Ingest answers 'try later' while the articles accepted and not yet published or dead-lettered "
        "add up to more than this (UTF-8 bytes, as RawArticle.size counts them). Redis holds each about three times "
        "on its way (README: Sizing): keep maxmemory well above.",
    )
    ingest_batch_max: int = Field(
        100, ge=1, le=10_000, description="Most raw articles in one `newsflow.ingest` task's argument (a list)."
    )
    ingest_backlog_retries: int = Field(
        8,
        ge=0,
        le=30,
        description="Times a `newsflow.ingest` task waits for a stage queue over NEWSFLOW_MAX_QUEUE_DEPTH to drain "
        "(back-off doubling from 2 s up to NEWSFLOW_RETRY_BACKOFF_MAX_S) before its articles are dead letters with "
        "reason `backlog`.",
    )
    story_ttl_days: float = Field(
        4, gt=0, le=90, description="A story closes this long after its last article; its state then leaves Redis."
    )
    story_threshold: float = Field(
        0.8,
        ge=-1,
        le=2,
        description="Least score (benchmarks/results/stories.md) for an article to join a live story that has an "
        "article in its language.",
    )
    story_cross_threshold: float = Field(
        0.4,
        ge=-1,
        le=2,
        description="Least score for an article to join a live story in other languages only (with a name, a name's "
        "sound or a country in common).",
    )
    story_unlinked_threshold: float = Field(
        2.0,
        ge=-1,
        le=2,
        description="Least score for an article to join a live story in other languages only with no name, sound "
        "or country in common (2: never).",
    )
    duplicate_threshold: float = Field(
        0.5, gt=0, le=1, description="Least estimated share of word 5-grams for an article to count as a near copy."
    )
    task_events: bool = Field(False, description="Send Celery task events (Flower needs them; they cost throughput).")
    task_sent_events: bool = Field(
        False,
        description="Also send task-sent events when a task is queued (Flower then shows queued tasks); one more "
        "Redis publish per hop.",
    )
    max_tasks_per_child: int = Field(
        10_000, ge=1, description="A pool process is replaced after this many tasks (each start reloads models)."
    )
    max_memory_per_child_mb: int = Field(
        1024, ge=64, description="A pool process is replaced after a task that leaves it above this resident size."
    )
    model_load_timeout_s: float = Field(
        300, gt=0, description="How long a worker process may take to load its stage's models at start before it "
        "counts as failed.",
    )  # fmt: skip

    target_language: str = Field("en", pattern=r"^[a-z]{2,3}$", description="Language articles are translated into.")
    models_dir: Path = Field(
        Path("~/.local/share/newsflow/models"),
        description="Where `newsflow models install` unpacks translation models and the tag stage's encoder is converted "
        "(the image uses /opt/newsflow/models).",
    )
    translate_backends: Annotated[tuple[TranslateBackend, ...], NoDecode] = Field(
        ("ctranslate2", "gloss"),
        description="Translation backends in order of preference, comma-separated: for each article the first that "
        "serves its language pair translates it. `ctranslate2`: the installed models; `libretranslate`: a "
        "LibreTranslate server; `gloss`: the word-by-word fallback shipped with newsflow (Arabic). Empty: none.",
    )
    translate_device: Literal["auto", "cpu", "cuda"] = Field(
        "auto", description="Where CTranslate2 models run. `auto`: a GPU when CTranslate2 sees one."
    )
    translate_compute_type: str = Field(
        "default",
        description="CTranslate2 compute type: int8, int8_float16, float16, float32... `default`: as the model "
        "was converted.",
    )
    translate_threads: int = Field(
        0, ge=0, description="CPU threads per CTranslate2 model on CPU. 0: every core the process may use."
    )
    translate_batch_size: int = Field(
        32, ge=1, le=4096, description="Most sentences in one model batch (a GPU worker takes more, e.g. 256)."
    )
    translate_batch_wait_ms: int = Field(
        20,
        ge=0,
        le=5000,
        description="How long a translate worker waits for sentences of other queued articles to fill a batch.",
    )
    translate_articles_in_flight: int = Field(
        8,
        ge=1,
        le=256,
        description="Articles a translate-only worker (threads pool) holds at once; their sentences "
        "share model batches.",
    )
    translate_max_tokens: int = Field(
        256, ge=8, le=4096, description="Longest translation of one sentence, in tokens; longer input is cut."
    )
    translation_memory_ttl_s: int = Field(
        30 * 86400, ge=0, description="Lifetime of a sentence in the Redis translation memory. 0: no memory."
    )
    libretranslate_url: str | None = Field(None, description="LibreTranslate server, e.g. http://libretranslate:5000.")
    libretranslate_api_key: SecretStr | None = Field(None, description="LibreTranslate API key, where it needs one.")
    libretranslate_timeout_s: float = Field(30.0, gt=0, description="Per-request timeout to LibreTranslate.")
    libretranslate_retries: int = Field(
        3, ge=0, le=10, description="Retries of a LibreTranslate request after a timeout or a 5xx/429 answer."
    )
    max_html_elements: int = Field(
        100_000,
        ge=1000,
        description="Extract refuses HTML with more elements than this (an HTML bomb must not stall a worker).",
    )
    max_html_depth: int = Field(200, ge=20, le=250, description="Extract refuses HTML nested deeper than this.")
    min_body_chars: int = Field(
        80, ge=0, description="A body shorter than this after extraction is a permanent failure."
    )
    min_place_population: int = Field(100_000, ge=0, description="Smallest city the gazetteer loads.")
    tag_max_chars: int = Field(
        20_000,
        ge=1000,
        description="Tag reads at most this many characters of the body and of each carried story: the "
        "statistical taggers' cost grows with length (names further on are not tagged).",
    )
    tag_device: Literal["auto", "cpu", "cuda"] = Field(
        "auto", description="Where the tag stage's encoder runs. `auto`: a GPU when CTranslate2 sees one."
    )
    tag_batch_size: int = Field(
        0,
        ge=0,
        le=4096,
        description="Texts per encoder call, gathered across the articles a tag worker holds at once (the threads "
        "pool, on a GPU: docker-compose.gpu.yml). 0: each article's texts go to the encoder alone (prefork workers).",
    )
    tag_batch_wait_ms: int = Field(
        10,
        ge=0,
        le=5000,
        description="How long a batching tag worker waits for texts of other articles to fill an encoder call.",
    )

    allow_insecure_redis: bool = Field(
        False,
        description="Let workers and the gateway use a Redis outside loopback that asks for no password (a private "
        "network you trust). Unset, they refuse to start.",
    )
    gateway_token: SecretStr | None = Field(
        None,
        description="Bearer token the HTTP gateway requires on /v1/* (at least 32 characters, e.g. `openssl rand "
        "-hex 32`). The gateway refuses to start without one.",
    )
    gateway_max_connections: int = Field(
        4096,
        ge=16,
        le=1_000_000,
        description="Open connections the gateway keeps; a connection beyond them is closed at once. The gateway "
        "raises its open-files limit to fit, or lowers this to what the limit allows.",
    )
    gateway_header_timeout_s: float = Field(
        10, gt=0, le=300, description="A connection that has not sent a whole request head this long is closed."
    )
    gateway_body_timeout_s: float = Field(
        60, gt=0, le=3600, description="A request whose body has not all arrived this long after its head gets 408."
    )
    gateway_keepalive_s: float = Field(
        5, gt=0, le=300, description="An idle keep-alive connection is closed after this."
    )
    gateway_redis_timeout_s: float = Field(
        6,
        gt=0,
        le=120,
        description="Longest a gateway request waits on Redis: past it the request gets 503 with Retry-After, "
        "whatever the other requests are doing. Above NEWSFLOW_REDIS_CONFIRM_TIMEOUT_MS where replicas confirm.",
    )
    gateway_redis_threads: int = Field(
        1,
        ge=1,
        le=64,
        description="Threads the gateway calls Redis from (never from its event loop). On a Redis nearby one is the "
        "fastest (benchmarks/results/gateway.md); raise it where Redis is far: an article takes four round trips.",
    )
    gateway_trusted_proxies: Annotated[tuple[str, ...], NoDecode] = Field(
        (),
        description="Addresses or networks (comma-separated, e.g. 10.0.0.5,172.16.0.0/12) whose X-Forwarded-For and "
        "X-Forwarded-Proto the gateway believes. Empty: it believes no one and logs the peer's own address.",
    )
    gateway_max_request_bytes: int = Field(
        16_000_000, ge=1024, description="Largest HTTP request body the gateway reads (413 above it)."
    )
    gateway_max_batch: int = Field(100, ge=1, le=10_000, description="Most articles in one POST /v1/articles.")
    metrics_port: int = Field(
        0, ge=0, le=65535, description="Port of a worker's Prometheus endpoint (stage durations, outcomes). 0: none."
    )
    metrics_host: str = Field(
        "127.0.0.1",
        description="Address a worker's Prometheus endpoint listens on; it has no authentication, so loopback unless "
        "a scraper on a network you trust needs it (0.0.0.0 inside a container network).",
    )
    log_format: Literal["text", "json"] = Field(
        "text", description="`json`: one JSON object per log line, with article id and stage where there is one."
    )

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: SecretStr | None) -> SecretStr | None:
        # Said without the value: a URL carries the password.
        if value is None:
            return value
        url = value.get_secret_value()
        if not url.startswith(_REDIS_SCHEMES):
            raise ValueError("must be a redis://, rediss:// or unix:// URL, or sentinel:// URLs separated by ;")
        for part in url.split(";"):
            try:
                urlsplit(part.strip()).port  # noqa: B018 - urllib's own error would quote the text around the port
            except ValueError:
                raise ValueError("has a port that is not a number (in a password, write / ? # @ : as %2F %3F %23 %40 "
                                 "%3A)") from None  # fmt: skip
        return value

    @field_validator("gateway_token")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < GATEWAY_TOKEN_MIN_CHARS:
            raise ValueError(f"must be at least {GATEWAY_TOKEN_MIN_CHARS} characters (e.g. `openssl rand -hex 32`)")
        return value

    @field_validator("gateway_trusted_proxies", mode="before")
    @classmethod
    def _proxies(cls, value: object) -> object:
        addresses = tuple(v.strip() for v in value.split(",") if v.strip()) if isinstance(value, str) else value
        for address in addresses if isinstance(addresses, tuple) else ():
            try:
                ip_network(address, strict=False)
            except ValueError:
                raise ValueError(f"{address!r} is not an IP address or network") from None
        return addresses

    @property
    def redis_is_local(self) -> bool:
        """Redis on a unix socket or a loopback address (where no one else can reach it without this host)."""
        if self.redis_url is None:
            return True
        url = self.redis_url.get_secret_value()
        if url.startswith("unix://"):
            return True
        return all(_loopback(urlsplit(part.strip()).hostname) for part in url.split(";") if part.strip())

    @property
    def redis_has_password(self) -> bool:
        return self.redis_url is not None and any(
            urlsplit(part.strip()).password for part in self.redis_url.get_secret_value().split(";")
        )

    @property
    def sentinel(self) -> bool:
        return self.redis_url is not None and self.redis_url.get_secret_value().startswith("sentinel://")

    @property
    def replicas_to_confirm(self) -> int:
        if self.redis_min_replicas is not None:
            return self.redis_min_replicas
        return 1 if self.sentinel else 0

    @property
    def heartbeat_lapse_s(self) -> float:
        return 3 * self.worker_heartbeat_s

    @field_validator("translate_backends", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        return tuple(v.strip() for v in value.split(",") if v.strip()) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _limits_below_visibility_timeout(self) -> Settings:
        # A task still running (or waiting out a countdown) past the visibility timeout is delivered a second time.
        for name in ("task_time_limit_s", "retry_backoff_max_s"):
            if getattr(self, name) >= self.visibility_timeout_s:
                raise ValueError(f"{name} must be below visibility_timeout_s ({self.visibility_timeout_s})")
        # A running task, or a dead worker's message before the heartbeat sweep returns it, must not be queued again.
        least = self.task_time_limit_s + self.heartbeat_lapse_s
        if self.reconcile_after_s <= least:
            raise ValueError(f"reconcile_after_s must be above task_time_limit_s + 3 heartbeats ({least:g})")
        if self.sentinel and not self.redis_sentinel_master:
            raise ValueError("a sentinel:// redis_url needs redis_sentinel_master")
        if self.replicas_to_confirm and self.gateway_redis_timeout_s * 1000 <= self.redis_confirm_timeout_ms:
            raise ValueError("gateway_redis_timeout_s must be above redis_confirm_timeout_ms while replicas confirm")
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = os.environ.get("NEWSFLOW_CONFIG")
        if config_file:
            path = Path(config_file)
            if not path.is_file():
                raise NotConfigured(f"NEWSFLOW_CONFIG names {path}, which is not a file")
            try:
                sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
            except tomllib.TOMLDecodeError as exc:
                raise NotConfigured(f"NEWSFLOW_CONFIG names {path}, which is not valid TOML: {exc}") from None
        return tuple(sources)


def _loopback(host: str | None) -> bool:
    if host in (None, "", "localhost"):
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:  # a name: only the resolver knows
        return False


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read and validated on first use."""
    return Settings()


def unknown_variables(environ: Mapping[str, str]) -> list[str]:
    """A line for each NEWSFLOW_* variable that names no setting (a typo would otherwise be ignored in silence)."""
    known = {f"NEWSFLOW_{name.upper()}" for name in Settings.model_fields} | {"NEWSFLOW_CONFIG"}
    lines = []
    for name in sorted(n for n in environ if n.startswith("NEWSFLOW_") and n not in known):
        close = get_close_matches(name, known, n=1)
        lines.append(f"{name} is not a newsflow setting" + (f"; did you mean {close[0]}?" if close else ""))
    return lines
