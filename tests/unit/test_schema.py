"""Records: validation at the boundary, orjson round trips, and checked-in JSON Schemas that match the models."""

from pathlib import Path

import orjson
import pytest
from pydantic import ValidationError

from newsflow.schema import SCHEMA_VERSION, SCHEMAS, TOLERANT, Article, DeadLetter, RawArticle, json_schema

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"


def test_raw_article_round_trips_through_orjson():
    raw = RawArticle(
        url="https://example.org/a?b=1", text="نص الخبر", published_at="2026-01-02T03:04:05Z", metadata={"n": 1}
    )
    again = RawArticle.model_validate(orjson.loads(orjson.dumps(raw.model_dump(mode="json"))))
    assert again == raw


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "exactly one of `html` or `text`"),
        ({"html": "<p>x</p>", "text": "x"}, "exactly one of `html` or `text`"),
        ({"text": "   \n"}, "body"),
        ({"text": "ok", "url": "ftp://example.org/x"}, "url"),
        ({"text": "bad \ud800 surrogate"}, "lone surrogate"),
        ({"text": "ok", "language_hint": "not a language"}, "language_hint"),
        ({"text": "ok", "surprise": 1}, "surprise"),
    ],
)
def test_raw_article_rejects_bad_input_with_a_reason(fields, message):
    with pytest.raises(ValidationError, match=message):
        RawArticle.model_validate(fields)


def test_article_keeps_every_section_on_a_round_trip():
    article = Article(id="x", received_at="2026-01-01T00:00:00Z", body=["p1", "p2"], countries=["QA"])
    data = orjson.loads(orjson.dumps(article.model_dump(mode="json")))
    assert set(data) >= {"translation", "entities", "countries", "topics", "keywords", "boilerplate", "provenance"}
    assert Article.model_validate(data) == article


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_checked_in_json_schema_matches_the_model(name):
    path = SCHEMA_DIR / f"{name}.v{SCHEMA_VERSION}.json"
    assert path.is_file(), f"{path} is missing: run `make schemas`"
    assert orjson.loads(path.read_bytes()) == json_schema(name), f"{path} is stale: run `make schemas`"


def test_dead_letter_requires_its_reason():
    with pytest.raises(ValidationError, match="reason"):
        DeadLetter(
            article_id="a",
            stage="extract",
            error_type="X",
            attempts=1,
            failed_at="2026-01-01T00:00:00Z",
            worker="w",
            input_key=None,
        )


def _properties(schema: dict) -> list[tuple[str, dict]]:
    parts = [("", schema), *schema.get("$defs", {}).items()]
    return [(f"{part}.{name}", prop) for part, body in parts for name, prop in body.get("properties", {}).items()]


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_every_field_says_what_it_is(name):
    undescribed = [field for field, prop in _properties(json_schema(name)) if not prop.get("description")]
    assert not undescribed, f"fields of {name} without a description: {undescribed}"


def test_consumers_may_accept_added_fields_and_producers_may_not_send_unknown_ones():
    from jsonschema import Draft202012Validator

    record = Article(id="a", received_at="2026-01-01T00:00:00Z", body=["b"]).model_dump(mode="json")
    Draft202012Validator(json_schema("article")).validate({**record, "added_in_a_later_release": 1})
    assert "accept fields" in json_schema("article")["description"] and set(TOLERANT) == {"article", "dead-letter"}
    raw = json_schema("raw-article")
    assert not Draft202012Validator(raw).is_valid({"text": "x", "unknown": 1}), "producers are held to the schema"
