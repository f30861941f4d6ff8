"""Keywords of an article in its own language: the phrases it keeps coming back to, early and throughout.

Candidates are runs of one to three words inside a sentence that neither start nor end with a stop word (spaCy's
lists for the article's language) or a number. Arabic words are compared in matching form with their clitics and
article peeled off, so الحرب, والحرب and حرب count as one; the form shown is the one the article uses most. A
candidate scores by how often it occurs, in how many sentences, and how early it first appears, in the spirit of
YAKE (whose package is AGPL-3.0 licensed, which newsflow does not take on).
"""

from __future__ import annotations

import importlib
import math
import re
from collections import Counter, defaultdict
from functools import cache

from newsflow.segment import split_sentences
from newsflow.tagging.phrases import clitic_variants
from newsflow.text import matching_form, strip_marks

_WORD = re.compile(r"[^\W\d_][\w'-]*")
MAX_WORDS = 3
TOP = 10


@cache
def stop_words(language: str | None) -> frozenset[str]:
    try:
        module = importlib.import_module(f"spacy.lang.{language}.stop_words")
    except (ImportError, TypeError, ValueError):
        return frozenset()
    return frozenset(matching_form(w) for w in module.STOP_WORDS)


def _key(word: str) -> str:
    """A word's comparison form: folded, lower-cased, and for Arabic its shortest clitic-free reading without
    the article (الجمعية and جمعية are one word here)."""
    bare = min(clitic_variants(matching_form(word).lower()), key=len)
    return bare[2:] if bare.startswith("ال") and len(bare) > 4 else bare


def _is_stop(word: str, stops: frozenset[str]) -> bool:
    return any(variant in stops for variant in clitic_variants(matching_form(word).lower())) or len(word) < 2


def _overlap(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """One inside the other, or two phrases sharing a word: keep the better scored only."""
    shared = set(a) & set(b)
    return set(a) <= set(b) or set(b) <= set(a) or (bool(shared) and len(a) > 1 and len(b) > 1)


def extract_keywords(sentences: list[str], language: str | None, top: int = TOP) -> list[str]:
    stops = stop_words(language)
    count: Counter[tuple[str, ...]] = Counter()
    seen_in: dict[tuple[str, ...], set[int]] = defaultdict(set)
    first: dict[tuple[str, ...], int] = {}
    shown: dict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
    keys: dict[str, str] = {}
    stopped: dict[str, bool] = {}
    for n, sentence in enumerate(sentences):
        words = _WORD.findall(sentence)
        for word in words:  # each word's forms once, not once per phrase it is in
            if word not in keys:
                keys[word], stopped[word] = _key(word), _is_stop(word, stops)
        for i in range(len(words)):
            for size in range(1, MAX_WORDS + 1):
                run = words[i : i + size]
                if len(run) < size or stopped[run[0]] or stopped[run[-1]]:
                    continue
                key = tuple(keys[w] for w in run)
                count[key] += 1
                seen_in[key].add(n)
                first.setdefault(key, n)
                shown[key][" ".join(run)] += 1
    score = {key: count[key] * len(seen_in[key]) * (1 + 0.5 * (len(key) - 1)) / math.log(2 + first[key])
             for key in count if count[key] > 1 or len(count) < top * 3}  # fmt: skip
    chosen: list[tuple[str, ...]] = []
    for key in sorted(score, key=lambda k: -score[k]):
        if not any(_overlap(key, other) for other in chosen):
            chosen.append(key)
        if len(chosen) == top:
            break
    return [shown[key].most_common(1)[0][0] for key in chosen]


def merge(page_keywords: list[str], found: list[str]) -> list[str]:
    """The page's own keywords first, then the extracted ones that say something new."""
    merged, keys = [], set()
    for keyword in [*page_keywords, *found]:
        key = " ".join(_key(w) for w in keyword.split())
        if key and key not in keys:
            keys.add(key)
            merged.append(keyword)
    return merged


def keywords(body: list[str], language: str | None, page_keywords: list[str]) -> list[str]:
    sentences = [strip_marks(p[s:e]) for p in body for s, e in split_sentences(p)]
    return merge(page_keywords, extract_keywords(sentences, language))
