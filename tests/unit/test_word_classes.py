"""The Arabic word classes the CRF reads: learnt from unlabelled news, words used alike share a class, and each word's
features carry its own classes and its neighbours'."""

from __future__ import annotations

import pytest

from newsflow.tagging import word_classes
from newsflow.tagging.ner import features, stem_of, unread


def classes(word: str) -> tuple[str, ...]:
    return word_classes.of(stem_of(word)[2])


@pytest.mark.parametrize(("word", "alike", "granularity"), [
    ("ترامب", "ماكرون", 1024),
    ("تونس", "إيطاليا", 256),
    ("الحزب", "الحركة", 256),
    ("المجلس", "اللجنة", 1024),
])  # fmt: skip
def test_words_found_in_the_same_places_share_a_class(word, alike, granularity):
    level = word_classes.SIZES.index(granularity)
    assert classes(word)[level] == classes(alike)[level] != "?"


def test_every_class_is_within_its_granularity():
    table = word_classes.table()
    assert len(table) > 20_000
    for found in table.values():
        assert len(found) == len(word_classes.SIZES)
        assert all(0 <= int(c) < size for c, size in zip(found, word_classes.SIZES, strict=True))


def test_clitics_do_not_change_a_words_class():
    assert classes("الوزارة") == classes("بالوزارة") == classes("والوزارة") != word_classes.UNKNOWN


def test_the_crf_reads_the_classes_of_the_word_and_of_its_neighbours():
    said, trump, unknown = features(["قال", "ترامب", "زززقققب"], ["O"] * 3, unread(3))
    size = word_classes.SIZES[-1]
    assert trump[f"c{size}={classes('ترامب')[-1]}"] == 1
    assert trump[f"c{size}-1={classes('قال')[-1]}"] == 1 and trump[f"c{size}+1=?"] == 1
    assert said[f"c{size}+1={classes('ترامب')[-1]}"] == 1
    assert all(unknown[f"c{s}=?"] == 1 for s in word_classes.SIZES)
