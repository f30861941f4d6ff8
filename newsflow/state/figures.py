"""The deployment's figures, read in one Redis round trip: what `newsflow status`, the gateway's /metrics and
back-pressure show. Every read is O(1) or bounded by the number of stages."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import redis

from newsflow.state.keys import Keys
from newsflow.state.output import COUNT_BUCKET_S


@dataclass(frozen=True)
class StoryFigures:
    live: int  # stories with an article within NEWSFLOW_STORY_TTL_DAYS (as of the latest article)
    articles: int  # articles the cluster stage placed, ever
    started: int  # of which started a story
    joined: int  # of which joined one
    duplicates: int  # of which copy an earlier article


@dataclass(frozen=True)
class Figures:
    queue_depths: dict[str, int]  # messages waiting, by stage
    in_flight: int  # accepted articles neither published nor dead-lettered
    in_flight_bytes: int  # what they hold, as back-pressure counts it (NEWSFLOW_MAX_QUEUE_BYTES)
    dead_letters: int  # letters waiting in the dead-letter stream
    published_total: int  # records ever added to the output stream
    dead_lettered_total: int  # letters ever added
    published_last_minute: int
    stories: StoryFigures


def queue_depths(client: redis.Redis, keys: Keys, stages: Sequence[str]) -> dict[str, int]:
    """Messages waiting in each stage's queue, by stage (kombu keeps a list per priority step)."""
    pipe = client.pipeline(transaction=False)
    _queue_lengths(pipe, keys, stages)
    return _depths(pipe.execute(), keys, stages)


def read_figures(client: redis.Redis, keys: Keys, stages: Sequence[str]) -> Figures:
    pipe = client.pipeline(transaction=False)
    _queue_lengths(pipe, keys, stages)
    lists = sum(len(keys.queue_lists(stage)) for stage in stages)
    now_bucket = int(time.time()) // COUNT_BUCKET_S
    pipe.zcard(keys.in_flight())
    pipe.hget(keys.in_flight_bytes(), "*")
    pipe.xlen(keys.dead_letter_stream)
    pipe.xinfo_stream(keys.output_stream)
    pipe.xinfo_stream(keys.dead_letter_stream)
    pipe.zcard(keys.stories())
    pipe.hgetall(keys.story_counts())
    for bucket in range(now_bucket - 60 // COUNT_BUCKET_S + 1, now_bucket + 1):
        pipe.get(keys.published_count(bucket))
    found = pipe.execute(raise_on_error=False)  # XINFO fails on a stream that does not exist yet
    in_flight, in_flight_bytes, dead_letters, output_info, dead_info, live_stories, story_counts, *buckets = found[
        lists:
    ]
    counts = {name.decode(): int(value) for name, value in story_counts.items()}
    return Figures(
        queue_depths=_depths(found[:lists], keys, stages),
        in_flight=in_flight,
        in_flight_bytes=int(in_flight_bytes or 0),
        dead_letters=dead_letters,
        published_total=_added(output_info),
        dead_lettered_total=_added(dead_info),
        published_last_minute=sum(int(b) for b in buckets if b is not None),
        stories=StoryFigures(
            live_stories, *(counts.get(n, 0) for n in ("articles", "started", "joined", "duplicates"))
        ),
    )


def _queue_lengths(pipe: redis.client.Pipeline, keys: Keys, stages: Sequence[str]) -> None:
    for stage in stages:
        for name in keys.queue_lists(stage):
            pipe.llen(name)


def _depths(lengths: list[Any], keys: Keys, stages: Sequence[str]) -> dict[str, int]:
    depths, at = {}, 0
    for stage in stages:
        width = len(keys.queue_lists(stage))
        depths[stage] = sum(lengths[at : at + width])
        at += width
    return depths


def _added(info: Any) -> int:
    """Entries ever added to a stream (Redis 7 counts them; before it, the length is the best there is)."""
    if isinstance(info, Exception):  # no such stream yet
        return 0
    return int(info.get("entries-added", info["length"]))
