"""Story state in Redis, shared by every cluster worker: live stories, the indexes that find candidates, the copy
index, and what was decided for each article.

One decision at a time: ``assign`` reads the candidates, decides (newsflow/stories/similarity.py) and writes under
one Redis lock (redis-py's, released by a compare-and-delete script), so two workers never start two stories for
one event at the same moment, nor miss each other's copy. The lock costs two round trips per article and serialises
the decisions: at about 2 ms each, some 500 articles a second across all workers (benchmarks/results/stories.md).
A redelivered article finds its assignment (per article version and pipeline version) and gets the same answer.

What bounds the cost: candidates come from the indexes of the article's names, their sound keys and its countries
(the latest ``CANDIDATES_PER_TERM`` stories each) and the ``RECENT_CANDIDATES`` latest stories, never a scan of all;
a story keeps its strongest names and sounds and its ``MEMBERS_KEPT`` latest articles; everything expires
``NEWSFLOW_STORY_TTL_DAYS`` after a story's last article.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import orjson
import redis
from redis.exceptions import LockError

from config import Settings
from newsflow.errors import TransientError
from newsflow.schema import Story, StoryMember, StoryRef
from newsflow.state.keys import Keys
from newsflow.stories import similarity
from newsflow.stories.copies import TextPrint, signature_from
from newsflow.stories.similarity import (
    Signal,
    StoryState,
    Thresholds,
    best_story,
    centred,
    joined,
    running_mean,
    started,
)

LOCK_TIMEOUT_S, LOCK_WAIT_S = 10, 5
CANDIDATES_PER_TERM, RECENT_CANDIDATES = 20, 50
INDEX_KEPT, MEMBERS_KEPT, SOURCES_KEPT = 200, 10, 10
_CENTROID = np.dtype("<f2")


@dataclass(frozen=True)
class Assignment:
    story: StoryRef
    duplicate_of: str | None = None
    duplicate_similarity: float | None = None


def _text(value: object) -> str | None:
    return value.decode() if isinstance(value, bytes) else None


def _stamp(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


class StoryIndex:
    def __init__(self, client: redis.Redis, settings: Settings, priors: Mapping[str, np.ndarray] | None = None) -> None:
        """``priors``: the shipped mean vector of each language that has one; other languages start from their
        average."""
        self._redis, self._settings, self._keys = client, settings, Keys.from_settings(settings)
        self._ttl_s = int(settings.story_ttl_days * 86_400)
        self._thresholds = Thresholds(settings.story_threshold, settings.story_cross_threshold,
                                      settings.story_unlinked_threshold)  # fmt: skip
        self._priors = dict(priors or {})
        self._fallback = np.mean(list(self._priors.values()), axis=0) if self._priors else np.zeros(384, np.float32)

    def assign(self, article_id: str, version: int, signal: Signal, text: TextPrint, member: StoryMember) -> Assignment:
        """The story of one article version, and the article it copies, decided once and shared by every worker."""
        key = self._keys.story_assignment(self._settings.pipeline_version, article_id, version)
        if (found := self._assignment(key)) is not None:
            return found
        try:
            with self._redis.lock(self._keys.story_lock(), timeout=LOCK_TIMEOUT_S, blocking_timeout=LOCK_WAIT_S):
                if (found := self._assignment(key)) is not None:
                    return found
                return self._decide(key, article_id, signal, text, member)
        except LockError as exc:
            raise TransientError(f"the story lock was not free within {LOCK_WAIT_S} s: {exc}") from exc

    def _assignment(self, key: str) -> Assignment | None:
        data = self._redis.get(key)
        if data is None:
            return None
        found = orjson.loads(data)
        return Assignment(StoryRef.model_validate(found["story"]), found["duplicate_of"], found["duplicate_similarity"])

    def _decide(self, key: str, article_id: str, raw: Signal, text: TextPrint, member: StoryMember) -> Assignment:
        total, count = self._language_sum(raw.language)
        signal = centred(raw, running_mean(self._priors.get(raw.language, self._fallback), total, count))
        original, similarity = self._copied(article_id, text)
        copied_id = self._story_of(original) if original else None
        stories = self._states(self._candidates(signal, copied_id), signal, copied_id)
        copied = stories.get(copied_id or "")
        choice = (copied, 1.0) if copied else best_story(signal, stories.values(), self._thresholds)
        state = joined(choice[0], signal) if choice else started(uuid.uuid4().hex[:16], signal)
        languages = [lang for lang, _ in sorted(state.languages.items(), key=lambda item: -item[1])]
        assignment = Assignment(StoryRef(id=state.id, first_seen=_stamp(state.first_seen), size=state.size,
                                         languages=languages), original, similarity)  # fmt: skip
        self._write(key, article_id, state, signal, text, member, assignment, original or article_id)
        self._redis.hset(self._keys.language_mean(raw.language),
                         mapping={"total": (total + raw.vector).astype(np.float32).tobytes(), "count": count + 1})  # fmt: skip
        return assignment

    def _language_sum(self, language: str) -> tuple[np.ndarray, int]:
        found: list[Any] = self._redis.hmget(self._keys.language_mean(language), "total", "count")
        if found[0] is None:
            return np.zeros(384, np.float32), 0
        return np.frombuffer(found[0], dtype=np.float32), int(found[1])

    def _copied(self, article_id: str, text: TextPrint) -> tuple[str | None, float | None]:
        """The first article seen with this text or one close enough to it, and how close."""
        exact = _text(self._redis.get(self._keys.copy_digest(text.digest)))
        if exact is not None and exact != article_id:
            return exact, 1.0
        pipe = self._redis.pipeline(transaction=False)
        for band, value in enumerate(text.bands):
            pipe.smembers(self._keys.copy_band(band, value))
        others = sorted({m.decode() for members in pipe.execute() for m in members} - {article_id})
        if not others:
            return None, None
        pipe = self._redis.pipeline(transaction=False)
        for other in others:
            pipe.hmget(self._keys.copy_signature(other), "signature", "original")
        best: tuple[float, str] | None = None
        for signature, original in pipe.execute():
            if signature is not None:
                found = (text.similarity(signature_from(signature)), original.decode())
                best = max(best, found) if best else found
        if best is None or best[0] < self._settings.duplicate_threshold:
            return None, None
        return best[1], round(best[0], 3)

    def _story_of(self, article_id: str) -> str | None:
        return _text(self._redis.get(self._keys.story_of(article_id)))

    def _candidates(self, signal: Signal, copied_id: str | None) -> list[str]:
        pipe = self._redis.pipeline(transaction=False)
        for term in sorted(index_terms(signal)):
            pipe.zrevrange(self._keys.story_index(term), 0, CANDIDATES_PER_TERM - 1)
        pipe.zrevrange(self._keys.stories(), 0, RECENT_CANDIDATES - 1)
        found = {m.decode() for members in pipe.execute() for m in members} | ({copied_id} if copied_id else set())
        return sorted(found)

    def _states(self, story_ids: Sequence[str], signal: Signal, keep: str | None) -> dict[str, StoryState]:
        """The live candidates whose centroid alone could bring them to a threshold (and ``keep``), read in full;
        the rest no further than their centroid (768 bytes, where a whole story is a few kilobytes)."""
        pipe = self._redis.pipeline(transaction=False)
        for story_id in story_ids:
            pipe.hmget(self._keys.story(story_id), "centroid", "last_seen")
        oldest = time.time() - self._ttl_s
        reach = self._thresholds.lowest - similarity.NAME_WEIGHT - similarity.COUNTRY_WEIGHT
        near = [story_id for story_id, (centroid, last_seen) in zip(story_ids, pipe.execute(), strict=True)
                if centroid is not None and float(last_seen) >= oldest
                and (story_id == keep or float(np.frombuffer(centroid, dtype=_CENTROID) @ signal.vector) >= reach)]  # fmt: skip
        pipe = self._redis.pipeline(transaction=False)
        for story_id in near:
            pipe.hgetall(self._keys.story(story_id))
        return {story_id: _state(story_id, fields) for story_id, fields in zip(near, pipe.execute(), strict=True)
                if fields}  # fmt: skip

    def _write(self, key: str, article_id: str, state: StoryState, signal: Signal, text: TextPrint,
               member: StoryMember, assignment: Assignment, original: str) -> None:  # fmt: skip
        k, ttl = self._keys, self._ttl_s
        story_key, member = k.story(state.id), member.model_copy(update={"duplicate_of": assignment.duplicate_of})
        existing: dict[bytes, bytes] = self._redis.hgetall(story_key)  # type: ignore[assignment]  # a sync client's
        sources = orjson.loads(existing.get(b"sources", b"{}"))
        if member.source:
            sources[member.source] = sources.get(member.source, 0) + 1
        title = existing.get(b"title", b"").decode() or member.title or ""
        if member.title and member.language == "en" and existing.get(b"title_language") != b"en":
            title, title_language = member.title, "en"
        else:
            title_language = existing.get(b"title_language", b"").decode() or (member.language or "")
        pipe = self._redis.pipeline(transaction=True)
        pipe.hset(story_key, mapping={
            "centroid": np.asarray(state.centroid, dtype=_CENTROID).tobytes(), "weight": state.weight,
            "names": orjson.dumps(state.names), "countries": orjson.dumps(state.countries),
            "sounds": orjson.dumps(state.sounds),
            "languages": orjson.dumps(state.languages), "first_seen": state.first_seen, "last_seen": state.last_seen,
            "size": state.size, "title": title, "title_language": title_language,
            "sources": orjson.dumps(dict(sorted(sources.items(), key=lambda item: -item[1])[:SOURCES_KEPT])),
        })  # fmt: skip
        members = k.story_members(state.id)
        pipe.lpush(members, member.model_dump_json())
        pipe.ltrim(members, 0, MEMBERS_KEPT - 1)
        pipe.zadd(k.stories(), {state.id: state.last_seen})
        pipe.zremrangebyscore(k.stories(), "-inf", time.time() - ttl)  # so its size counts the live stories
        for term in index_terms(signal):
            pipe.zadd(k.story_index(term), {state.id: state.last_seen})
            pipe.zremrangebyrank(k.story_index(term), 0, -INDEX_KEPT - 1)
            pipe.expire(k.story_index(term), ttl)
        pipe.set(k.copy_digest(text.digest), article_id, nx=True, ex=ttl)
        for band, value in enumerate(text.bands):
            pipe.sadd(k.copy_band(band, value), article_id)
            pipe.expire(k.copy_band(band, value), ttl)
        pipe.hset(k.copy_signature(article_id), mapping={"signature": text.signature.tobytes(), "original": original})
        pipe.expire(k.copy_signature(article_id), ttl)
        pipe.set(k.story_of(article_id), state.id, ex=ttl)
        pipe.set(key, orjson.dumps({"story": assignment.story.model_dump(mode="json"),
                                    "duplicate_of": assignment.duplicate_of,
                                    "duplicate_similarity": assignment.duplicate_similarity}), ex=ttl)  # fmt: skip
        for item in (story_key, members):
            pipe.expire(item, ttl)
        pipe.hincrby(k.story_counts(), "articles", 1)
        pipe.hincrby(k.story_counts(), "started" if state.size == 1 else "joined", 1)
        if assignment.duplicate_of:
            pipe.hincrby(k.story_counts(), "duplicates", 1)
        pipe.execute()

    def live(self, since: float | None = None, limit: int = 100) -> list[Story]:
        """Live stories, the latest first: those with an article since ``since`` (unix seconds), at most ``limit``."""
        oldest = max(since or 0.0, time.time() - self._ttl_s)
        found: list[bytes] = self._redis.zrevrangebyscore(self._keys.stories(), "+inf", oldest, 0, limit)  # type: ignore[assignment]
        ids = [m.decode() for m in found]
        return [story for story in self._stories(ids, members=False) if story is not None]

    def get(self, story_id: str) -> Story | None:
        (story,) = self._stories([story_id], members=True)
        return story

    def _stories(self, ids: Iterable[str], members: bool) -> list[Story | None]:
        ids = list(ids)
        pipe = self._redis.pipeline(transaction=False)
        for story_id in ids:
            pipe.hgetall(self._keys.story(story_id))
            if members:
                pipe.lrange(self._keys.story_members(story_id), 0, -1)
        found = pipe.execute()
        step = 2 if members else 1
        return [_story(story_id, found[i * step], found[i * step + 1] if members else [])
                for i, story_id in enumerate(ids)]  # fmt: skip


def _state(story_id: str, fields: dict[bytes, Any]) -> StoryState:
    return StoryState(
        id=story_id,
        centroid=np.frombuffer(fields[b"centroid"], dtype=_CENTROID).astype(np.float32),
        weight=float(fields[b"weight"]),
        names=orjson.loads(fields[b"names"]),
        countries=orjson.loads(fields[b"countries"]),
        first_seen=float(fields[b"first_seen"]),
        last_seen=float(fields[b"last_seen"]),
        size=int(fields[b"size"]),
        languages=orjson.loads(fields[b"languages"]),
        sounds=orjson.loads(fields.get(b"sounds", b"{}")),  # none in a story written before cluster stage 2
    )


def index_terms(signal: Signal) -> frozenset[str]:
    """What indexes a story: its articles' names, their sound keys and countries."""
    return signal.names | signal.sounds | signal.countries


def _ranked(data: bytes | None) -> list[str]:
    counts: dict[str, float] = orjson.loads(data or b"{}")
    return [key for key, _ in sorted(counts.items(), key=lambda item: -item[1])]


def _story(story_id: str, fields: dict[bytes, Any], members: list[bytes]) -> Story | None:
    if not fields:
        return None
    return Story(
        id=story_id,
        title=fields[b"title"].decode() or None,
        size=int(fields[b"size"]),
        languages=_ranked(fields[b"languages"]),
        sources=_ranked(fields.get(b"sources")),
        countries=[term.split(":", 1)[1] for term in _ranked(fields[b"countries"])],
        names=[name.split(":", 1)[1] for name in _ranked(fields[b"names"])[:10]],
        first_seen=_stamp(float(fields[b"first_seen"])),
        last_seen=_stamp(float(fields[b"last_seen"])),
        members=[StoryMember.model_validate_json(m) for m in members],
    )
