"""The main job: submit files, wait until each accepted article is published or dead-lettered, collect results."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import redis

from config import Settings
from newsflow.errors import InvalidSubmission, QueueFull, TransientError
from newsflow.schema import DeadLetter, version_of
from newsflow.state.ingest import Ingest
from newsflow.state.output import Publisher
from newsflow.state.streams import Fields, entry_article_id, entry_record, last_entry_id
from workers.cli.files import Input


@dataclass
class Summary:
    found: int = 0  # inputs that were articles, valid or not
    submitted: int = 0
    processed: int = 0
    skipped: list[str] = field(default_factory=list)
    updates: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    pending: set[tuple[str, int]] = field(default_factory=set)  # (article id, version) queued and not out yet
    interrupted: bool = False

    @property
    def ok(self) -> bool:
        return self.found > 0 and not (self.invalid or self.dead_letters or self.pending)


def run_job(
    inputs: Iterable[Input],
    ingest: Ingest,
    client: redis.Redis,
    settings: Settings,
    on_record: Callable[[dict[str, Any]], None],
    on_progress: Callable[[Summary], None] = lambda _: None,
    timeout_s: float = 600,
) -> Summary:
    """Submit every input, then follow the output and dead-letter streams until every article queued is out. A
    duplicate is not waited for: its published record is written at once, where the output stream still has it."""
    # Each stream's last entry read; typed as redis-py's xread takes it (its own key union, invariant in a dict).
    streams: dict[Any, Any] = {
        s: last_entry_id(client, s) for s in (settings.output_stream, settings.dead_letter_stream)
    }
    summary, publisher = Summary(), Publisher(client, settings)

    def follow(block_ms: int) -> None:
        found: Any = client.xread(streams, block=block_ms, count=100)
        for stream, entries in found or []:
            name = stream.decode()
            for entry_id, fields in entries:
                streams[name] = entry_id.decode()
                _collect(summary, name == settings.output_stream, fields, on_record)
        on_progress(summary)

    try:
        for item in inputs:
            if item.skipped:
                summary.skipped.append(item.skipped)
                continue
            summary.found += 1
            if item.raw is None:
                summary.invalid.append(item.error or item.origin)
                continue
            while True:
                try:
                    accepted = ingest.submit(item.raw)
                    break
                except QueueFull:  # back-pressure: collect results while the stages catch up
                    follow(block_ms=500)
                except (InvalidSubmission, TransientError) as exc:
                    summary.invalid.append(f"{item.origin}: {exc}")
                    accepted = None
                    break
            if accepted is None:
                continue
            if accepted.duplicate:
                record = publisher.published_record(accepted.id, accepted.version)
                summary.duplicates.append(f"{item.origin} ({accepted.id} v{accepted.version}, "
                                          f"{'its published record follows' if record else 'not published yet'})")  # fmt: skip
                if record is not None:
                    on_record(record)
                continue
            summary.submitted += 1
            summary.pending.add((accepted.id, accepted.version))
            if accepted.status == "updated":
                summary.updates.append(f"{item.origin} ({accepted.id} v{accepted.version})")
        on_progress(summary)
        deadline = time.monotonic() + timeout_s
        while summary.pending and time.monotonic() < deadline:
            follow(block_ms=500)
    except KeyboardInterrupt:  # Ctrl-C: what was done and what was not is still worth a summary
        summary.interrupted = True
    return summary


def _collect(summary: Summary, published: bool, fields: Fields, on_record: Callable[[dict[str, Any]], None]) -> None:
    record = entry_record(fields)
    key = (entry_article_id(fields), version_of(record))
    if key not in summary.pending:
        return
    summary.pending.discard(key)
    if published:
        summary.processed += 1
        on_record(record)
    else:
        summary.dead_letters.append(DeadLetter.model_validate(record))
