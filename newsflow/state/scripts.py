"""The Lua scripts (``lua/*.lua``): each file read once per process and registered with a client, which sends
EVALSHA and loads the script again by itself after a Redis restart."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

import redis
from redis.commands.core import Script


@cache
def source(name: str) -> str:
    """The text of ``lua/<name>.lua``."""
    return (files(__package__) / "lua" / f"{name}.lua").read_text(encoding="utf-8")


def register(client: redis.Redis, name: str, prelude: str | None = None) -> Script:
    """The script ``lua/<name>.lua`` bound to ``client`` (no round trip: it is sent on first use), after the
    functions of ``lua/<prelude>.lua`` where it calls them."""
    return client.register_script((source(prelude) + "\n" if prelude else "") + source(name))
