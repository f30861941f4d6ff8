"""Classes of Arabic words by the company they keep: each clitic-free stem's cluster at three granularities, learnt
from unlabelled Arabic news (scripts/build_word_classes.py; the ANT corpus, Apache-2.0). The Arabic CRF reads them
(newsflow/tagging/ner.py), so a name it never saw in training still shares features with the words that appear in
the same places: ترامب sits with ماكرون, تونس with ايطاليا, حزب with حركة and لجنة (word-cluster features, as in
Ratinov and Roth, CoNLL 2009; Turian et al., ACL 2010)."""

from __future__ import annotations

from functools import lru_cache

from newsflow import packaged

FILE = "word-classes-ar.tsv.gz"
SIZES = (64, 256, 1024)  # clusters at each granularity
UNKNOWN = ("?",) * len(SIZES)


@lru_cache(maxsize=1)
def table() -> dict[str, tuple[str, ...]]:
    """Each stem's classes, read once per process (a worker reads it at its start: ArabicTagger.warm)."""
    return {stem: tuple(classes) for stem, *classes in packaged.rows(FILE)}


def of(stem: str) -> tuple[str, ...]:
    """The stem's cluster at each of SIZES (folded, clitic-free: newsflow.tagging.ner.stem_of); UNKNOWN for one the
    corpus did not have twice."""
    return table().get(stem, UNKNOWN)
