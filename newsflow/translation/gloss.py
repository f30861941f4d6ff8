"""The ``gloss`` backend: a word-by-word Arabic→English reading aid that ships with newsflow and needs no model.

Each word is looked up whole, then with its clitics peeled off (conjunctions و ف, prepositions ب ل ك, the
article ال, pronoun suffixes), which come back as English words around the stem's gloss (وحكومته → "and his
government"). Names come from the tables the tag stage uses (known people and organisations, the gazetteer's
places), so بلينكن reads "Antony Blinken", غزة "Gaza" and
الولايات المتحدة "United States". A word the lexicon does not know is romanised. Its quality label is ``gloss``:
readable for triage, not a translation. The lexicon's licence is GPL-2.0 (newsflow/data/README.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from newsflow import packaged
from newsflow.tagging.phrases import PhraseMatch, PhraseTable
from newsflow.text import ARABIC_LETTER, matching_form, strip_marks
from newsflow.translation import Quality

MODEL = "buckwalter-1.0-gloss-1"
_TOKEN = re.compile(r"\w+|[^\w\s]")
_PUNCTUATION = str.maketrans({"،": ",", "؛": ";", "؟": "?", "«": '"', "»": '"', "٪": "%"})
# Proclitics, longest first, with their English; ال after a preposition is "the".
_PROCLITICS = (
    ("وبال", "and with the"), ("وال", "and the"), ("فال", "so the"), ("بال", "with the"), ("كال", "like the"),
    ("ولل", "and for the"), ("لل", "for the"), ("ال", "the"), ("وب", "and with"), ("ول", "and for"),
    ("و", "and"), ("ف", "so"), ("ب", "with"), ("ل", "for"), ("ك", "like"),
)  # fmt: skip
# The pronoun suffixes of news prose; rarer ones (كما كن هن) cost more wrong splits of names than they gain.
_SUFFIXES = (("هما", "their"), ("ها", "her"), ("هم", "their"), ("كم", "your"), ("نا", "our"), ("ه", "his"))
_ROMAN = str.maketrans({
    "ا": "a", "أ": "a", "إ": "i", "آ": "a", "ب": "b", "ت": "t", "ث": "th", "ج": "j", "ح": "h", "خ": "kh", "د": "d",
    "ذ": "dh", "ر": "r", "ز": "z", "س": "s", "ش": "sh", "ص": "s", "ض": "d", "ط": "t", "ظ": "z", "ع": "'", "غ": "gh",
    "ف": "f", "ق": "q", "ك": "k", "ل": "l", "م": "m", "ن": "n", "ه": "h", "ة": "a", "و": "w", "ي": "y", "ى": "a",
    "ء": "'", "ؤ": "'", "ئ": "'",
})  # fmt: skip
MIN_STEM = 2
# A conjunction stuck to a function word reads as the pair, not as the noun the whole spelling also is
# (وقد is "and has", not "burning"; ولم "and did not", not "pain").
_FUNCTION_WORDS_AFTER_AND = {
    "قد": "has", "لم": "did not", "لن": "will not", "لا": "not", "ما": "what", "هو": "he", "هي": "she",
    "هم": "they", "في": "in", "من": "from", "على": "on", "إلى": "to", "عن": "about", "مع": "with", "كان": "was",
    "كانت": "was", "أن": "that", "إن": "that", "لكن": "but", "بعد": "after", "قبل": "before", "أيضا": "also",
}  # fmt: skip


def read_lexicon() -> dict[str, str]:
    """The shipped lexicon: unvocalised Arabic word as written → English gloss."""
    return {word: gloss for word, gloss in packaged.rows("gloss-ar-en.tsv.gz")}


def _splits(word: str) -> Iterator[tuple[str, str, str]]:
    """(English before, stem, English owner) for each way to peel clitics off ``word``: one clitic before two."""
    proclitics = [(c, e) for c, e in _PROCLITICS if word.startswith(c) and len(word) - len(c) >= MIN_STEM]
    suffixes = [(c, e) for c, e in _SUFFIXES if word.endswith(c) and len(word) - len(c) >= MIN_STEM]
    yield from ((before, word[len(c) :], "") for c, before in proclitics)
    yield from (("", word[: -len(c)], owner) for c, owner in suffixes)
    for clitic, before in proclitics:
        for suffix, owner in suffixes:
            stem = word[len(clitic) : -len(suffix)]
            if len(stem) > MIN_STEM:
                # "the" and a possessive do not go together: بحكومته is "with his government"
                yield (before.removesuffix(" the").removesuffix("the"), stem, owner)


class GlossBackend:
    name = "gloss"
    quality: Quality = "gloss"

    def __init__(self, lexicon: dict[str, str], tables: list[PhraseTable]) -> None:
        self.lexicon, self.tables = lexicon, tables
        self.folded: dict[str, str] = {}
        for word, gloss in lexicon.items():  # hamza and alef maqsura spelled loosely, as news often does
            self.folded.setdefault(matching_form(word), gloss)

    @classmethod
    def load(cls, tables: list[PhraseTable]) -> GlossBackend:
        """With the name tables the tag stage uses (known names first, then the gazetteer)."""
        return cls(read_lexicon(), tables)

    def _names(self, text: str) -> list[PhraseMatch]:
        """Names in ``text``, the first table's where two overlap."""
        found: list[PhraseMatch] = []
        for table in self.tables:
            found += [m for m in table.find(text) if not any(m.start < f.end and f.start < m.end for f in found)]
        return found

    def model_for(self, source: str, target: str) -> str | None:
        return MODEL if (source, target) == ("ar", "en") else None

    def translate(self, texts: list[str], source: str, target: str) -> list[str]:
        return [self.gloss(text) for text in texts]

    def gloss(self, sentence: str) -> str:
        sentence = strip_marks(sentence)  # a shadda or a vowel mark would split a word in two
        names = {m.start: m for m in self._names(sentence)}
        words: list[str] = []
        skip_until = 0
        for token in _TOKEN.finditer(sentence):
            if token.start() < skip_until:
                continue
            name = names.get(token.start())
            if name is not None:
                words.append(self._name(token.group(), sentence[name.start : name.end], name.value.name))
                skip_until = name.end
            else:
                words.append(self._word(token.group()))
        text = re.sub(r"\s+([,.;:?!%)])", r"\1", " ".join(w for w in words if w))
        return text[:1].upper() + text[1:]

    def _name(self, first_word: str, surface: str, name: str) -> str:
        """A name keeps the English of a conjunction or preposition stuck to it: وبغزة → "and with Gaza"."""
        word = strip_marks(first_word)
        for clitic, english in _PROCLITICS:
            if word.startswith(clitic) and not english.endswith("the") and self._is_name_without(clitic, surface):
                return f"{english} {name}"
        return name

    def _is_name_without(self, clitic: str, surface: str) -> bool:
        return bool(self._names(surface[len(clitic) :]))

    def _word(self, token: str) -> str:
        if not token[0].isalnum():
            return token.translate(_PUNCTUATION)
        if not ARABIC_LETTER.search(token):
            return matching_form(token)  # digits as ASCII
        word = strip_marks(token)
        found = _FUNCTION_WORDS_AFTER_AND.get(word[1:]) if word[:1] in "وف" else None
        if found is not None:
            return f"{'and' if word[0] == 'و' else 'so'} {found}"
        found = self._known(word)
        if found is None:
            found = next((" ".join(p for p in (before, owner, gloss) if p) for before, stem, owner in _splits(word)
                          if (gloss := self._known(stem)) is not None), None)  # fmt: skip
        return found if found is not None else matching_form(word).translate(_ROMAN).capitalize()

    def _known(self, word: str) -> str | None:
        # حكومته: the ة of حكومة is written ت before a suffix.
        for form in (word, word[:-1] + "ة") if word.endswith("ت") else (word,):
            gloss = self.lexicon.get(form) or self.folded.get(matching_form(form))
            if gloss is not None:
                return gloss
        return None
