"""Commands for operators: `status`, `stories`, `doctor`, `health`, `tail`, and `schema` for producers and consumers."""

from __future__ import annotations

import dataclasses
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import orjson
import typer

from config import get_settings
from workers.cli.shell import ExitCode, configured, err, stop, write_json

app = typer.Typer()


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object instead of a table.")] = False,
) -> None:
    """Queue depth and consuming workers per stage, dead letters, articles in flight, published in the last minute,
    live stories, joins against new stories and the share of copies."""
    from newsflow.state.client import connect
    from workers.cli.deployment import deployment_status
    from workers.runtime.app import create_app

    settings = configured()
    celery_app = create_app(settings)
    found = deployment_status(celery_app, connect(settings), settings)
    if as_json:
        write_json(dataclasses.asdict(found))
        return
    print(f"{'stage':<10} {'queued':>8}  workers")
    for stage, depth in found.queue_depths.items():
        print(f"{stage:<10} {depth:>8}  {', '.join(found.workers[stage]) or 'NONE'}")
    print(f"in flight {found.in_flight} ({found.in_flight_bytes:,} bytes); dead letters {found.dead_letters}; "
          f"published in the last minute {found.published_last_minute}")  # fmt: skip
    stories = found.stories
    copies = f"{stories.duplicates / stories.articles:.1%}" if stories.articles else "none yet"
    print(f"live stories {stories.live}; articles placed {stories.articles}: {stories.joined} joined a story, "
          f"{stories.started} started one; copies {copies}")  # fmt: skip


_SPANS = {"m": 60, "h": 3600, "d": 86400}


def _since(value: str | None) -> float | None:
    """Unix seconds from a span back from now (`90m`, `6h`, `2d`) or an ISO 8601 time."""
    if value is None:
        return None
    if value[:-1].isdigit() and value[-1] in _SPANS:
        return time.time() - int(value[:-1]) * _SPANS[value[-1]]
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is neither a span (90m, 6h, 2d) nor an ISO 8601 time") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


@app.command()
def stories(
    since: Annotated[
        str | None, typer.Option(help="Only stories with an article since then: 90m, 6h, 2d, or an ISO time.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="At most this many, the latest first.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per story (JSONL).")] = False,
) -> None:
    """Live stories, the latest first: title, size, languages, sources, countries, first and last seen."""
    from newsflow.state.client import connect
    from newsflow.state.stories import StoryIndex

    settings = configured()
    found = StoryIndex(connect(settings), settings).live(_since(since), limit)
    for story in found:
        if as_json:
            write_json(story.model_dump(mode="json", exclude={"members"}))
        else:
            print(f"{story.id}  {story.size:>4}  {','.join(story.languages):<8} {story.last_seen:%Y-%m-%d %H:%M}  "
                  f"{story.title or '(no title)'}\n{'':>24}sources {', '.join(story.sources) or '-'}; "
                  f"countries {', '.join(story.countries) or '-'}; first seen {story.first_seen:%Y-%m-%d %H:%M}")  # fmt: skip
    if not found and not as_json:
        err.print("no live stories" + (f" since {since}" if since else ""))


@app.command()
def doctor() -> None:
    """Check Redis (reachable, AOF, noeviction, maxmemory; a password, and newsflow on a user of its own without
    admin commands), the models, and versions. Exit 1 when a check fails."""
    from workers.cli.deployment import doctor as run_checks

    checks = run_checks(get_settings())
    colour = {"ok": "green", "warn": "yellow", "fail": "red"}
    for check in checks:
        err.print(f"[{colour[check.verdict]}]{check.verdict:<4}[/{colour[check.verdict]}] {check.name}: {check.detail}")
    raise stop(ExitCode.FAILED if any(c.verdict == "fail" for c in checks) else ExitCode.OK)


@app.command()
def health(
    nodes: Annotated[
        list[str] | None, typer.Argument(help="Worker node names (default: every node that answers a ping).")
    ] = None,
    timeout_s: Annotated[float, typer.Option("--timeout", help="Seconds each node has to run the check.")] = 10,
) -> None:
    """Check that workers consume: each runs a task sent to its own queue. Exit 0 when all do."""
    from newsflow.state.client import connect
    from newsflow.state.keys import Keys
    from workers.runtime.app import create_app
    from workers.runtime.health import consumes

    settings = configured()
    celery_app, client = create_app(settings), connect(settings)
    answering = sorted(name for reply in celery_app.control.ping(timeout=1.0) for name in reply)
    if not answering:
        raise stop(ExitCode.FAILED, "[red]no worker answered[/red]")
    unknown = sorted(set(nodes or ()) - set(answering))
    if unknown:
        raise stop(ExitCode.FAILED, f"[red]no worker named {', '.join(unknown)}[/red] answered; the workers that did: "
                   f"{', '.join(answering)}")  # fmt: skip
    nodes = nodes or answering
    results = {node: consumes(celery_app, client, Keys.from_settings(settings), node, timeout_s) for node in nodes}
    for node, ok in results.items():
        print(f"{node}\t{'consuming' if ok else 'NOT consuming'}")
    raise stop(ExitCode.OK if all(results.values()) else ExitCode.FAILED)


@app.command()
def tail(
    group: Annotated[str, typer.Option(help="Consumer group; each group sees every record once.")] = "newsflow-tail",
    consumer: Annotated[str, typer.Option(help="Consumer name within the group.")] = "cli",
    from_start: Annotated[bool, typer.Option(help="A new group starts at the oldest record, not the newest.")] = False,
    count: Annotated[int, typer.Option(help="Stop after this many records (0: no limit).")] = 0,
    idle_s: Annotated[
        float, typer.Option("--idle", help="Stop after this many seconds without a record (0: never).")
    ] = 0,
) -> None:
    """Follow the output stream through a consumer group, printing records as JSONL and acknowledging them."""
    from newsflow.state.client import connect
    from newsflow.state.streams import follow

    settings = configured()
    for record in follow(connect(settings), settings.output_stream, group, consumer, from_start, count, idle_s):
        write_json(record)
        sys.stdout.flush()


@app.command()
def schema(folder: Annotated[Path, typer.Argument()] = Path("schemas")) -> None:
    """Write the JSON Schema of every record type into FOLDER."""
    from newsflow.schema import SCHEMA_VERSION, SCHEMAS, json_schema

    folder.mkdir(parents=True, exist_ok=True)
    for name in SCHEMAS:
        path = folder / f"{name}.v{SCHEMA_VERSION}.json"
        path.write_bytes(orjson.dumps(json_schema(name), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n")
        err.print(f"wrote {path}")
