"""Rewrite the extraction golden files: every article under examples/articles/ and tests/fixtures/, through the extract
stage, as the record it produces (less `received_at`). Review the diff before committing: `make golden`."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from config import Settings  # noqa: E402
from newsflow.ids import article_id  # noqa: E402
from newsflow.resources import Resources  # noqa: E402
from newsflow.schema import IngestedArticle  # noqa: E402
from newsflow.stages import EXTRACT  # noqa: E402
from workers.cli.files import read_inputs  # noqa: E402

GOLDEN = Path(__file__).resolve().parent
SOURCES = [ROOT / "examples" / "articles", ROOT / "tests" / "fixtures"]


def golden_name(origin: str) -> str:
    return re.sub(r"[^\w.-]+", "_", Path(origin.replace(":", "-line")).name) + ".json"


def extracted_records(resources: Resources) -> dict[str, dict]:
    """Golden file name → the extract stage's record for each example article."""
    records, loaded = {}, EXTRACT.load(resources)
    for item in read_inputs(SOURCES):
        job = IngestedArticle.from_raw(item.raw, article_id(item.raw))
        record = EXTRACT.apply(job, loaded).model_dump(mode="json")
        record.pop("received_at")
        records[golden_name(item.origin)] = record
    return records


def dumps(record: dict) -> bytes:
    return orjson.dumps(record, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


if __name__ == "__main__":
    for name, record in extracted_records(Resources(Settings())).items():
        (GOLDEN / name).write_bytes(dumps(record))
        print(f"wrote tests/golden/{name}")
