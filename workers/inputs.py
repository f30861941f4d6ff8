"""Articles from files and folders: .html/.htm pages, .txt text, .json objects (or lists) and .jsonl lines."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import charset_normalizer
import orjson

from newsflow.errors import InvalidSubmission
from newsflow.schema import RawArticle
from workers.gateway import parse_submission

SUFFIXES = (".html", ".htm", ".txt", ".json", ".jsonl")
_DECLARED_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_\-:.]+)""", re.IGNORECASE)
_MAX_CHAOS = 0.2  # charset_normalizer's mess ratio above which we do not trust a guess


@dataclass(frozen=True)
class Input:
    origin: str  # "path" or "path:line"
    raw: RawArticle | None = None
    error: str | None = None


def decode_text(data: bytes, origin: str) -> str:
    """UTF-8, else the charset the HTML declares, else a confident guess; a clear error for bytes that are not text."""
    if b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InvalidSubmission(f"{origin}: binary data (NUL bytes), not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        utf8_error = exc
    declared = _DECLARED_CHARSET.search(data[:4096])
    if declared:
        try:
            return data.decode(declared.group(1).decode("ascii"))
        except (LookupError, UnicodeDecodeError):
            pass
    best = charset_normalizer.from_bytes(data).best()
    if best is not None and best.chaos <= _MAX_CHAOS:
        return str(best)
    raise InvalidSubmission(
        f"{origin}: not UTF-8 ({utf8_error.reason} at byte {utf8_error.start}) and no charset was declared or detected"
    )


def read_file(path: Path) -> Iterator[Input]:
    origin = str(path)
    try:
        data = path.read_bytes()
        if path.suffix in (".html", ".htm"):
            yield _parsed(origin, {"html": decode_text(data, origin), "metadata": {"file": path.name}})
        elif path.suffix == ".txt":
            yield _parsed(origin, {"text": decode_text(data, origin), "metadata": {"file": path.name}})
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
