"""Keywords of an article in its own language: the phrases it keeps coming back to, early and throughout.

Candidates are runs of one to three words inside a clause (punctuation ends a run) that neither start nor end with
a stop word (spaCy's list for the article's language, and for Arabic a few more function words) or a number.
Arabic words are compared in matching form with their clitics and article peeled off, so الحرب, والحرب and حرب
count as one; the form shown is the one the article uses most, its first word without the proclitics (و ف ب ل ك)
that a general-language word list finds clearly rarer than the bare word (ووقف إطلاق النار shows as وقف إطلاق
النار, للموضة as الموضة, but بلينكن stays: لينكن, Lincoln, is only twice as common). A candidate scores by how
often it occurs, in how many sentences, and how early it first appears, in the spirit of YAKE (whose package is AGPL-3.0 licensed, which newsflow does not take on), times how
rare its words are in general use (wordfreq's lists), weighted by its length for the language; a phrase whose
words all belong to one already chosen is passed over. Weights were chosen on the tuning half of
benchmarks/keywords.py's corpora.
"""

from __future__ import annotations

import importlib
import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache, lru_cache

from wordfreq import get_frequency_dict

from newsflow.segment import split_sentences
from newsflow.tagging.phrases import clitic_variants
from newsflow.text import ARABIC_LETTER, matching_form, strip_marks

_WORD = re.compile(r"[^\W\d_][\w'-]*")
_CLAUSE = re.compile(r"[^\w\s'-]+")
_PROCLITICS = ("وب", "ول", "وك", "فب", "فل", "فك", "و", "ف", "ب", "ل", "ك")
MAX_WORDS = 3
TOP = 10
_UNSEEN = 1e-8
_CLEARLY_COMMONER = 3  # times: chosen on benchmarks/keywords.py's tuning half
# Phrase length in the score: Arabic keyphrases are mostly construct phrases of two or three words (وقف إطلاق
# النار), English keywords mostly single words (AKEC's crowd phrases: a fifth single words; KPCrowd's: three quarters).
_LENGTH_EXPONENT = {"ar": 1.0}
# Alone, a relational adjective (الإسلامي, المالية) names nothing; inside a phrase it is kept (الجهاد الإسلامي).
_RELATIONAL_ADJECTIVE = re.compile(r"^ال\w+ي[ةه]?$")
# Prepositions, adverbs of time and reporting verbs that spaCy's Arabic list lacks; matched with clitics peeled.
_ARABIC_FUNCTION_WORDS = (
    "بشأن وقت خلال إطار وفق وفقا عبر جراء إثر بسبب عدة عدد جميع كافة آخر أكد أضاف أشار أوضح ذكر تابع عام الماضي "
    "حاليا مؤخرا أمس الجاري تم يتم نفس أجل بن ابن بنت الله تعالى"
)


@cache
def stop_words(language: str | None) -> frozenset[str]:
    try:
        module = importlib.import_module(f"spacy.lang.{language}.stop_words")
    except (ImportError, TypeError, ValueError):
        return frozenset()
    extra = _ARABIC_FUNCTION_WORDS.split() if language == "ar" else []
    return frozenset(matching_form(w) for w in [*module.STOP_WORDS, *extra])


def _key(word: str) -> str:
    """A word's comparison form: folded, lower-cased, and for Arabic its shortest clitic-free reading without
    the article (الجمعية and جمعية are one word here)."""
    return _read(word, frozenset())[0]


def _read(word: str, stops: frozenset[str]) -> tuple[str, bool]:
    """A word's comparison form (``_key``) and whether it is a stop word, with or without its clitics."""
    variants = list(clitic_variants(matching_form(word).lower()))
    bare = min(variants, key=len)
    key = bare[2:] if bare.startswith("ال") and len(bare) > 4 else bare
    return key, len(word) < 2 or any(variant in stops for variant in variants)


@cache
def _frequency(language: str | None) -> dict[str, float]:
    """wordfreq's list for the language: for Arabic its full one, which the tag stage's Arabic tagger has loaded
    already (the same cached dict); for other languages the small one (~3 MB for English); none when it has none."""
    if not language:
        return {}
    try:
        return get_frequency_dict(language, "best" if language == "ar" else "small")
    except (LookupError, ValueError):  # a language wordfreq has no list for, or a code it cannot parse
        return {}


