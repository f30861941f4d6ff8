"""`newsflow dlq`: inspect and replay dead letters."""

from __future__ import annotations

from typing import Annotated

import typer

from newsflow.state.deadletters import DeadLetterStore
from workers.cli.shell import configured, write_json

app = typer.Typer(no_args_is_help=True, help="Inspect and replay dead letters.")


def _store() -> DeadLetterStore:
    from newsflow.state.client import connect

    settings = configured()
    return DeadLetterStore(connect(settings), settings)


@app.command("list")
def dlq_list(count: Annotated[int, typer.Option()] = 100) -> None:
    """Dead letters, oldest first: entry id, stage, article id, error type, reason."""
    for entry_id, letter in _store().list(count):
        print(f"{entry_id}\t{letter.stage}\t{letter.article_id}\t{letter.error_type}\t{letter.reason}")


@app.command("show")
def dlq_show(entry_id: str) -> None:
    """One dead letter and the input it failed on, as JSON. Exit 1 when there is no such letter."""
    letter, message = _store().get(entry_id)
    write_json({"dead_letter": letter.model_dump(mode="json"), "input": message})


@app.command("replay")
def dlq_replay(entry_ids: list[str]) -> None:
    """Send dead letters' inputs back into the stage that failed (and on through the stages after it)."""
    from workers.runtime.app import create_app, dispatcher

    store, dispatch = _store(), dispatcher(create_app(configured()))
    for entry_id in entry_ids:
        letter = store.replay(entry_id, dispatch)
        print(f"{entry_id}\treplayed\t{letter.stage}\t{letter.article_id}")
