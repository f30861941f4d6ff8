"""Articles from files and folders: .html/.htm pages, .txt text, .json objects (or lists) and .jsonl lines, each
also gzipped (.gz). Suffixes are matched whatever their case."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson

from newsflow.errors import InvalidSubmission
from newsflow.schema import RawArticle
from newsflow.state.ingest import parse_article, parse_submission
from newsflow.text import decode_bytes

SUFFIXES = (".html", ".htm", ".txt", ".json", ".jsonl")
READS = "newsflow reads .html .htm .txt .json .jsonl files, and those gzipped (.gz)"
NOTHING_FOUND = f"no article among the paths given ({READS})"
# A gzipped file is read no further than this: a small file must not unpack into all of memory.
MAX_UNPACKED_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True)
class Input:
    origin: str  # "path" or "path:line"
    raw: RawArticle | None = None
    error: str | None = None  # an input that is not a valid article: said in the summary, and the run fails
    skipped: str | None = None  # a file in a folder that holds no article: listed in the summary, with why


def kind(path: Path) -> str | None:
    """The article suffix a file is read as (``.html``...), or None when newsflow does not read it."""
    suffixes = [s.lower() for s in path.suffixes[-2:]]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    return suffixes[-1] if suffixes and suffixes[-1] in SUFFIXES else None


def read_file(path: Path) -> Iterator[Input]:
    origin, suffix = str(path), kind(path)
    if suffix is None:
        yield Input(origin, error=f"{origin}: not a file newsflow reads ({READS})")
        return
    try:
        data = _unpacked(path) if path.suffix.lower() == ".gz" else path.read_bytes()
        if suffix in (".html", ".htm"):
            yield _parsed(origin, {"html": decode_bytes(data, origin), "metadata": {"file": path.name}})
        elif suffix == ".txt":
            yield _parsed(origin, {"text": decode_bytes(data, origin), "metadata": {"file": path.name}})
        elif suffix == ".jsonl":
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


def _unpacked(path: Path) -> bytes:
    try:
        with gzip.open(path) as packed:
            data = packed.read(MAX_UNPACKED_BYTES + 1)
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise InvalidSubmission(f"{path}: not a readable gzip file ({exc})") from None
    if len(data) > MAX_UNPACKED_BYTES:
        raise InvalidSubmission(f"{path}: unpacks to more than {MAX_UNPACKED_BYTES:,} bytes")
    return data


def _parsed(origin: str, item: object) -> Input:
    """An article from a JSON line (bytes) or an item of a JSON file's list (any JSON value)."""
    try:
        return Input(origin, parse_submission(item) if isinstance(item, bytes) else parse_article(item))
    except InvalidSubmission as exc:
        return Input(origin, error=f"{origin}: {exc}")


def articles(paths: Iterable[Path], on_skip: Callable[[str], None]) -> Iterator[Input]:
    """``read_inputs`` less the files that hold no article, each told to ``on_skip`` with the reason."""
    for item in read_inputs(paths):
        if item.skipped:
            on_skip(item.skipped)
        else:
            yield item


def read_inputs(paths: Iterable[Path]) -> Iterator[Input]:
    """Every article under ``paths``, folders walked in name order. A folder's files newsflow does not read are
    skipped, each with the reason; a file named on its own must be one newsflow reads."""
    for path in paths:
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                if kind(child) is None:
                    yield Input(str(child), skipped=f"{child}: not an article file ({READS})")
                else:
                    yield from read_file(child)
        elif path.exists():
            yield from read_file(path)
        else:
            yield Input(str(path), error=f"{path}: no such file or folder")
