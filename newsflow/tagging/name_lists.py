"""Lists of Arabic names from open packages, which the Arabic CRF reads (newsflow/tagging/ner.py) beside its own
features: for each stem, how many people's names begin with it and how many hold it later, whether a dictionary of
name spellings has it and how many organisations' names hold it; and people's whole names, which mark the words of a
sentence that spell one. Built by scripts/build_name_lists.py (origins and licences: newsflow/data/README.md).

The lists are features, not tables the tagger trusts (Ratinov and Roth, CoNLL 2009): many names are common words too
(امل, كريم), and the CRF learns from NewsFANE how much each list says. The name tables (newsflow/tagging/names.py)
stay what names an entity canonically.
"""

from __future__ import annotations

from functools import lru_cache

from newsflow import packaged

WORDS = "name-words-ar.tsv.gz"  # stem, names it begins, names it is later in, in the dictionary (0|1), organisations
PEOPLE = "people-ar.tsv.gz"  # a person's name: the stem of its first word, then its other words folded
LONGEST = 4  # words in the longest person's name matched whole
_NONE = (0, 0, 0, 0)


@lru_cache(maxsize=1)
def words() -> dict[str, tuple[int, ...]]:
    """Each stem's counts, read once per process (a worker reads them at its start: ArabicTagger.warm)."""
    return {stem: tuple(map(int, counts)) for stem, *counts in packaged.rows(WORDS)}


@lru_cache(maxsize=1)
def people() -> frozenset[str]:
    """People's whole names, their words joined by a space (one string a name: a tag worker holds 65,000)."""
    return frozenset(name for (name,) in packaged.rows(PEOPLE))


@lru_cache(maxsize=200_000)
def word_features(stem: str, where: str = "") -> tuple[str, ...]:
    """The CRF's features for a clitic-free stem (newsflow.tagging.ner.stem_of), its counts in log2 bands; ``where``:
    "" for the word's own, "-1" or "+1" for a neighbour's."""
    first, later, spelt, organisations = words().get(stem, _NONE)
    return (f"first{where}={_band(first, 6)}", f"later{where}={_band(later, 6)}", f"spelt{where}={spelt}",
            f"orgs{where}={_band(organisations, 5)}")  # fmt: skip


def _band(count: int, top: int) -> int:
    return min(top, (count + 1).bit_length() - 1)  # floor(log2(count + 1))


def people_tags(stems: list[str], folded: list[str]) -> list[str]:
    """B, I or O for each word of a sentence: whether it is in a person's name the list has whole, the longest from
    the left; the first word is matched by its stem, so a clitic does not hide the name (ولمحمد ...)."""
    known, tags, i = people(), ["O"] * len(stems), 0
    while i < len(stems):
        length = next((n for n in range(min(LONGEST, len(stems) - i), 1, -1)
                       if " ".join([stems[i], *folded[i + 1 : i + n]]) in known), 1)  # fmt: skip
        if length > 1:
            tags[i : i + length] = ["B"] + ["I"] * (length - 1)
        i += length
    return tags
