"""The Redis ACL of newsflow's own user, kept in one file, config/redis/newsflow.acl: what newsflow may run, on which
keys and channels, and nothing else (README: Redis users). docker-compose.yml gives the file to redis-server; a
PrivateRedis reads it here."""

from __future__ import annotations

from pathlib import Path

USER = "newsflow"
RULES_FILE = Path(__file__).with_name("redis") / "newsflow.acl"


def newsflow_acl_rules() -> str:
    """The newsflow user's rules on one line, as the `user` directive and ACL SETUSER take them after the password."""
    return " ".join(RULES_FILE.read_text(encoding="utf-8").split())
