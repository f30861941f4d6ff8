"""Known people and organisations, and nationality adjectives, by name in Arabic and Latin script.

``newsflow/data/names.tsv`` (written for newsflow; Apache-2.0) lists people and organisations that Arabic and
international news name often, each with its canonical English name, its country and its spellings in both
scripts, so that بلينكن, Blinken and "Antony Blinken" are one entity. ``newsflow/data/demonyms.tsv`` maps
nationality adjectives to ISO 3166 codes (الأمريكي → US); the Arabic feminine, plural and dual endings and the
article are derived here, the clitics by the phrase matcher. No offline package carries Wikidata ids for people
and organisations (PyPI, npm and Debian were searched), so entities carry none yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files

from newsflow.tagging.phrases import PhraseTable
from newsflow.text import ARABIC_LETTER, matching_form

_ARABIC_ENDINGS = ("", "ة", "ون", "ين", "ان", "تان", "تين", "ات")


@dataclass(frozen=True)
class KnownEntity:
    type: str  # person | organisation
    name: str
    country: str | None


def _rows(name: str) -> list[list[str]]:
    text = (files("newsflow") / "data" / name).read_text(encoding="utf-8")
    return [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]


def known_names(rows: list[list[str]] | None = None) -> PhraseTable[KnownEntity]:
    """The table of ``rows`` (type, name, country, aliases), names.tsv's by default. A spelling that, folded, names
    two entities is a ValueError: one of them would be lost without a word."""
    table: dict[str, KnownEntity] = {}
    for kind, name, country, aliases in _rows("names.tsv") if rows is None else rows:
        entity = KnownEntity(kind, name, country or None)
        for alias in aliases.split("|"):
            if (known := table.setdefault(matching_form(alias), entity)) != entity:
                raise ValueError(f"names.tsv: {alias!r} names both {known.name} and {name}")
    return PhraseTable(table)


def demonyms() -> PhraseTable[str]:
    table: dict[str, str] = {}
    for country, forms in _rows("demonyms.tsv"):
        for form in forms.split("|"):
            if ARABIC_LETTER.search(form):
                for ending in _ARABIC_ENDINGS:
                    word = matching_form(form + ending)
                    table.setdefault(word, country)
                    table.setdefault("ال" + word, country)
            else:
                table.setdefault(matching_form(form), country)
    return PhraseTable(table)
