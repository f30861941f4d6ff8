"""Extraction of every example and fixture page matches its reviewed golden record."""

import orjson
import pytest

from tests.golden.regenerate import GOLDEN, extracted_records


@pytest.fixture(scope="module")
def records(resources):
    return extracted_records(resources)


def test_every_example_has_a_golden_file(records):
    assert set(records) == {p.name for p in GOLDEN.glob("*.json")}, "run `make golden` and review the new files"


@pytest.mark.parametrize("path", sorted(GOLDEN.glob("*.json")), ids=lambda p: p.stem)
def test_extraction_matches_the_golden_record(records, path):
    assert records.get(path.name) == orjson.loads(path.read_bytes()), (
        f"extraction of {path.stem} changed: run `make golden`, then review `git diff tests/golden`"
    )
