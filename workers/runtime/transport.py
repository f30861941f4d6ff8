"""kombu's Redis transport with one Redis client object per connection pool, instead of one per command, and with a
tolerant reading of what producers push.

kombu wraps its connection pool in a new ``redis.Redis`` for every publish, every delivery's bookkeeping and
every acknowledgement; redis-py 8 fills a table of about 170 response callbacks in each constructor, which
made client construction a visible share of a task's cost (benchmarks/results/pipeline.md). A ``redis.Redis``
holds no connection of its own, only its pool, so one per pool is enough; a new pool (after a reconnect)
gets a new client.

kombu reads each list item as its own JSON envelope. An item that is not JSON stops the worker (kombu raises in its
event loop), and one without kombu's ``delivery_tag`` drops the connection and is lost. Producers in other languages
(or `redis-cli LPUSH`) write these envelopes by hand, so here the bookkeeping they leave out (``delivery_tag``,
``delivery_info``) is filled in, and an item that cannot be a message becomes an envelope of a content type no
consumer accepts, carrying the item and what is wrong with it: the consumer dead-letters it (consumer.py).

``install()`` makes it the transport of redis:// and rediss:// URLs in this process, rather than naming it in
Celery's broker_transport: URLs stay plain redis://, which Flower (and anything else that reads the scheme)
understands.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass
from typing import Any

import redis
from kombu.transport import TRANSPORT_ALIASES
from kombu.transport import redis as kombu_redis
from kombu.utils import json as kombu_json

from newsflow.wire import json_type

MALFORMED_CONTENT_TYPE = "application/x-newsflow-malformed"
MALFORMED_HEADER = "newsflow-malformed"  # what is wrong with the item, for the dead letter's reason


@dataclass(frozen=True)
class Unreadable:
    """A list item that is not JSON."""

    text: str
    error: str


def read_item(text: str) -> Any:
    """kombu's reading of a list item, except that an item that is not JSON is kept for its dead letter."""
    try:
        return kombu_json.loads(text)
    except (ValueError, TypeError) as exc:
        return Unreadable(text, str(exc))


def envelope(item: object, queue: str) -> dict[str, Any]:
    """``item`` as kombu's envelope of a message on ``queue``, with its bookkeeping filled in where a producer left
    it out; or, where it cannot be one, an envelope that carries it and says what is wrong."""
    problem = _problem(item)
    if problem is not None:
        return _carrying(item, problem, queue)
    assert isinstance(item, dict)  # _problem says so
    properties = item["properties"]
    if item.get("content-type") == "application/json" and "task" in (item.get("headers") or {}):
        problem = _json_task_body(item)
        if problem is not None:
            return _carrying(item, problem, queue)
    properties.setdefault("delivery_tag", uuid.uuid4().hex)
    info = properties.setdefault("delivery_info", {})
    info.setdefault("exchange", queue)
    info.setdefault("routing_key", queue)
    return item


def _carrying(item: object, problem: str, queue: str) -> dict[str, Any]:
    raw = item.text if isinstance(item, Unreadable) else kombu_json.dumps(item)
    return {
        "body": base64.b64encode(raw.encode("utf-8", "replace")).decode("ascii"),
        "content-type": MALFORMED_CONTENT_TYPE,
        "content-encoding": "binary",
        "headers": {MALFORMED_HEADER: problem},
        "properties": {"body_encoding": "base64", "delivery_tag": uuid.uuid4().hex,
                       "delivery_info": {"exchange": queue, "routing_key": queue}},
    }  # fmt: skip


def _json_task_body(item: dict[str, Any]) -> str | None:
    """Protocol 2's JSON body is ``[args, kwargs, embed]``. Some clients write a kwargs or embed they left out as
    null (celery-node does, for a task sent without keyword arguments), which Celery refuses after acknowledging
    the message; those become {} here. A body of another shape is a problem, said here rather than lost there."""
    encoded = item.get("properties", {}).get("body_encoding") == "base64"
    try:
        text = base64.b64decode(item.get("body") or "").decode("utf-8") if encoded else item.get("body") or ""
        body = kombu_json.loads(text)
    except (binascii.Error, ValueError, TypeError) as exc:
        return f"the message body is not JSON, as its content type says ({exc})"
    if not (isinstance(body, list) and len(body) == 3 and isinstance(body[0], list)):
        return "the message body is not protocol 2's [args, kwargs, embed] (args an array)"
    args, kwargs, embed = body
    if kwargs is None or embed is None:
        fixed = kombu_json.dumps([args, {} if kwargs is None else kwargs, {} if embed is None else embed])
        item["body"] = base64.b64encode(fixed.encode("utf-8")).decode("ascii") if encoded else fixed
    if not isinstance(kwargs or {}, dict) or not isinstance(embed or {}, dict):
        return "the message body's kwargs and embed must be objects"
    return None


def _problem(item: object) -> str | None:
    if isinstance(item, Unreadable):
        return f"the list item is not JSON ({item.error})"
    if not isinstance(item, dict):
        return f"the list item is {json_type(item)}, not a message envelope (a JSON object)"
    properties = item.get("properties")
    if not isinstance(properties, dict) or not isinstance(properties.get("delivery_info", {}), dict):
        return "the message envelope has no `properties` object (with `delivery_info` an object, if present)"
    if not isinstance(item.get("headers") or {}, dict):
        return "the message envelope's `headers` is not an object"
    if item.get("body") and properties.get("body_encoding") == "base64":
        try:
            base64.b64decode(item["body"])
        except (binascii.Error, ValueError, TypeError):
            return "the message body is not valid base64, as its `body_encoding` says it is"
    return None


class Channel(kombu_redis.Channel):
    _pooled_client: tuple[redis.ConnectionPool, redis.Redis] | None = None

    def _create_client(self, asynchronous: bool = False) -> redis.Redis:
        if self.connection.client is None:
            # The kombu connection was already released: Celery closing a lost connection closes its channel, and
            # the channel asks for a client to restore unacked messages. kombu would fail with an AttributeError,
            # which escapes Celery's ignore_errors and stops the worker; a connection error is ignored there (the
            # visibility sweep restores those messages later).
            raise redis.ConnectionError("the broker connection was already closed")
        if asynchronous:  # kombu keeps this one itself (Channel.client), bound to the poller's connection
            return super()._create_client(asynchronous=True)
        pool = self.pool
        if self._pooled_client is None or self._pooled_client[0] is not pool:
            self._pooled_client = (pool, super()._create_client())
        return self._pooled_client[1]

    def _get(self, queue: str, timeout: float | None = None) -> dict[str, Any]:  # a poll (basic_get), not BRPOP
        return envelope(super()._get(queue), queue)


class Transport(kombu_redis.Transport):
    Channel = Channel

    def _deliver(self, message: Any, queue: str) -> None:
        super()._deliver(envelope(message, queue), queue)


def install() -> None:
    for scheme in ("redis", "rediss"):
        TRANSPORT_ALIASES[scheme] = f"{__name__}:Transport"
    # kombu's Redis transport reads every list item through this module-level name, in the middle of its own code.
    kombu_redis.loads = read_item  # type: ignore[assignment]  # called with the item alone, everywhere there
