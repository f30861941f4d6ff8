"""The whole pipeline on a real redis-server with real `newsflow worker` processes."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime

import pytest

from newsflow.errors import BodyTooLarge, InvalidSubmission
from newsflow.ids import article_id, content_digest
from newsflow.schema import Article, RawArticle
from newsflow.stages import PIPELINE, task_name
from newsflow.state.deadletters import DeadLetterStore
from newsflow.state.ingest import parse_submission
from newsflow.state.keys import Keys
from newsflow.state.output import Publisher
from newsflow.state.streams import entries, entry_article_id
from tests.conftest import EXAMPLES, stream_records, wait_until_idle
from workers.cli.files import read_inputs
from workers.runtime.app import dispatcher

STAGES = PIPELINE.names

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("workers")]

GOOD = "The city council approved a new budget for public transport on Monday after a long debate.\n\n" * 3


def ids_in(client, stream):
    return [entry_article_id(fields) for _, fields in entries(client, stream)]


def run_through(gateway, settings, client, wait_for, paths) -> list[dict]:
    """Submit every article under ``paths``; each must come out once, through every stage."""
    raws = [item.raw for item in read_inputs(paths)]
    assert raws and all(raws), "every example must be a valid article"
    ids = {gateway.submit(raw).id for raw in raws}
    records = wait_for(settings.output_stream, ids)
    assert {r["id"] for r in records} == ids, "some articles never reached the output stream"
    published = ids_in(client, settings.output_stream)
    assert all(published.count(aid) == 1 for aid in ids), "an article was published more than once"
    for record in records:
        article = Article.model_validate(record)
        assert article.body and article.language and article.translation is not None
        assert [run.stage for run in article.provenance] == list(STAGES), "each stage must run exactly once"
        assert all(run.worker.startswith("test@") and run.duration_ms >= 0 for run in article.provenance)
    return records


def test_the_examples_come_out_once_with_every_section(gateway, settings, client, wait_for):
    records = run_through(gateway, settings, client, wait_for, [EXAMPLES])
    assert len(records) == 5
    assert {r["language"] for r in records} == {"ar", "en"}, "the examples are Arabic and English"


def test_the_shared_page_comes_out_with_every_section(gateway, settings, client, wait_for, shared_page):
    (record,) = run_through(gateway, settings, client, wait_for, [shared_page])
    shared = Article.model_validate(record)
    assert (shared.language, shared.source, len(shared.body)) == ("ar", "CNN Arabic", 5)
    assert {"read_also", "related_list"} <= {f.kind for f in shared.boilerplate}
    assert "غزة" in shared.page_keywords
    (carried,) = [item for item in shared.boilerplate if item.kind == "read_also"]
    assert {"US", "EG", "QA", "IL", "PS"} <= set(shared.countries) and not {"TR", "ES"} & set(shared.countries)
    assert {"TR", "ES"} <= set(carried.countries), "the carried story's countries stay on its item"
    assert {"John Kirby", "Ankara", "Madrid"} <= {e.name for e in carried.entities} - {e.name for e in shared.entities}
    every = [*shared.entities, *carried.entities]
    found = {kind: {e.name for e in every if e.type == kind} for kind in ("person", "organisation", "place")}
    assert {"Antony Blinken", "Benjamin Netanyahu", "Joe Biden", "John Kirby", "Ibrahim Kalin"} <= found["person"]
    assert {"Hamas", "CNN", "UN Security Council", "Organisation of Islamic Cooperation", "Arab League",
            "White House"} <= found["organisation"]  # fmt: skip
    assert {"Egypt", "Doha", "Qatar", "Gaza", "Israel", "Washington", "Ankara", "Madrid", "Tel Aviv"} <= found["place"]
    # "conflict, war and peace" has no labelled news to learn from, only IPTC's definitions (README: Tagging)
    assert shared.topics[0].label == "politics and government"
    # No model is installed for the tests' workers: the shipped gloss backend reads it, labelled as a gloss.
    block = shared.translation
    assert (block.status, block.quality, block.backend) == ("translated", "gloss", "gloss")
    assert len(block.body) == len(shared.body) and "Gaza" in " ".join(block.body)
    translate_run = next(run for run in shared.provenance if run.stage == "translate")
    assert translate_run.counters["sentences"] == len(block.sentences) >= len(shared.body)


def test_a_resubmitted_article_is_a_duplicate(gateway, settings, client, wait_for):
    raw = RawArticle(url="https://example.org/dup", text=GOOD)
    first = gateway.submit(raw)
    assert wait_for(settings.output_stream, {first.id})
    again = gateway.submit(RawArticle(url="https://example.org/dup?utm_source=x", text=GOOD))
    assert again.duplicate and again.id == first.id
    assert ids_in(client, settings.output_stream).count(first.id) == 1


def test_a_corrected_story_under_the_same_url_comes_out_as_its_next_version(gateway, settings, client, wait_for):
    url, story = (
        "https://example.org/corrected",
        "The harbour in Aqaba reopened on Monday after repairs, officials said.",
    )
    first = gateway.submit(RawArticle(url=url, text=f"{story}\n\n{GOOD}"))
    assert (first.status, first.version) == ("queued", 1)
    assert wait_for(settings.output_stream, {first.id})
    same = gateway.submit(
        RawArticle(url=url + "?utm_source=feed", text=f"{story.replace('  ', ' ')}  \n\n{GOOD}\u200b")
    )
    assert (same.status, same.version) == ("duplicate", 1), "only whitespace and an invisible character changed"
    corrected = story.replace("Monday", "Tuesday")
    update = gateway.submit(RawArticle(url=url, text=f"{corrected}\n\n{GOOD}"))
    assert (update.id, update.status, update.version) == (first.id, "updated", 2)
    deadline, records = time.monotonic() + 60, []
    while len(records) < 2 and time.monotonic() < deadline:
        records = [r for r in stream_records(client, settings.output_stream) if r["id"] == first.id]
        time.sleep(0.1)
    assert [(r["version"], r["replaces"]) for r in records] == [(1, None), (2, 1)], "the update is its own record"
    assert "Tuesday" in records[1]["body"][0] and "Monday" in records[0]["body"][0]
    assert gateway.submit(RawArticle(url=url, text=f"{corrected}\n\n{GOOD}")).duplicate, "the update, sent again"


def test_a_redelivered_publish_adds_no_second_record(app, settings, client, wait_for):
    record = Article(id="redelivered", received_at=datetime.now(UTC), body=["x"],
                     translation={"status": "untranslated", "quality": "none", "target_language": "en"})  # fmt: skip
    message = record.model_dump(mode="json")
    for _ in range(3):  # what a redelivery after a lost ack looks like to the publish stage
        app.send_task(task_name("publish"), args=(message,))
    assert wait_for(settings.output_stream, {"redelivered"})
    wait_until_idle(app, client, settings)  # all three have run
    assert ids_in(client, settings.output_stream).count("redelivered") == 1
    added, entry = Publisher(client, settings).publish(record)
    assert not added and entry in [e.decode() for e, _ in client.xrange(settings.output_stream)]


def test_large_bodies_travel_by_reference(gateway, settings, client, wait_for):
    paragraph = "Officials in Madrid said the new rail link would open next spring, cutting journey times by half. "
    raw = RawArticle(text=(paragraph * 10 + "\n\n") * 80)
    assert len(raw.body.encode()) > settings.inline_body_max_bytes
    accepted = gateway.submit(raw)
    assert client.ttl(Keys.from_settings(settings).body(accepted.id, 1)) > 0, (
        "the large body was not stored by reference"
    )
    (record,) = wait_for(settings.output_stream, {accepted.id})
    assert len(record["body"]) == 80 and "ES" in record["countries"]


def test_bad_input_gets_a_clear_error_or_a_dead_letter_and_workers_go_on(gateway, settings, app, wait_for, tmp_path):
    with pytest.raises(InvalidSubmission, match="invalid JSON"):
        parse_submission(b'{"text": "unterminated')
    with pytest.raises(InvalidSubmission, match="exactly one of `html` or `text`"):
        parse_submission(b'{"title": "no body"}')
    (tmp_path / "scan.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01")
    (bad_file,) = read_inputs([tmp_path / "scan.txt"])
    assert bad_file.raw is None and "binary data (NUL bytes), not text" in bad_file.error
    with pytest.raises(BodyTooLarge, match=r"article is 52,428,\d{3} bytes with its fields"):
        gateway.submit(RawArticle(text="x" * 50 * 1024 * 1024))

    empty = gateway.submit(RawArticle(html="<html><body><nav>Home</nav></body></html>"))
    bomb = gateway.submit(RawArticle(html="<html><body>" + "<p>x</p>" * 200_000 + "</body></html>"))
    app.send_task(task_name("extract"), args=({"id": "malformed", "no": "fields"},))
    (letter_empty,) = wait_for(settings.dead_letter_stream, {empty.id})
    (letter_malformed,) = wait_for(settings.dead_letter_stream, {"malformed"})
    (letter_bomb,) = wait_for(settings.dead_letter_stream, {bomb.id})
    assert letter_bomb["error_type"] == "InputTooLarge" and "200,002 elements" in letter_bomb["reason"]
    assert (letter_empty["stage"], letter_empty["error_type"]) == ("extract", "EmptyExtraction")
    assert letter_malformed["reason"].startswith("malformed message")

    good = gateway.submit(RawArticle(text=GOOD + "Ankara."))
    assert wait_for(settings.output_stream, {good.id}), "the workers stopped serving after bad input"


def test_a_dead_letter_replays_from_its_stage(app, settings, client, wait_for):
    extracted = Article(id="replayed", received_at=datetime.now(UTC), body=["Talks in Doha resumed."], language="en")
    store = DeadLetterStore(client, settings)
    store.write(stage="translate", message=extracted.model_dump(mode="json"), error_type="TransientError",
                reason="gave up after 6 attempts: translation service busy", attempts=6, worker="w")  # fmt: skip
    entry_id, letter = next((e, dl) for e, dl in store.list() if dl.article_id == "replayed")
    assert client.exists(letter.input_key)
    store.replay(entry_id, dispatcher(app))
    (record,) = wait_for(settings.output_stream, {"replayed"})
    assert [run["stage"] for run in record["provenance"]] == ["translate", "tag", "cluster", "publish"]
    assert record["countries"] == ["QA"]
    assert all(dl.article_id != "replayed" for _, dl in store.list()), "a replayed dead letter must leave the list"


def test_garbage_sent_straight_to_every_stage_is_dead_lettered_and_workers_go_on(app, gateway, settings, wait_for):
    rng = random.Random(6)
    junk = [None, 0, -1, 1e308, "", "\u202e", "<<<", [], {}, {"x": [1, {"y": None}]}, "ب" * 5000, True]
    ids = set()
    for n in range(40):
        stage = STAGES[n % len(STAGES)]
        message = {"id": f"garbage-{n}", **{rng.choice(["body", "body_kind", "received_at", "translation", "x"]):
                                              rng.choice(junk) for _ in range(rng.randint(0, 4))}}  # fmt: skip
        app.send_task(task_name(stage), args=(message,))
        ids.add(message["id"])
    letters = wait_for(settings.dead_letter_stream, ids)
    assert {d["article_id"] for d in letters} == ids, "some garbage was neither processed nor dead-lettered"
    good = gateway.submit(RawArticle(text=GOOD + "Madrid."))
    assert wait_for(settings.output_stream, {good.id}), "the workers stopped serving after garbage"


def test_an_article_whose_queueing_failed_is_not_mistaken_for_a_duplicate(gateway, client, settings, wait_for):
    raw = RawArticle(url="https://example.org/half-submitted", text=GOOD)
    aid = article_id(raw)
    seen = Keys.from_settings(settings).seen(aid, content_digest(raw))
    client.set(seen, "pending", ex=60)  # what a submit that died before queueing leaves behind
    accepted = gateway.submit(raw)
    assert not accepted.duplicate
    assert wait_for(settings.output_stream, {aid})
    assert gateway.submit(raw).duplicate, "once queued, a resubmission is a duplicate"


def test_publish_trims_the_output_stream_by_age(client, settings):
    aged = settings.model_copy(update={"output_stream": "aged:articles", "output_stream_max_age_s": 3600})
    now_ms = int(time.time() * 1000)
    client.xadd("aged:articles", {"id": "two-hours-old", "record": b"{}"}, id=f"{now_ms - 7_200_000}-0")
    client.xadd("aged:articles", {"id": "a-minute-old", "record": b"{}"}, id=f"{now_ms - 60_000}-0")
    fresh = Article(id="fresh", received_at=datetime.now(UTC), body=["x"],
                    translation={"status": "untranslated", "quality": "none", "target_language": "en"})  # fmt: skip
    added, _ = Publisher(client, aged).publish(fresh)
    assert added and ids_in(client, "aged:articles") == ["a-minute-old", "fresh"], "older than the age cap: gone"
