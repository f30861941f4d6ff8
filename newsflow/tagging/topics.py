"""IPTC Media Topics (top level) from an article's own language, with multilingual-e5-small embeddings
(newsflow/embedding.py).

The title and lead (``LEAD_CHARS``: news puts what a story is about first, and the model's cost grows with every
token) are embedded as a passage and compared with one centroid per topic that scripts/build_topic_centroids.py
built from IPTC's names and definitions of the topic and its subtopics, in English and Arabic
(newsflow/data/iptc-topics.json). The model's cosines all fall in a narrow band, so they are turned into shares
with a softmax at temperature ``TEMPERATURE``; the topics whose share is at least ``MIN_SHARE`` are kept, at most
``MAX_TOPICS``, the best always.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import numpy as np

from newsflow.tagging.embedding import Embedder

LEAD_CHARS = 160
TEMPERATURE = 0.01
MIN_SHARE = 0.15
MAX_TOPICS = 3


def article_lead(title: str | None, body: list[str]) -> str:
    return "\n".join([*([title] if title else []), *body])[:LEAD_CHARS].strip()


@dataclass(frozen=True)
class TopicScore:
    code: str
    label: str
    score: float


class TopicClassifier:
    def __init__(self, models_dir: Path, threads: int = 1) -> None:
        data = json.loads((files("newsflow") / "data" / "iptc-topics.json").read_text(encoding="utf-8"))["topics"]
        self.codes: list[tuple[str, str]] = [(t["code"], t["label"]) for t in data]
        self.centroids = np.array([t["centroid"] for t in data], dtype=np.float32)
        self.model = Embedder(models_dir, threads).warm()

    def classify(self, title: str | None, body: list[str]) -> list[TopicScore]:
        lead = article_lead(title, body)
        if not lead:
            return []
        cosines = self.centroids @ self.model.passage(lead)
        shares = np.exp((cosines - cosines.max()) / TEMPERATURE)
        shares /= shares.sum()
        ranked = np.argsort(-shares)[:MAX_TOPICS]
        chosen = [i for n, i in enumerate(ranked) if n == 0 or shares[i] >= MIN_SHARE]
        return [TopicScore(self.codes[i][0], self.codes[i][1], round(float(shares[i]), 4)) for i in chosen]
