"""The data files newsflow ships in newsflow/data (each with its origin and licence in newsflow/data/README.md)."""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from importlib.resources import files


def rows(name: str) -> Iterator[list[str]]:
    """The tab-separated fields of each line of a gzipped table in newsflow/data, comment lines (#) left out."""
    packed = (files("newsflow") / "data" / name).read_bytes()
    with gzip.open(io.BytesIO(packed), "rt", encoding="utf-8") as lines:
        for line in lines:
            if not line.startswith("#"):
                yield line.rstrip("\n").split("\t")
