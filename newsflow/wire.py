"""orjson, the wire format: for Celery messages (as a kombu serializer), streams and files."""

from __future__ import annotations

from typing import Any

import orjson
from kombu.serialization import register

CONTENT_TYPE = "application/x-orjson"
SERIALIZER = "orjson"


def dumps(obj: Any) -> bytes:
    return orjson.dumps(obj)


def loads(data: bytes | bytearray | memoryview | str) -> Any:
    return orjson.loads(data)


_JSON_TYPES: dict[type, str] = {dict: "an object", list: "an array", str: "a string", int: "a number",
                                float: "a number", bool: "a boolean", type(None): "null"}  # fmt: skip


def json_type(value: object) -> str:
    """What a decoded JSON value is, in JSON's words: producers write in any language."""
    return _JSON_TYPES.get(type(value), type(value).__name__)


def register_serializer() -> None:
    """Make ``orjson`` a kombu serializer. Idempotent."""
    register(SERIALIZER, dumps, loads, content_type=CONTENT_TYPE, content_encoding="binary")
