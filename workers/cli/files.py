"""Articles from files and folders: .html/.htm pages, .txt text, .json objects (or lists) and .jsonl lines."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson

from newsflow.errors import InvalidSubmission
from newsflow.schema import RawArticle
from newsflow.state.ingest import parse_submission
from newsflow.text import decode_bytes

SUFFIXES = (".html", ".htm", ".txt", ".json", ".jsonl")


@dataclass(frozen=True)
class Input:
    origin: str  # "path" or "path:line"
    raw: RawArticle | None = None
    error: str | None = None


def read_file(path: Path) -> Iterator[Input]:
    origin = str(path)
    try:
        data = path.read_bytes()
        if path.suffix in (".html", ".htm"):
            yield _parsed(origin, {"html": decode_bytes(data, origin), "metadata": {"file": path.name}})
        elif path.suffix == ".txt":
            yield _parsed(origin, {"text": decode_bytes(data, origin), "metadata": {"file": path.name}})
        elif path.suffix == ".jsonl":
            for n, line in enumerate(data.splitlines(), 1):
                if line.strip():
                    yield _parsed(f"{origin}:{n}", line)
        else:
            try:
                obj = orjson.loads(data)
            except orjson.JSONDecodeError as exc:
                raise InvalidSubmission(f"{origin}: invalid JSON: {exc}") from None
            for n, item in enumerate(obj if isinstance(obj, list) else [obj], 1):
                yield _parsed(f"{origin}[{n}]" if isinstance(obj, list) else origin, item)
    except InvalidSubmission as exc:
        yield Input(origin, error=str(exc))
    except OSError as exc:
        yield Input(origin, error=f"{origin}: {exc}")


def _parsed(origin: str, item: bytes | dict) -> Input:
    try:
        return Input(origin, parse_submission(item))
    except InvalidSubmission as exc:
        return Input(origin, error=f"{origin}: {exc}")


def read_inputs(paths: Iterable[Path]) -> Iterator[Input]:
    """Every article under ``paths``, folders walked in name order; unknown suffixes are skipped."""
    for path in paths:
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in SUFFIXES):
                yield from read_file(child)
        elif path.exists():
            yield from read_file(path)
        else:
            yield Input(str(path), error=f"{path}: no such file or folder")
