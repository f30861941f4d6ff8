"""newsflow/state/client.py: what a sentinel:// URL list names, and the client built on it (no server needed: a
client connects on first use)."""

import pytest
from pydantic import SecretStr
from redis.sentinel import SentinelConnectionPool

from config import Settings
from newsflow.errors import NotConfigured
from newsflow.state.client import SentinelSet, connect


def test_a_sentinel_list_gives_every_sentinel_and_the_masters_credentials():
    found = SentinelSet.parse("sentinel://user:p%40ss@s1:26379/2;sentinel://s2:26380; sentinel://s3")
    assert found.sentinels == [("s1", 26379), ("s2", 26380), ("s3", 26379)]
    assert (found.username, found.password, found.db) == ("user", "p@ss", 2)


def test_a_bad_port_in_a_sentinel_list_is_a_clear_error_without_the_password():
    with pytest.raises(NotConfigured, match="bad port") as info:
        SentinelSet.parse("sentinel://:hunter2@s1:huh/0")
    assert "hunter2" not in str(info.value)


def test_a_sentinel_client_finds_its_master_through_the_sentinels():
    settings = Settings(redis_url=SecretStr("sentinel://:pw@s1:26379/0;sentinel://s2:26379"),
                        redis_sentinel_master="newsflow", redis_sentinel_password=SecretStr("sentinels"))  # fmt: skip
    client = connect(settings)
    pool = client.connection_pool
    assert isinstance(pool, SentinelConnectionPool) and pool.service_name == "newsflow"
    assert pool.connection_kwargs["password"] == "pw"
    sentinels = pool.sentinel_manager.sentinels
    assert [s.connection_pool.connection_kwargs["host"] for s in sentinels] == ["s1", "s2"]
    assert all(s.connection_pool.connection_kwargs["password"] == "sentinels" for s in sentinels)
