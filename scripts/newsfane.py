"""The NewsFANE Gold corpus (Alotaibi and Lee, COLING 2014; CC BY-SA 3.0) as raw text has it: for training the
Arabic tagger (scripts/train_arabic_ner.py) and scoring it (benchmarks/ner.py).

The corpus is one token per line (``token<TAB>BIO tag``, a blank line between sentences) and clitic-segmented:
و ف ب ل ك س are split off the front of a word and pronoun suffixes off the back. newsflow tags raw text, where
they are attached, so each sentence is glued back into words: a proclitic joins the next token (ل + الامم is
written للامم), a pronoun suffix joins the previous one (حكومة + ه is written حكومته, على + ه عليه). A gold entity
then covers whole words: a token span maps to the words its first and last tokens ended up in, and the sentence
text is the words joined by single spaces, so an entity is exact character offsets in that text. Fine types are
rolled up to person / organisation / place as ../shared/data/ner/newsfane/SOURCE.md says; the others are left out
of gold and prediction alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "data" / "ner" / "newsfane"
PERSON = {"Politician", "Athlete", "Artist", "Other_PER", "Religious_PER", "Scientist", "Businessperson", "Lawyer",
          "Engineer", "Police"}  # fmt: skip
ORGANISATION = {"Non-Governmental", "Sports", "Media", "Government", "Commercial", "Educational", "Medical-Science",
                "Entertainment", "Religious_ORG"}  # fmt: skip
PLACE = {"Nation", "Population-Center", "State-or-Province", "GPE-Cluster", "Continent", "County-or-District",
         "Water-Body", "Land-Region-Natural", "Celestial"}  # fmt: skip
LABELS = {**dict.fromkeys(PERSON, "PER"), **dict.fromkeys(ORGANISATION, "ORG"), **dict.fromkeys(PLACE, "LOC")}
ARTICLE = 10  # consecutive sentences read as one article (the corpus keeps their order)
_ARABIC = re.compile(r"^[\u0621-\u064a\u0671-\u06d3\u06f0-\u06ff]+$")
_CONJUNCTIONS, _PREPOSITIONS = {"و", "ف"}, {"ب", "ل", "ك", "س"}
_PRONOUNS = {"ه", "ها", "هم", "هما", "هن", "كم", "نا", "ي", "ني", "ت", "ن"}
_ALA = {"على", "الى", "لدى", "حتى"}  # ى is written ي before a pronoun: عليه


@dataclass(frozen=True)
class Sentence:
    words: list[str]
    entities: list[tuple[int, int, str]]  # (first word, last word + 1, PER|ORG|LOC)

    @property
    def text(self) -> str:
        return " ".join(self.words)

    def offsets(self) -> list[tuple[int, int]]:
        spans, at = [], 0
        for word in self.words:
            spans.append((at, at + len(word)))
            at += len(word) + 1
        return spans

    def char_entities(self) -> set[tuple[int, int, str]]:
        spans = self.offsets()
        return {(spans[a][0], spans[b - 1][1], label) for a, b, label in self.entities}


def read(path: Path) -> list[list[tuple[str, str]]]:
    sentences, current = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            if current:
                sentences.append(current)
                current = []
            continue
        token, tag = line.split("\t")
        current.append((token.replace("\u200e", "").strip(), tag.strip()))
    return [*sentences, *([current] if current else [])]


def _is_arabic(token: str) -> bool:
    return bool(_ARABIC.match(token))


def _attachments(tokens: list[str]) -> tuple[list[bool], list[bool]]:
    """Which tokens join the next token (proclitics) and which the previous one (pronoun suffixes)."""
    forward, backward = [False] * len(tokens), [False] * len(tokens)
    for i, token in enumerate(tokens):
        following = tokens[i + 1] if i + 1 < len(tokens) else ""
        previous = tokens[i - 1] if i else ""
        if token == "ك":  # "your" after a word (امامك), "like" before one (كالعادة)
            if _is_arabic(previous) and previous not in _CONJUNCTIONS | _PREPOSITIONS and following != "ما" \
                    and not following.startswith("ال"):  # fmt: skip
                backward[i] = True
            elif _is_arabic(following):
                forward[i] = True
        elif token in _CONJUNCTIONS and _is_arabic(following):
            forward[i] = True
        elif token in _PREPOSITIONS and _is_arabic(following) and following not in _CONJUNCTIONS:
            forward[i] = not (token == "س" and (following in _PREPOSITIONS or following in _PRONOUNS))
        elif token in _PRONOUNS and _is_arabic(previous):
            backward[i] = token != "ن" or following == "ي"
    return forward, backward


def _glue(word: str, token: str, as_prefix: bool) -> str:
    if as_prefix:
        return word + (token[1:] if word.endswith("ل") and token.startswith("ال") else token)
    if word.endswith("ة"):
        word = word[:-1] + "ت"
    elif word.endswith("ى") and len(word) > 1:
        word = word[:-1] + ("ي" if word in _ALA else "ا")
    return word + token


def surface(tokens: list[tuple[str, str]], other: str | None = None) -> Sentence:
    """The sentence as raw text has it; entities of the types left out are labelled ``other`` where given (the
    tagger learns from them what is not a person, organisation or place), else dropped."""
    texts = [t for t, _ in tokens]
    forward, backward = _attachments(texts)
    words: list[str] = []
    word_of: list[int] = []
    for i, token in enumerate(texts):
        if i and words and (forward[i - 1] or backward[i]):
            words[-1] = _glue(words[-1], token, as_prefix=forward[i - 1])
        else:
            words.append(token)
        word_of.append(len(words) - 1)
    entities, used = [], set()
    for first, last, fine in _bio([tag for _, tag in tokens]):
        label = LABELS.get(fine, other)
        a, b = word_of[first], word_of[last - 1] + 1
        if label and not used & set(range(a, b)):  # two entities in one word: the first keeps it
            used |= set(range(a, b))
            entities.append((a, b, label))
    return Sentence(words, entities)


def _bio(tags: list[str]) -> list[tuple[int, int, str]]:
    from newsflow.tagging.ner import bio_spans

    return bio_spans(tags)


def sentences(split: str, other: str | None = None) -> list[Sentence]:
    return [surface(s, other) for s in read(CORPUS / f"{split}.txt")]


def articles(corpus: list[Sentence]) -> list[tuple[list[Sentence], str, list[int]]]:
    """The corpus as articles of ARTICLE consecutive sentences: the sentences, their text joined by spaces, and where
    each sentence starts in it."""
    found = []
    for first in range(0, len(corpus), ARTICLE):
        part = corpus[first : first + ARTICLE]
        starts = [0]
        for sentence in part[:-1]:
            starts.append(starts[-1] + len(sentence.text) + 1)
        found.append((part, " ".join(sentence.text for sentence in part), starts))
    return found