@lru_cache(maxsize=100_000)
def _bare(word: str) -> str:
    """An Arabic word as shown without its proclitics, where the bare word is clearly the more common one (ووقف →
    وقف, للموضة → الموضة, بالكتاب → الكتاب, but وزارة and بلينكن stay)."""
    if not ARABIC_LETTER.match(word):
        return word
    readings = [word]
    for prefix in _PROCLITICS:
        rest = word[len(prefix) :]
        if word.startswith(prefix) and len(rest) >= 3:
            readings.append(rest)
            if prefix.endswith("ل") and rest.startswith("ل"):  # ل before the article drops its alef
                readings += ["ا" + rest, "ال" + rest]
    frequency = _frequency("ar")
    commonest = max(readings, key=lambda w: frequency.get(w, 0.0))
    clearly = frequency.get(commonest, 0.0) >= _CLEARLY_COMMONER * max(frequency.get(word, 0.0), _UNSEEN)
    return commonest if clearly else word


@dataclass(slots=True)
class _Candidate:
    first: int  # the sentence it first occurs in
    last: int
    count: int = 1
    sentences: int = 1
    shown: str = ""  # its most common form in the text, first word without proclitics


def _candidates(sentences: list[str], stops: frozenset[str]) -> dict[tuple[str, ...], _Candidate]:
    found: dict[tuple[str, ...], _Candidate] = {}
    forms: Counter[tuple[tuple[str, ...], str]] = Counter()
    read: dict[str, tuple[str, bool]] = {}
    for n, sentence in enumerate(sentences):
        for clause in _CLAUSE.split(sentence):
            words = _WORD.findall(clause)
            for word in words:  # each word's forms once, not once per phrase it is in
                if word not in read:
                    read[word] = _read(word, stops)
            for i in range(len(words)):
                for run in (words[i : i + size] for size in range(1, min(MAX_WORDS, len(words) - i) + 1)):
                    if read[run[0]][1] or read[run[-1]][1]:
                        continue
                    key = tuple(read[w][0] for w in run)
                    forms[key, " ".join(run)] += 1
                    candidate = found.get(key)
                    if candidate is None:
                        found[key] = _Candidate(n, n)
                        continue
                    candidate.count += 1
                    candidate.sentences += candidate.last != n
                    candidate.last = n
    for (key, form), _ in forms.most_common():
        if not found[key].shown:
            first, *rest = form.split(" ")
            found[key].shown = " ".join([_bare(first), *rest])
    return found


def _rarity(phrase: str, frequency: dict[str, float]) -> float:
    """How much a phrase says: the sum of its words' -log10 frequency in general use (8 for a word wordfreq never
    saw), so that rare words and longer phrases weigh more."""
    return sum(-math.log10(max(frequency.get(w, frequency.get(w.lower(), 0.0)), _UNSEEN)) for w in phrase.split())


def _score(key: tuple[str, ...], candidate: _Candidate, language: str | None) -> float:
    shown = candidate.shown
    spread = candidate.count * candidate.sentences / math.log(2 + candidate.first)
    score = spread * _rarity(shown, _frequency(language)) ** 1.5 * len(key) ** _LENGTH_EXPONENT.get(language or "", -4)
    return score * 0.5 if _RELATIONAL_ADJECTIVE.match(shown) else score


def extract_keywords(sentences: list[str], language: str | None, top: int = TOP) -> list[str]:
    found = _candidates(sentences, stop_words(language))
    score = {key: _score(key, c, language) for key, c in found.items() if c.count > 1 or len(found) < top * 3}
    chosen: list[tuple[str, ...]] = []
    for key in sorted(score, key=lambda k: -score[k]):
        if not any(set(key) <= set(other) for other in chosen):  # a part of a phrase already chosen says no more
            chosen.append(key)
        if len(chosen) == top:
            break
    return [found[key].shown for key in chosen]


def merge(page_keywords: list[str], found: list[str]) -> list[str]:
    """The page's own keywords first, then the extracted ones that say something new: not a repeat of one already
    kept, nor a part of one (حماس after حركة حماس)."""
    merged: list[str] = []
    kept: list[set[str]] = []
    for keyword in [*page_keywords, *found]:
        words = {_key(w) for w in keyword.split()}
        if words and not any(words <= other for other in kept):
            kept.append(words)
            merged.append(keyword)
    return merged


def keywords(body: list[str], language: str | None, page_keywords: list[str]) -> list[str]:
    sentences = [strip_marks(p[s:e]) for p in body for s, e in split_sentences(p)]
    return merge(page_keywords, extract_keywords(sentences, language))
