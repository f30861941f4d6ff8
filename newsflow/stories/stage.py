"""The cluster stage: which article this one copies, and which story it belongs to, in any language.

It reads what the tag stage left on the record (the vector, the names, the countries) and embeds nothing again.
The decision is shared state (newsflow/state/stories.py); this module turns an article into what that decision
reads, and the answer back into the record's `duplicate_of`, `duplicate_similarity` and `story`.
"""

from __future__ import annotations

import json
from importlib import resources

import numpy as np

from newsflow.schema import Article, StoryMember
from newsflow.state.stories import StoryIndex
from newsflow.stories.copies import text_print
from newsflow.stories.similarity import Signal
from newsflow.stories.sounds import sound_keys
from newsflow.vectors import vector_from

NAMES_READ, COUNTRIES_READ = 8, 3


def language_means() -> dict[str, np.ndarray]:
    """The shipped mean article vector of each language newsflow has one for (scripts/build_language_means.py)."""
    data = json.loads(resources.files("newsflow.data").joinpath("language-means.json").read_text())
    return {language: np.asarray(mean, dtype=np.float32) for language, mean in data["means"].items()}


def signal_of(article: Article) -> Signal:
    """What the story decision reads of an article: its vector, its most mentioned names and their sound keys, its
    countries."""
    vector = vector_from(article.embedding) if article.embedding else np.zeros(384, np.float32)
    norm = float(np.linalg.norm(vector))
    ranked = sorted(article.entities, key=lambda e: -len(e.mentions))[:NAMES_READ]
    return Signal(
        vector=vector / norm if norm else vector,
        names=frozenset(f"{e.type}:{e.name}" for e in ranked),
        countries=frozenset(f"country:{code}" for code in article.countries[:COUNTRIES_READ]),
        language=article.language or "und",
        at=article.received_at.timestamp(),
        sounds=frozenset().union(*(sound_keys(e.name) for e in ranked)),
    )


def cluster_article(article: Article, index: StoryIndex) -> Article:
    member = StoryMember(
        id=article.id, title=article.title, language=article.language, source=article.source, url=article.url,
        joined_at=article.received_at, names=[e.name for e in sorted(article.entities, key=lambda e: -len(e.mentions))[:5]],
    )  # fmt: skip
    text = text_print("\n".join(article.body))
    found = index.assign(article.id, article.version, signal_of(article), text, member)
    return article.model_copy(update={
        "story": found.story, "duplicate_of": found.duplicate_of, "duplicate_similarity": found.duplicate_similarity,
    })  # fmt: skip
