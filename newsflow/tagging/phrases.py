"""Names of one to four words found in text of any script, longest match first, with character offsets.

Names are compared in their matching form (newsflow/text.py: Arabic diacritics, tatweel and letter variants
folded, digits ASCII), and Arabic with its attached clitics (و ف ب ل ك, and ال after a preposition) peeled off the
first word when the whole word is not a name. Latin names match case-sensitively, so that "Turkey" is a country
and "turkey" is not.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

from newsflow.text import ARABIC_LETTER, matching_form

T = TypeVar("T")
_WORD = re.compile(r"\w+")
_CLITICS = ("وبال", "وال", "فال", "بال", "كال", "ولل", "لل", "وب", "ول", "وك", "فب", "فل", "و", "ف", "ب", "ل", "ك")
MAX_WORDS = 4
MIN_NAME_CHARS = 3


Word = tuple[int, int, str]  # start, end, matching form


def text_words(text: str) -> list[Word]:
    return [(m.start(), m.end(), matching_form(m.group())) for m in _WORD.finditer(text)]


@dataclass(frozen=True)
class PhraseMatch(Generic[T]):
    value: T
    start: int
    end: int


def clitic_variants(word: str) -> Iterator[str]:
    """``word`` (in matching form), then what is left of it after each Arabic proclitic it may carry."""
    yield word
    if ARABIC_LETTER.match(word):
        for prefix in _CLITICS:
            rest = word[len(prefix) :]
            if word.startswith(prefix) and len(rest) >= MIN_NAME_CHARS:
                yield rest
                if prefix.endswith("لل"):  # لل + غزة is ل + الغزة with the alef dropped
                    yield "ال" + rest


class PhraseTable(Generic[T]):
    """Matching-form phrase → value; build once per worker process, then share across tasks."""

    def __init__(self, phrases: dict[str, T]) -> None:
        # Shorter names are mostly noise, except Latin acronyms (US, UN, EU), which match case-sensitively.
        self._phrases = {k: v for k, v in phrases.items() if len(k) >= MIN_NAME_CHARS or (len(k) == 2 and k.isupper())}
        self._longest: dict[str, int] = {}  # first word → words in the longest phrase it starts
        for phrase in self._phrases:
            first, *rest = phrase.split(" ")
            self._longest[first] = max(self._longest.get(first, 0), len(rest) + 1)

    def __len__(self) -> int:
        return len(self._phrases)

    def find(self, text: str, words: list[Word] | None = None) -> list[PhraseMatch[T]]:
        """Longest matches, left to right, with character offsets into ``text``; ``words``: ``words(text)``, when
        the caller looks the same text up in several tables."""
        words = text_words(text) if words is None else words
        found: list[PhraseMatch[T]] = []
        i = 0
        while i < len(words):
            match = self._longest_at(words, i)
            if match is None:
                i += 1
                continue
            value, n = match
            found.append(PhraseMatch(value, words[i][0], words[i + n - 1][1]))
            i += n
        return found

    def _longest_at(self, words: list[Word], i: int) -> tuple[T, int] | None:
        firsts = [(first, self._longest[first]) for first in clitic_variants(words[i][2]) if first in self._longest]
        for n in range(min(max((m for _, m in firsts), default=0), MAX_WORDS, len(words) - i), 0, -1):
            tail = " ".join(w for _, _, w in words[i + 1 : i + n])
            for first, longest in firsts:
                value = self._phrases.get(f"{first} {tail}" if tail else first) if n <= longest else None
                if value is not None:
                    return value, n
        return None
