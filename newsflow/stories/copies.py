"""Exact and near copies of an article's text: a digest of its normalised words, and a MinHash signature of its
word 5-grams with LSH bands, so that an index finds the copies of a text without comparing it to every other.

The MinHash family is datasketch's (``(a * h + b) mod (2^61 - 1)``, 32-bit values, seeded), written here in a few
lines of numpy because datasketch needs scipy (about 100 MB) for an estimator newsflow does not use.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

import numpy as np

PERMUTATIONS = 60
BANDS, ROWS = 20, 3  # BANDS * ROWS == PERMUTATIONS: texts sharing 60 % of their 5-grams meet in a band 99 % of the time
SHINGLE = 5
_PRIME = np.uint64((1 << 61) - 1)
_MAX_HASH = np.uint64((1 << 32) - 1)
_RNG = np.random.default_rng(1)
_A = _RNG.integers(1, (1 << 61) - 1, PERMUTATIONS, dtype=np.uint64)
_B = _RNG.integers(0, (1 << 61) - 1, PERMUTATIONS, dtype=np.uint64)
_MARKS = re.compile(r"[\u064b-\u065f\u0670\u0640]")  # Arabic short vowels, shadda, sukun, dagger alif, tatweel
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class TextPrint:
    digest: str  # of the normalised words: equal for exact copies
    signature: np.ndarray  # MinHash, PERMUTATIONS uint32 values

    @property
    def bands(self) -> list[str]:
        """One key per band: two texts that share a band's values are candidates to compare."""
        rows = self.signature.reshape(BANDS, ROWS)
        return [hashlib.blake2b(row.tobytes(), digest_size=8).hexdigest() for row in rows]

    def similarity(self, other: np.ndarray) -> float:
        """Estimated Jaccard similarity of the two texts' 5-gram sets."""
        return float(np.mean(self.signature == other))


def words(text: str) -> list[str]:
    """The text's words, case-folded, without Arabic vowel marks or tatweel: spelling noise a copy may differ in."""
    return _WORD.findall(_MARKS.sub("", unicodedata.normalize("NFKC", text)).casefold())


def text_print(text: str) -> TextPrint:
    found = words(text)
    digest = hashlib.sha256(" ".join(found).encode("utf-8")).hexdigest()
    grams = {" ".join(found[i : i + SHINGLE]) for i in range(max(1, len(found) - SHINGLE + 1))}
    hashes = np.array([int.from_bytes(hashlib.blake2b(g.encode(), digest_size=4).digest(), "little") for g in grams],
                      dtype=np.uint64)  # fmt: skip
    permuted = (np.outer(hashes, _A) + _B) % _PRIME & _MAX_HASH  # uint64 wraps as datasketch's does
    return TextPrint(digest, permuted.min(axis=0).astype(np.uint32))


def signature_from(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype=np.uint32)
