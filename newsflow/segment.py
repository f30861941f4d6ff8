"""Sentences of a body, by paragraph, with their character offsets, for sentence-by-sentence translation.

A sentence ends at . ! ? … or the Arabic question mark ؟ when a space or the paragraph's end follows (closing
quotes and brackets stay with the sentence), and at the Arabic semicolon ؛, which joins clauses that translate
well apart. Arabic news often chains a dozen clauses with the Arabic comma ، into one sentence; a sentence longer
than ``MAX_WORDS`` is cut at ، (or , or ;) into runs of clauses, so that no segment outruns what a translation model handles
well. A period after a single letter or a common Latin abbreviation (U.S., Mr., e.g.) does not end a sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_WORDS = 60
_END = re.compile(r"(?:[.!?…؟]+|؛)[\"'”’»)\]]*(?=\s|$)")
_CLAUSE = re.compile(r"[،,;](?=\s)")
_ABBREVIATION = re.compile(r"(?:\b\w|\b(?:Mr|Mrs|Ms|Dr|Prof|St|Sen|Gen|Col|Lt|Jr|Sr|No|vs|etc|e\.g|i\.e|approx))\.$")


@dataclass(frozen=True)
class Sentence:
    paragraph: int
    start: int  # offsets into body[paragraph]
    end: int

    def text(self, body: list[str]) -> str:
        return body[self.paragraph][self.start : self.end]


def _spans(text: str, pattern: re.Pattern[str], start: int, end: int) -> list[tuple[int, int]]:
    """[start, end) cut after each match of ``pattern``, blanks trimmed, empty pieces dropped."""
    cuts = [m.end() for m in pattern.finditer(text, start, end) if not _ABBREVIATION.search(text, start, m.end())]
    spans, begin = [], start
    for cut in [*cuts, end]:
        piece = text[begin:cut]
        stripped = piece.strip()
        if stripped:
            left = begin + len(piece) - len(piece.lstrip())
            spans.append((left, left + len(stripped)))
        begin = cut
    return spans


def _bounded(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """A long sentence as runs of whole clauses of at most MAX_WORDS words each (a longer clause stays whole)."""
    if len(text[start:end].split()) <= MAX_WORDS:
        return [(start, end)]
    runs: list[tuple[int, int]] = []
    for left, right in _spans(text, _CLAUSE, start, end):
        if runs and len(text[runs[-1][0] : right].split()) <= MAX_WORDS:
            runs[-1] = (runs[-1][0], right)
        else:
            runs.append((left, right))
    return runs


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of one paragraph."""
    return [piece for start, end in _spans(text, _END, 0, len(text)) for piece in _bounded(text, start, end)]


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of each line of ``text``."""
    spans, at = [], 0
    for line in text.split("\n"):
        spans += [(at + start, at + end) for start, end in split_sentences(line)]
        at += len(line) + 1
    return spans


def segment(body: list[str]) -> list[Sentence]:
    """Every sentence of every paragraph, in order."""
    return [Sentence(n, start, end) for n, paragraph in enumerate(body) for start, end in split_sentences(paragraph)]
