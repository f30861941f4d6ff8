"""What `newsflow process` shows a person: a progress bar while it waits, a summary when it is done."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from workers.cli.files import NOTHING_FOUND
from workers.cli.job import Summary


class JobProgress:
    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            TextColumn("articles"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self._task = self._progress.add_task("articles", total=None)

    def update(self, summary: Summary) -> None:
        done = summary.processed + len(summary.dead_letters)
        self._progress.update(self._task, total=summary.submitted, completed=done)

    def __enter__(self) -> JobProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()


def print_summary(console: Console, summary: Summary) -> None:
    console.print(
        f"[bold]processed[/bold] {summary.processed}  [bold]updates[/bold] {len(summary.updates)}  "
        f"[bold]duplicates[/bold] {len(summary.duplicates)}  [bold]skipped[/bold] {len(summary.skipped)}  "
        f"[bold]invalid[/bold] {len(summary.invalid)}  [bold]dead letters[/bold] {len(summary.dead_letters)}"
        + (f"  [bold red]unfinished[/bold red] {len(summary.pending)}" if summary.pending else "")
        + ("  [bold red]interrupted[/bold red]" if summary.interrupted else "")
    )
    if summary.found == 0:
        console.print(f"  [red]nothing to process[/red]: {NOTHING_FOUND}")
    for line in summary.skipped:
        console.print(f"  skipped {line}")
    for line in summary.updates:
        console.print(f"  update: {line}")
    for line in summary.duplicates:
        console.print(f"  duplicate: {line}")
    for line in summary.invalid:
        console.print(f"  [red]invalid[/red]: {line}")
    for letter in summary.dead_letters:
        console.print(
            f"  [red]dead letter[/red] {letter.article_id} at {letter.stage}: {letter.error_type}: {letter.reason}"
        )
    for aid, version in sorted(summary.pending):
        when = "interrupted" if summary.interrupted else "timed out"
        console.print(f"  [red]unfinished[/red] {aid} v{version}: still in the pipeline when the job {when}")
