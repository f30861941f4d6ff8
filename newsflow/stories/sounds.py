"""The consonants of a name, as one key in Arabic and in Latin script: "Valtteri Bottas" and "فالتري بوتاس" both
give FLTR and BTS. The tagger gives a canonical name only to the names its tables know; the sound keys link the
rest of the names of an Arabic article and its English coverage, which would otherwise share nothing.

Arabic writes consonants and long vowels, so both scripts drop their vowels (and h, which Arabic writes in three
ways) and fold the letters Arabic does not tell apart in borrowed names (p and b, v and f, g and j, s and z).
"""

from __future__ import annotations

import re
import unicodedata

SHORTEST = 3  # consonants: shorter keys (Jon, Ali) would link unrelated names
_LATIN_PAIRS = {"sh": "s", "ch": "s", "th": "t", "ph": "f", "ck": "k", "kh": "k", "gh": ""}
_LATIN = str.maketrans({"p": "b", "v": "f", "j": "g", "q": "k", "c": "k", "z": "s", "x": "ks"})  # the rest: dropped
_ARABIC = str.maketrans({
    "ب": "b", "پ": "b", "ت": "t", "ط": "t", "ث": "t", "ج": "g", "چ": "g", "غ": "g", "گ": "k", "ق": "k", "ك": "k",
    "خ": "k", "د": "d", "ض": "d", "ذ": "d", "ر": "r", "ز": "s", "ظ": "s", "س": "s", "ص": "s", "ش": "s", "ف": "f",
    "ڤ": "f", "ل": "l", "م": "m", "ن": "n",
})  # fmt: skip
_LATIN_PAIR = re.compile("|".join(_LATIN_PAIRS))
_SOFT_C = re.compile(r"c(?=[eiy])")
_ARABIC_CH = re.compile("تش")
_ARABIC_LETTER = re.compile(r"[\u0621-\u064a\u067e\u0686\u06a4\u06af]")
_CONSONANTS = re.compile(r"[bdfgklmnrst]")


def _latin(token: str) -> str:
    token = _SOFT_C.sub("s", unicodedata.normalize("NFKD", token).casefold())
    return _LATIN_PAIR.sub(lambda match: _LATIN_PAIRS[match.group()], token).translate(_LATIN)


def _arabic(token: str) -> str:
    if token.startswith("ال") and len(token) > 4:
        token = token[2:]
    return _ARABIC_CH.sub("ش", token).translate(_ARABIC)


def _skeleton(token: str) -> str:
    spelled = _arabic(token) if _ARABIC_LETTER.search(token) else _latin(token)
    consonants = _CONSONANTS.findall(spelled)
    return "".join(c for n, c in enumerate(consonants) if n == 0 or c != consonants[n - 1])


def sound_keys(name: str) -> frozenset[str]:
    """``sound:`` keys of a name's words of at least ``SHORTEST`` consonants."""
    found = (_skeleton(token) for token in re.findall(r"\w+", name))
    return frozenset(f"sound:{key.upper()}" for key in found if len(key) >= SHORTEST)
