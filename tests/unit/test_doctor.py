"""doctor's checks of Redis's settings: read from INFO, and does its memory limit hold the output stream at its cap?"""

import pytest

from config import Settings
from workers.cli.deployment import config_checks, memory_check

GB = 1_000_000_000


@pytest.mark.parametrize(
    ("maxmemory", "maxlen", "verdict", "says"),
    [
        (0, 1_000_000, "warn", "no maxmemory"),
        (4 * GB, 1_000_000, "warn", "lower NEWSFLOW_OUTPUT_STREAM_MAXLEN"),  # 12 GB of records in 4 GB
        (4 * GB, 200_000, "ok", "holds"),  # compose's settings: 2.4 GB of records and 0.8 GB of letters
        (16 * GB, 1_000_000, "ok", "holds"),
    ],
)
def test_the_memory_limit_is_checked_against_the_stream_caps(maxmemory, maxlen, verdict, says):
    check = memory_check(maxmemory, Settings(output_stream_maxlen=maxlen))
    assert (check.verdict, says in check.detail) == (verdict, True), check.detail


def test_persistence_eviction_and_the_memory_limit_are_read_from_info_which_newsflows_user_may_run():
    info = {"aof_enabled": 1, "maxmemory_policy": "allkeys-lru", "maxmemory": 0}  # as redis-py parses INFO
    checks = {check.name: check.verdict for check in config_checks(info, Settings())}
    assert checks == {"persistence": "ok", "eviction": "fail", "memory": "warn"}
