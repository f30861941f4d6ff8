"""workers/runtime/transport.py's reading of Redis list items: what a hand-written producer leaves out is filled in,
and what cannot be a message is carried to the consumer, which dead-letters it."""

import base64
import json

import pytest

from workers.runtime.transport import MALFORMED_CONTENT_TYPE, MALFORMED_HEADER, Unreadable, envelope, read_item


def test_a_bare_message_gets_kombus_bookkeeping_and_keeps_what_it_had():
    item = {"body": "W1tdLCB7fSwge31d", "headers": {"task": "newsflow.ingest", "id": "t"},
            "content-type": "application/json", "properties": {"body_encoding": "base64", "correlationId": "t"}}  # fmt: skip
    found = envelope(item, "newsflow.ingest")
    assert found["properties"]["delivery_info"] == {"exchange": "newsflow.ingest", "routing_key": "newsflow.ingest"}
    assert found["properties"]["delivery_tag"] and found["properties"]["correlationId"] == "t"
    assert found["headers"] == {"task": "newsflow.ingest", "id": "t"} and found["body"] == item["body"]


def test_a_whole_message_is_left_as_it_is():
    item = read_item('{"body": "", "headers": {}, "properties": {"delivery_tag": "d", '
                     '"delivery_info": {"exchange": "x", "routing_key": "y"}}}')  # fmt: skip
    assert envelope(item, "q")["properties"] == {
        "delivery_tag": "d",
        "delivery_info": {"exchange": "x", "routing_key": "y"},
    }


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("not json", "the list item is not JSON"),
        ("[1, 2]", "the list item is an array, not a message envelope"),
        ("null", "the list item is null"),
        ('{"body": "e30="}', "no `properties` object"),
        ('{"properties": {"delivery_info": 3}}', "no `properties` object"),
        ('{"properties": {}, "headers": [1]}', "`headers` is not an object"),
        ('{"properties": {"body_encoding": "base64"}, "body": "a"}', "not valid base64"),
    ],
)
def test_an_item_that_cannot_be_a_message_is_carried_with_what_is_wrong(text, problem):
    item = read_item(text)
    assert isinstance(item, Unreadable) == (text == "not json")
    found = envelope(item, "newsflow.ingest")
    assert found["content-type"] == MALFORMED_CONTENT_TYPE and problem in found["headers"][MALFORMED_HEADER]
    assert base64.b64decode(found["body"]).decode() in (text, text.replace(" ", "")) or "properties" in text
    assert found["properties"]["delivery_info"]["routing_key"] == "newsflow.ingest"


def _json_task(body: object) -> dict:
    encoded = base64.b64encode(json.dumps(body).encode()).decode()
    return {"body": encoded, "content-type": "application/json", "headers": {"task": "newsflow.ingest", "id": "t"},
            "properties": {"body_encoding": "base64"}}  # fmt: skip


def test_null_kwargs_and_embed_of_a_json_task_become_empty_objects():
    found = envelope(_json_task([[{"text": "x"}], None, None]), "newsflow.ingest")
    assert json.loads(base64.b64decode(found["body"])) == [[{"text": "x"}], {}, {}]
    untouched = _json_task([[1], {"a": 1}, {}])
    assert envelope(dict(untouched), "q")["body"] == untouched["body"]


@pytest.mark.parametrize("body", [[[1], {}], {"args": []}, ["x", {}, {}], [[1], [2], {}]])
def test_a_json_task_body_of_another_shape_is_carried_with_what_is_wrong(body):
    found = envelope(_json_task(body), "newsflow.ingest")
    assert found["content-type"] == MALFORMED_CONTENT_TYPE and "body" in found["headers"][MALFORMED_HEADER]
