"""Stages run in this process on files, without Redis: `newsflow extract|translate|tag PATH...`."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from rich.console import Console

from config import Settings
from newsflow.errors import NewsflowError
from newsflow.ids import article_id
from newsflow.resources import Resources
from newsflow.schema import IngestedArticle
from newsflow.stages import Pipeline
from workers.cli.files import NOTHING_FOUND, articles


def run_stages(settings: Settings, pipeline: Pipeline, paths: Iterable[Path], until: str,
               emit: Callable[[dict[str, Any]], None], console: Console) -> bool:  # fmt: skip
    """Each article through the stages up to ``until``; failures are reported, not raised. True when all went well."""
    chosen = pipeline.until(until)
    res, failed = Resources(settings), False
    loaded = {stage.name: stage.load(res) for stage in chosen}
    found = 0
    for item in articles(paths, on_skip=lambda reason: console.print(f"skipped {reason}")):
        found += 1
        if item.raw is None:
            console.print(f"[red]invalid[/red] {item.error}")
            failed = True
            continue
        record: BaseModel = IngestedArticle.from_raw(item.raw, article_id(item.raw))
        try:
            for stage in chosen:
                record = stage.apply(stage.reads.model_validate(record.model_dump(mode="json")), loaded[stage.name])
        except NewsflowError as exc:
            console.print(f"[red]failed[/red] {item.origin}: {type(exc).__name__}: {exc}")
            failed = True
            continue
        emit(record.model_dump(mode="json"))
    if not found:
        console.print(f"[red]nothing to process[/red]: {NOTHING_FOUND}")
    return found > 0 and not failed
