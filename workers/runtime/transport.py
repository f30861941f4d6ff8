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

Each message a worker takes is written down with its holder, the worker's main process, which beats while it
lives (newsflow/state/holders.py); every worker's consumer calls ``requeue_orphans`` each beat, which queues again,
with kombu's own restore, what dead holders held. With replicas to confirm (newsflow/state/replication.py), a
message counts as sent only once they have it. The sentinel:// variant is the same over kombu's Sentinel channel.

``install()`` makes it the transport of redis://, rediss:// and sentinel:// URLs in this process, rather than
naming it in Celery's broker_transport: URLs keep their scheme, which Flower (and anything else that reads the
scheme) understands.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import threading
import time
import uuid
import weakref
from dataclasses import dataclass
from typing import Any, ClassVar

import redis
from kombu.transport import TRANSPORT_ALIASES, virtual
from kombu.transport import redis as kombu_redis
from kombu.utils import json as kombu_json

from newsflow.state.holders import Holders, holder_name
from newsflow.state.replication import Replication
from newsflow.wire import json_type

log = logging.getLogger("newsflow.transport")

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


class Heartbeat(threading.Thread):
    """This process's heartbeat, from the first message it holds on: a daemon thread, so that a busy event loop
    (a long synchronous step in the worker's main process) does not make a live worker look dead."""

    current: ClassVar[Heartbeat | None] = None

    def __init__(self, holders: Holders, channel: Channel) -> None:
        super().__init__(name="newsflow-heartbeat", daemon=True)
        self.holders, self.channel, self.holder, self.pid = holders, channel, holder_name(), os.getpid()
        self._stopping = threading.Event()

    @classmethod
    def of_process(cls, holders: Holders, channel: Channel) -> Heartbeat:
        """This process's heartbeat, started (after one beat, so that no message is ever held without one) on
        first use; it beats through the channel that took the latest message."""
        beat = cls.current
        if beat is None or beat.pid != os.getpid():  # none yet, or one inherited through a fork
            beat = cls(holders, channel)
            beat.beat()
            beat.start()
            cls.current = beat
        beat.channel = channel
        return beat

    def beat(self) -> None:
        if self.channel.closed:  # the connection was replaced: any channel of this process reaches the same Redis
            self.channel = next((c for c in list(_OPEN_CHANNELS) if not c.closed), self.channel)
        with self.channel.conn_or_acquire() as client:
            self.holders.beat(client, self.holder)

    def stop(self) -> None:
        """Stop beating: for a process that took messages through its own connection (a test, a script) and is
        done with them; a worker's process simply exits with its daemon thread."""
        self._stopping.set()
        self.join()
        if Heartbeat.current is self:
            Heartbeat.current = None

    def run(self) -> None:
        interval = self.holders.lapse_s / 3
        while not self._stopping.wait(interval):
            try:
                self.beat()
            except Exception as exc:  # noqa: BLE001 - Redis failing over, a connection being replaced: beat again
                log.warning("heartbeat not written: %r", exc)


class QoS(kombu_redis.QoS):
    channel: Channel

    def append(self, message: Any, delivery_tag: str) -> None:
        holders = self.channel.newsflow_holders
        if holders is None:
            return super().append(message, delivery_tag)
        delivery = message.delivery_info
        payload = kombu_redis.dumps([message._raw, delivery["exchange"], delivery["routing_key"]])
        with _HOLDING, self.pipe_or_acquire() as pipe:  # kombu's append, and its holder in the same round trip
            holder = Heartbeat.of_process(holders, self.channel).holder
            pipe.zadd(self.unacked_index_key, {delivery_tag: time.time()}).hset(self.unacked_key, delivery_tag, payload)
            holders.hold(pipe, delivery_tag, holder)
            pipe.execute()
            virtual.QoS.append(self, message, delivery_tag)

    def _remove_from_indices(self, delivery_tag: str, pipe: Any = None) -> Any:
        pipe = super()._remove_from_indices(delivery_tag, pipe)
        if self.channel.newsflow_holders is not None:
            self.channel.newsflow_holders.release(pipe, delivery_tag)
        return pipe


_OPEN_CHANNELS: weakref.WeakSet[Channel] = weakref.WeakSet()
# A message is in the holders' hash and in its channel's delivered set together, for a sweep in another thread (a
# worker without an event loop runs its timers in one): else it could find a message just taken and not yet noted.
_HOLDING = threading.Lock()
_NEWSFLOW_OPTIONS = ("newsflow_holders", "newsflow_replication")


