"""Stages run in this process on files, without Redis: `newsflow extract|translate|tag PATH...`."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from rich.console import Console

from config import STAGES
from newsflow.errors import NewsflowError
from newsflow.ids import article_id
from newsflow.schema import IngestedArticle
from workers.boot import resources
from workers.inputs import read_inputs


def run_stages(paths: Iterable[Path], until: str, emit: Callable[[dict], None], console: Console) -> int:
    """Each article through the stages up to ``until``; failures are reported, not raised. Returns an exit code."""
    import tasks.extract
    import tasks.tag
    import tasks.translate

    runners = {"extract": tasks.extract.run, "translate": tasks.translate.run, "tag": tasks.tag.run}
    chosen = [runners[stage] for stage in STAGES[: STAGES.index(until) + 1]]
    res, failed = resources(), False
    for item in read_inputs(paths):
        if item.raw is None:
            console.print(f"[red]invalid[/red] {item.error}")
            failed = True
            continue
        record = IngestedArticle.from_raw(item.raw, article_id(item.raw)).model_dump(mode="json")
        try:
            for run in chosen:
                record = run(record, res)
        except NewsflowError as exc:
            console.print(f"[red]failed[/red] {item.origin}: {type(exc).__name__}: {exc}")
            failed = True
            continue
        emit(record)
    return 1 if failed else 0
