"""IPTC Media Topics (the 17 top-level codes) from an article's pooled vector: ``pooled(title, body)`` of the tag
stage's one pass of the truncated multilingual-e5-small encoder (newsflow/tagging/encoder.py).

A linear layer (newsflow/data/topics.json, written by scripts/train_topics.py) gives each topic a calibrated
probability: one sigmoid per topic (a topic's score does not depend on the others'), its logits scaled and shifted
to fit held-out folds. Trained on MasakhaNEWS English dev (472 BBC articles, 6 categories), ANT's Arabic training
part (1,525 articles from one Tunisian radio site, 6 categories) and IPTC's English and Arabic names and definitions
of every Media Topic, so the 11 topics no corpus covers exist too (though they are rarely chosen: they rest on IPTC's
definitions alone); the encoder is the file's ``encoder`` (12 layers, with the names adapter whose digest it
records), the input its title and 128-token lead. Held-out top-1 accuracy (benchmarks/results/topics.md): English
(MasakhaNEWS test) 0.860, Arabic (ANT test) 0.957, against about 0.3 and 0.38 for the zero-shot centroids before it;
trained on one language alone and scored on the other, only 0.61 to 0.67, so expect less on outlets unlike these
two.
Kept: the best topic always, and the others whose score is at least the model's threshold (chosen by
cross-validation), ``MAX_TOPICS`` at most.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

import numpy as np

MAX_TOPICS = 3


@dataclass(frozen=True)
class TopicScore:
    code: str
    label: str
    score: float


class TopicClassifier:
    """The trained weights, loaded once per worker process; ``classify`` is a matrix-vector product."""

    def __init__(self, model: dict[str, Any] | None = None) -> None:
        if model is None:
            model = json.loads((files("newsflow") / "data" / "topics.json").read_text(encoding="utf-8"))
        self.topics: list[tuple[str, str]] = [(t["code"], t["label"]) for t in model["topics"]]
        self.weights = np.array(model["weights"], dtype=np.float32)  # (topics, hidden)
        self.bias = np.array(model["bias"], dtype=np.float32)
        self.head: str = model["head"]
        self.threshold = float(model["threshold"])
        self.layers = int(model["encoder"]["layers"])  # the encoder's, which the weights only fit
        self.adapter: str | None = model["encoder"].get("adapter")  # its adapter's digest, likewise

    def scores(self, vector: np.ndarray) -> np.ndarray:
        """Each topic's calibrated probability, in ``topics`` order."""
        logits = self.weights @ vector.astype(np.float32) + self.bias
        if self.head == "ovr":
            return np.asarray(1 / (1 + np.exp(-logits)))
        shares = np.exp(logits - logits.max())
        return np.asarray(shares / shares.sum())

    def classify(self, vector: np.ndarray | None) -> list[TopicScore]:
        """The best topic, then up to two more scoring at least the threshold; [] for an article with no text."""
        if vector is None:
            return []
        scores = self.scores(vector)
        ranked = np.argsort(-scores, kind="stable")[:MAX_TOPICS]
        kept = [i for n, i in enumerate(ranked) if n == 0 or scores[i] >= self.threshold]
        return [TopicScore(self.topics[i][0], self.topics[i][1], round(float(scores[i]), 4)) for i in kept]
