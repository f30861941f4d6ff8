"""Which live story an article joins, as pure functions over its signal and the stories' states.

An article's score against a story is the cosine of its vector with the story's centroid (both with their
language's mean taken out: multilingual-e5's vectors of one language share a direction that says nothing about the
story; the mean is a running one, over the articles seen, starting from a shipped one where newsflow has it) plus
what the article's names, and its countries, have in common with the story's. It joins the best story scoring at
least its threshold (``Thresholds``), else starts one. A story's centroid and names are running sums in which
older articles weigh less (half-life ``HALF_LIFE_S``), so a story follows its latest articles. The weights and the
threshold were chosen on one half of the stories benchmark and reported on the other (benchmarks/results/stories.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

import numpy as np

NAME_WEIGHT = 0.1
COUNTRY_WEIGHT = 0.0
HALF_LIFE_S = 86_400.0
# What a story keeps of its names and countries: the strongest, so its state stays bounded however long it runs.
NAMES_KEPT, COUNTRIES_KEPT = 30, 10
PRIOR_ARTICLES = 50  # the shipped mean of a language counts as this many of its articles in the running mean


@dataclass(frozen=True)
class Signal:
    """What the cluster stage knows of one article."""

    vector: np.ndarray  # unit length; its language's mean taken out once ``centred``
    names: frozenset[str]  # "type:canonical name", the article's most mentioned
    countries: frozenset[str]
    language: str
    at: float  # unix seconds
    sounds: frozenset[str] = frozenset()  # the names' sound keys (newsflow/stories/sounds.py), in any script


@dataclass(frozen=True)
class StoryState:
    id: str
    centroid: np.ndarray  # unit length
    weight: float  # the articles' weights in the running sums, decayed to ``last_seen``
    names: Mapping[str, float]
    countries: Mapping[str, float]
    first_seen: float
    last_seen: float
    size: int
    languages: Mapping[str, int] = field(default_factory=dict)
    sounds: Mapping[str, float] = field(default_factory=dict)


def running_mean(prior: np.ndarray, total: np.ndarray, count: int) -> np.ndarray:
    return (prior * PRIOR_ARTICLES + total) / (PRIOR_ARTICLES + count)


def centred(signal: Signal, mean: np.ndarray) -> Signal:
    vector = signal.vector - mean
    return replace(signal, vector=vector / (np.linalg.norm(vector) or 1.0))


def _share(found: frozenset[str], known: Mapping[str, float]) -> float:
    """What the article and the story have in common, over the smaller of the two (the overlap coefficient): the
    same whichever of two articles came first."""
    return sum(1 for item in found if item in known) / min(len(found), len(known)) if found and known else 0.0


def score(signal: Signal, story: StoryState) -> float:
    return (
        float(signal.vector @ story.centroid)
        + NAME_WEIGHT * _share(signal.names, story.names)
        + COUNTRY_WEIGHT * _share(signal.countries, story.countries)
    )


@dataclass(frozen=True)
class Thresholds:
    """The least score to join a story: ``same`` for one with an article in the article's language; for one in
    other languages only (their vectors lie further apart than in one), ``cross`` with a name (or a name's sound key)
    or a country in common, as Event Registry links stories across languages, and ``unlinked`` without one."""

    same: float
    cross: float
    unlinked: float

    @property
    def lowest(self) -> float:
        return min(self.same, self.cross, self.unlinked)


def linked(signal: Signal, story: StoryState) -> bool:
    """Whether the article and the story have a name, a name's sound or a country in common."""
    return any(_share(found, known) for found, known in ((signal.names, story.names), (signal.sounds, story.sounds),
                                                          (signal.countries, story.countries)))  # fmt: skip


def best_story(
    signal: Signal, stories: Iterable[StoryState], thresholds: Thresholds
) -> tuple[StoryState, float] | None:
    """The story ``signal`` joins and its score, or None: it starts one. Of the stories that clear their threshold,
    the one that clears it by the most."""
    best: tuple[StoryState, float, float] | None = None
    for story in stories:
        if signal.language in story.languages:
            need = thresholds.same
        elif linked(signal, story):
            need = thresholds.cross
        else:
            need = thresholds.unlinked
        found = score(signal, story)
        above = found - need
        if above >= 0 and (best is None or (above, story.last_seen) > (best[2], best[0].last_seen)):
            best = (story, found, above)
    return (best[0], best[1]) if best else None


def _decayed(counts: Mapping[str, float], factor: float, added: Iterable[str], kept: int) -> dict[str, float]:
    merged = {key: value * factor for key, value in counts.items()}
    for key in added:
        merged[key] = merged.get(key, 0.0) + 1.0
    return dict(sorted(merged.items(), key=lambda item: -item[1])[:kept])


def started(story_id: str, signal: Signal) -> StoryState:
    return StoryState(story_id, signal.vector, 1.0, dict.fromkeys(signal.names, 1.0),
                      dict.fromkeys(signal.countries, 1.0), signal.at, signal.at, 1, {signal.language: 1},
                      dict.fromkeys(signal.sounds, 1.0))  # fmt: skip


def joined(story: StoryState, signal: Signal) -> StoryState:
    """The story with the article in it: the older articles' part of the sums decayed to the article's time."""
    factor = 0.5 ** (max(0.0, signal.at - story.last_seen) / HALF_LIFE_S)
    total = story.centroid * story.weight * factor + signal.vector
    languages = dict(story.languages)
    languages[signal.language] = languages.get(signal.language, 0) + 1
    return replace(
        story,
        centroid=total / (np.linalg.norm(total) or 1.0),
        weight=story.weight * factor + 1.0,
        names=_decayed(story.names, factor, signal.names, NAMES_KEPT),
        countries=_decayed(story.countries, factor, signal.countries, COUNTRIES_KEPT),
        sounds=_decayed(story.sounds, factor, signal.sounds, NAMES_KEPT),
        last_seen=max(story.last_seen, signal.at),
        size=story.size + 1,
        languages=languages,
    )
