"""What every `newsflow` command shares: exit codes, the error console, JSON output, the settings."""

from __future__ import annotations

import sys
from enum import IntEnum
from pathlib import Path
from typing import IO, Annotated, Any

import orjson
import typer
from rich.console import Console

from config import Settings, get_settings


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1
    USAGE = 2
    UNAVAILABLE = 3
    BACKPRESSURE = 4
    INTERRUPTED = 130
    TERMINATED = 143


MEANINGS = {
    ExitCode.OK: "all went well",
    ExitCode.FAILED: "some input was invalid or dead-lettered, a check failed, a worker did not consume, "
    "or an id is unknown",
    ExitCode.USAGE: "a bad option or argument, a missing or invalid setting, or models that cannot load",
    ExitCode.UNAVAILABLE: "Redis unreachable or not configured, or the job timed out",
    ExitCode.BACKPRESSURE: "a stage queue is full: nothing more was submitted, try later",
    ExitCode.INTERRUPTED: "interrupted (Ctrl-C)",
    ExitCode.TERMINATED: "stopped by SIGTERM",
}
EXIT_CODES_HELP = "Exit codes: " + "; ".join(f"{int(code)} {meaning}" for code, meaning in MEANINGS.items()) + "."

err = Console(stderr=True, soft_wrap=True)  # long reasons stay on one line, greppable
Paths = Annotated[list[Path], typer.Argument(help="Files or folders: .html .htm .txt .json .jsonl")]


def write_json(record: dict[str, Any], out: IO[bytes] | None = None, pretty: bool = False) -> None:
    """One record per line (JSONL), or indented for a person to read."""
    (out or sys.stdout.buffer).write(orjson.dumps(record, option=orjson.OPT_INDENT_2 if pretty else 0) + b"\n")


def stop(code: ExitCode, message: str | None = None) -> typer.Exit:
    """Print ``message`` (rich markup) on stderr; the exception to raise for ``code``."""
    if message:
        err.print(message)
    return typer.Exit(int(code))


def configured() -> Settings:
    """The settings of a command that talks to a deployment: NEWSFLOW_REDIS_URL must be set."""
    settings = get_settings()
    if settings.redis_url is None:
        raise stop(ExitCode.UNAVAILABLE, "[red]NEWSFLOW_REDIS_URL is not set[/red] (only `newsflow process` starts a "
                   "private Redis)")  # fmt: skip
    return settings


def secure(settings: Settings) -> Settings:
    """The settings of a worker or the gateway: refused where Redis is outside loopback and asks for no password."""
    if not (settings.redis_is_local or settings.redis_has_password or settings.allow_insecure_redis):
        raise stop(ExitCode.USAGE, "[red]NEWSFLOW_REDIS_URL names a Redis outside this host with no password[/red]: "
                   "anyone who can reach it can read and delete every article. Give it a password (README: Redis "
                   "users), or set NEWSFLOW_ALLOW_INSECURE_REDIS=true on a network you trust.")  # fmt: skip
    return settings
