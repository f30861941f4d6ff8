"""Write newsflow/data/word-classes-ar.tsv.gz: each Arabic stem's class at newsflow.tagging.word_classes.SIZES
granularities, from the company it keeps in unlabelled Arabic news, for the Arabic CRF's features.

    .venv/bin/python scripts/build_word_classes.py      (make word-classes; under a minute)

The text is every ANT file (../shared/data/topics: 10,161 articles of one Tunisian radio site, Apache-2.0), read as
the tagger reads words (newsflow.tagging.ner: folded, proclitic taken off). Each stem seen at least ``MIN_COUNT``
times is described by the stems just before and just after it (positive pointwise mutual information with the
``CONTEXTS`` commonest stems, each side apart), reduced to ``DIMENSIONS`` by a seeded randomised SVD (Halko et al.
2011) and clustered by spherical k-means at each granularity. NewsFANE, which trains and scores the tagger, is not
read. Deterministic on one machine.
"""

from __future__ import annotations

import gzip
import sys
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from newsflow.tagging.ner import stem_of, words  # noqa: E402
from newsflow.tagging.word_classes import FILE, SIZES  # noqa: E402
from scripts.topic_corpora import ant_texts  # noqa: E402

OUTPUT = ROOT / "newsflow" / "data" / FILE
MIN_COUNT, CONTEXTS, DIMENSIONS, ITERATIONS = 2, 3000, 100, 15


def stems(text: str) -> list[str]:
    return [stem_of(text[a:b])[2] for a, b in words(text)]


def neighbour_counts(texts: list[list[str]], vocabulary: list[str], contexts: list[str]) -> np.ndarray:
    """(stems, 2 x contexts): how often each context stem comes just before (left half) and just after it."""
    row, column = {w: i for i, w in enumerate(vocabulary)}, {w: i for i, w in enumerate(contexts)}
    counts = np.zeros((len(vocabulary), 2 * len(contexts)), dtype=np.float32)
    for text in texts:
        rows, columns = [row.get(w, -1) for w in text], [column.get(w, -1) for w in text]
        for k, i in enumerate(rows):
            if i >= 0 and k > 0 and columns[k - 1] >= 0:
                counts[i, columns[k - 1]] += 1
            if i >= 0 and k + 1 < len(text) and columns[k + 1] >= 0:
                counts[i, len(contexts) + columns[k + 1]] += 1
    return counts


def ppmi(counts: np.ndarray) -> np.ndarray:
    """Positive PMI, the context distribution smoothed to the power 0.75 (Levy, Goldberg and Dagan 2015)."""
    rows = counts.sum(axis=1, keepdims=True)
    columns = counts.sum(axis=0, keepdims=True) ** 0.75
    expected = rows * (columns / columns.sum()) + 1e-9
    with np.errstate(divide="ignore"):
        return np.where(counts > 0, np.maximum(np.log(counts / expected), 0), 0).astype(np.float32)


def reduced(matrix: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The rows in ``DIMENSIONS`` (randomised SVD, one power iteration), scaled by the root of their singular
    values and normalised."""
    basis, _ = np.linalg.qr(matrix @ rng.standard_normal((matrix.shape[1], DIMENSIONS + 60)).astype(np.float32))
    basis, _ = np.linalg.qr(matrix @ (matrix.T @ basis))
    u, s, _ = np.linalg.svd(basis.T @ matrix, full_matrices=False)
    vectors = (basis @ u[:, :DIMENSIONS]) * np.sqrt(s[:DIMENSIONS])
    return vectors / (np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-9)


def kmeans(vectors: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Spherical k-means: each row's cluster."""
    centres = vectors[rng.choice(len(vectors), k, replace=False)]
    for _ in range(ITERATIONS):
        nearest = np.argmax(vectors @ centres.T, axis=1)
        for j in range(k):
            members = vectors[nearest == j]
            if len(members):
                centres[j] = members.mean(axis=0) / (np.linalg.norm(members.mean(axis=0)) + 1e-9)
    return np.argmax(vectors @ centres.T, axis=1)


def main() -> None:
    texts = [stems(text) for text in ant_texts()]
    counts = Counter(w for text in texts for w in text)
    vocabulary = [w for w, n in counts.most_common() if n >= MIN_COUNT]
    contexts = [w for w, _ in counts.most_common(CONTEXTS)]
    rng = np.random.default_rng(0)
    vectors = reduced(ppmi(neighbour_counts(texts, vocabulary, contexts)), rng)
    classes = np.stack([kmeans(vectors, k, rng) for k in SIZES], axis=1)
    with gzip.GzipFile(OUTPUT, "wb", mtime=0) as out:
        out.write(f"# stem, then its class among {', '.join(map(str, SIZES))}: scripts/build_word_classes.py from "
                  f"the ANT corpus v1.1 (Apache-2.0), {sum(map(len, texts)):,} words\n".encode())  # fmt: skip
        out.writelines(
            f"{w}\t{chr(9).join(map(str, row))}\n".encode() for w, row in zip(vocabulary, classes, strict=True)
        )
    print(f"{OUTPUT}: {len(vocabulary):,} stems ({OUTPUT.stat().st_size / 1e3:.0f} KB)", file=sys.stderr)


if __name__ == "__main__":
    main()
