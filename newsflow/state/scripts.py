"""The Lua scripts (``lua/*.lua``), each registered once per client: redis-py sends EVALSHA and loads the script
again by itself after a Redis restart."""

from __future__ import annotations

from importlib.resources import files

import redis
from redis.commands.core import Script


def register(client: redis.Redis, name: str) -> Script:
    """The script ``lua/<name>.lua`` bound to ``client``."""
    return client.register_script((files(__package__) / "lua" / f"{name}.lua").read_text(encoding="utf-8"))