class Channel(kombu_redis.Channel):
    QoS = QoS
    from_transport_options = kombu_redis.Channel.from_transport_options + _NEWSFLOW_OPTIONS  # type: ignore[assignment]  # kombu types it by its length
    newsflow_holders: Holders | None = None
    newsflow_replication: Replication | None = None
    _pooled_client: tuple[redis.ConnectionPool, redis.Redis] | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _OPEN_CHANNELS.add(self)

    def close(self) -> None:
        _OPEN_CHANNELS.discard(self)
        super().close()

    def _create_client(self, asynchronous: bool = False) -> redis.Redis:
        if self.connection.client is None:
            # The kombu connection was already released: Celery closing a lost connection closes its channel, and
            # the channel asks for a client to restore unacked messages. kombu would fail with an AttributeError,
            # which escapes Celery's ignore_errors and stops the worker; a connection error is ignored there (this
            # worker's next sweep restores those messages, or the visibility sweep does).
            raise redis.ConnectionError("the broker connection was already closed")
        if asynchronous:  # kombu keeps this one itself (Channel.client), bound to the poller's connection
            return super()._create_client(asynchronous=True)
        pool = self.pool
        if self._pooled_client is None or self._pooled_client[0] is not pool:
            self._pooled_client = (pool, super()._create_client())
        return self._pooled_client[1]

    def _get(self, queue: str, timeout: float | None = None) -> dict[str, Any]:  # a poll (basic_get), not BRPOP
        return envelope(super()._get(queue), queue)

    def _put(self, queue: str, message: Any, **kwargs: Any) -> None:
        """kombu's send, and with replicas to confirm, a WAIT in the same round trip on the same connection."""
        replication = self.newsflow_replication
        if replication is None or not replication.replicas or kwargs.get("_publish_batch") is not None:
            return super()._put(queue, message, **kwargs)
        key = self._q_for_pri(queue, self._get_message_priority(message, reverse=False))
        with self.conn_or_acquire() as client:
            pipe = client.pipeline(transaction=False)
            pipe.lpush(key, kombu_redis.dumps(message))
            pipe.wait(replication.replicas, replication.timeout_ms)
            replication.check(pipe.execute()[-1])

    def requeue_orphans(self) -> int:
        """Queue again what dead holders held, and what the holders' hash gives this process but it no longer holds;
        returns how many. Any number of workers may sweep at once: kombu's restore is a transaction on the unacked
        hash, so each message goes back once."""
        holders, beat = self.newsflow_holders, Heartbeat.current
        if holders is None:
            return 0
        me = beat.holder if beat is not None and beat.pid == os.getpid() else ""
        with self.conn_or_acquire() as client:
            with _HOLDING:
                held_here = {tag for channel in list(_OPEN_CHANNELS) if channel._qos for tag in channel._qos._delivered}
                orphans = holders.orphans(client, me, held_here)
            for tag in orphans:
                self.qos.restore_by_tag(tag, client)
        return len(orphans)


class Transport(kombu_redis.Transport):
    Channel = Channel
    # A demoted master answers writes with READONLY: reconnect (Sentinel names the new master), never exit.
    connection_errors = (*kombu_redis.Transport.connection_errors, redis.ReadOnlyError)

    def _deliver(self, message: Any, queue: str) -> None:
        super()._deliver(envelope(message, queue), queue)


class SentinelChannel(Channel, kombu_redis.SentinelChannel):
    from_transport_options = kombu_redis.SentinelChannel.from_transport_options + _NEWSFLOW_OPTIONS  # type: ignore[assignment]  # as above


class SentinelTransport(Transport):
    Channel = SentinelChannel
    default_port = kombu_redis.SentinelTransport.default_port  # type: ignore[assignment]  # kombu's base says None


def install() -> None:
    for scheme in ("redis", "rediss"):
        TRANSPORT_ALIASES[scheme] = f"{__name__}:Transport"
    TRANSPORT_ALIASES["sentinel"] = f"{__name__}:SentinelTransport"
    # kombu's Redis transport reads every list item through this module-level name, in the middle of its own code.
    kombu_redis.loads = read_item  # type: ignore[assignment]  # called with the item alone, everywhere there
