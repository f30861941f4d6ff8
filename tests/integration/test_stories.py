"""Stories and copies through real workers and a real Redis: the same event in Arabic and English and a syndicated
copy come out as one story; decisions hold under concurrency and redelivery; `newsflow stories` and status read them."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import numpy as np
import orjson
import pytest
import redis
from pydantic import SecretStr

from config import Settings
from newsflow.schema import StoryMember
from newsflow.state.stories import StoryIndex
from newsflow.stories.copies import text_print
from newsflow.stories.similarity import Signal
from newsflow.stories.sounds import sound_keys
from newsflow.stories.stage import language_means
from tests.conftest import ROOT
from tests.integration.test_cli import jsonl, newsflow
from tests.integration.test_observability import newsflow as newsflow_against
from workers.dev.embedded import LocalWorkers, PrivateRedis

pytestmark = pytest.mark.integration

STORIES = ROOT / "tests" / "stories"


@pytest.fixture(scope="module")
def processed() -> dict[str, dict]:
    """`newsflow process` over tests/stories/: the gas deal in Arabic and English, a syndicated English copy on
    another site, and an unrelated story; records by their source file."""
    done = newsflow("process", str(STORIES))
    assert done.returncode == 0, done.stderr.decode()
    records = jsonl(done.stdout)
    by_file = {}
    for record in records:
        name = "ar" if record["language"] == "ar" else "basra" if "IQ" in record["countries"] else None
        name = name or ("copy" if record["source"] == "Levant Business Wire" else "en")
        by_file[name] = record
    assert set(by_file) == {"ar", "en", "copy", "basra"}, [r["title"] for r in records]
    return by_file


def test_a_syndicated_copy_joins_its_original_as_a_duplicate_and_another_story_stays_apart(processed):
    en, copy, basra = processed["en"], processed["copy"], processed["basra"]
    assert en["story"]["id"] == copy["story"]["id"] != basra["story"]["id"]
    later, earlier = (copy, en) if copy["duplicate_of"] else (en, copy)
    assert later["duplicate_of"] == earlier["id"] and earlier["duplicate_of"] is None
    assert 0.7 <= later["duplicate_similarity"] < 1.0 and basra["story"]["size"] == 1


def test_the_arabic_article_joins_the_english_story(processed):
    assert processed["ar"]["story"]["id"] == processed["en"]["story"]["id"]


def test_stories_and_status_read_a_running_deployment():
    """On a deployment of its own: the running language means of the session's Redis hold every other test's
    articles, which are not the news a deployment sees."""
    from workers.cli.files import read_inputs
    from workers.runtime.app import create_ingest

    with PrivateRedis() as server, LocalWorkers(server.url, concurrency=2, name="stories"):
        settings = Settings(redis_url=SecretStr(server.url))
        client = redis.Redis.from_url(server.url)
        ingest = create_ingest(settings, client)
        ids = {ingest.submit(item.raw).id for item in read_inputs([STORIES]) if item.raw}
        deadline = time.monotonic() + 120
        while client.xlen(settings.output_stream) < len(ids):
            assert time.monotonic() < deadline, "the articles were not published"
            time.sleep(0.5)
        env = {"NEWSFLOW_REDIS_URL": server.url}
        listed = [orjson.loads(line) for line in newsflow_against("stories", "--json", env=env).stdout.splitlines()]
        assert any(set(story["languages"]) == {"ar", "en"} and story["size"] == 3 for story in listed), listed
        table = newsflow_against("stories", "--since", "1h", env=env)
        assert table.returncode == 0 and b"JO" in table.stdout
        status = orjson.loads(newsflow_against("status", "--json", env=env).stdout)
        found = status["stories"]
        assert found["articles"] == 4 and found["duplicates"] == 1 and found["live"] == found["started"]
        assert found["started"] + found["joined"] == 4 and "cluster" in status["queue_depths"]


def _assignment(index: StoryIndex, n: int, vector: np.ndarray) -> str:
    member = StoryMember(id=f"{n:032x}", title=f"Article {n}", language="en", joined_at=datetime.now(UTC))
    signal = Signal(vector, frozenset({"place:Aqaba"}), frozenset({"country:JO"}), "en", datetime.now(UTC).timestamp())
    return index.assign(member.id, 1, signal, text_print(f"article {n} about the port, its own words {n * 7919}"),
                        member).story.id  # fmt: skip


def test_concurrent_workers_open_one_story_for_one_event_and_a_redelivery_changes_nothing(redis_server):
    settings = Settings(redis_url=SecretStr(redis_server.url), key_prefix="stories-concurrency")
    client = redis.Redis.from_url(redis_server.url)
    index = StoryIndex(client, settings, language_means())
    vector = np.random.default_rng(3).standard_normal(384).astype(np.float32)
    vector /= np.linalg.norm(vector)
    found: list[str] = []
    barrier = threading.Barrier(8)

    def assign(n: int) -> None:
        barrier.wait()
        found.append(_assignment(StoryIndex(redis.Redis.from_url(redis_server.url), settings, language_means()), n,
                                 vector))  # fmt: skip

    threads = [threading.Thread(target=assign, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(found) == 8 and len(set(found)) == 1, "two workers started a story for one event"
    counts = client.hgetall("stories-concurrency:story-counts")
    assert _assignment(index, 3, vector) == found[0], "a redelivered article joins its story again"
    assert client.hgetall("stories-concurrency:story-counts") == counts, "a redelivery counted twice"
    (story,) = index.live()
    assert story.size == 8 and story.countries == ["JO"] and story.names == ["Aqaba"]


def test_an_arabic_article_finds_an_older_english_story_through_its_names_sound_keys(redis_server):
    """Past the latest stories every article reads, only the index finds the story: the Arabic spelling of the name
    shares no term with the English one but its sound keys."""
    settings = Settings(redis_url=SecretStr(redis_server.url), key_prefix="stories-sounds", story_unlinked_threshold=2)
    index, rng = StoryIndex(redis.Redis.from_url(redis_server.url), settings), np.random.default_rng(5)
    now = datetime.now(UTC).timestamp()

    def assign(n: int, vector: np.ndarray, name: str, language: str) -> str:
        member = StoryMember(id=f"{n:032x}", title=f"Article {n}", language=language, joined_at=datetime.now(UTC))
        signal = Signal(vector / np.linalg.norm(vector), frozenset({f"person:{name}"}), frozenset(), language, now + n,
                        sound_keys(name) if name else frozenset())  # fmt: skip
        return index.assign(
            member.id, 1, signal, text_print(f"article {n} in its own words {n * 7919}"), member
        ).story.id

    race = rng.standard_normal(384)
    english = assign(0, race, "Valtteri Bottas", "en")
    others = {assign(n, rng.standard_normal(384), "", "en") for n in range(1, 61)}
    assert english not in others and len(others) == 60
    # Two retellings, each at a cosine of about 0.8 with the English article and 0.6 with the other.
    unnamed, named = (race + 0.8 * rng.standard_normal(384) for _ in range(2))
    assert assign(61, unnamed, "", "ar") != english, "with no name in common it may not join across languages"
    assert assign(62, named, "فالتري بوتاس", "ar") == english
