"""The failure policy, table-tested in-process: failure and attempts so far → retry, requeue or dead letter."""

import pytest
import redis
from celery.exceptions import SoftTimeLimitExceeded
from kombu.exceptions import OperationalError

from config import Settings
from newsflow.errors import EmptyExtraction, TransientError
from workers.runtime.policy import GiveUp, Requeue, Retry, backlog_wait, classify, decide

SETTINGS = Settings(max_retries=3, retry_backoff_max_s=4)


@pytest.mark.parametrize(
    ("exc", "retries", "outcome", "reason"),
    [
        (TransientError("translation service busy"), 0, Retry, None),
        (TransientError("translation service busy"), 2, Retry, None),
        (TransientError("translation service busy"), 3, GiveUp, "gave up after 4 attempts: translation service busy"),
        (redis.ConnectionError("refused"), 0, Requeue, "redis unavailable: refused"),
        (redis.ConnectionError("refused"), 3, Requeue, "redis unavailable: refused"),  # Redis down: never given up
        (OperationalError("broker gone"), 1, Requeue, "redis unavailable: broker gone"),
        (EmptyExtraction("no main text"), 0, GiveUp, "no main text"),
        (SoftTimeLimitExceeded(), 0, GiveUp, "the stage ran past its time limit"),
        (KeyError("x"), 0, GiveUp, "unexpected KeyError: 'x'"),
    ],
)
def test_each_failure_gets_its_outcome(exc, retries, outcome, reason):
    decided = decide(classify(exc), retries, SETTINGS)
    assert isinstance(decided, outcome), f"{exc!r} after {retries} retries: {decided}"
    if reason is not None:
        assert decided.reason == reason


@pytest.mark.parametrize("retries", range(6))
def test_back_off_is_exponential_with_full_jitter_and_bounded(retries):
    countdowns = set()
    for _ in range(200):
        decided = decide(classify(TransientError("busy")), min(retries, SETTINGS.max_retries - 1), SETTINGS)
        assert isinstance(decided, Retry)
        countdowns.add(decided.countdown_s)
    ceiling = min(SETTINGS.retry_backoff_max_s, 2 ** min(retries, SETTINGS.max_retries - 1))
    assert countdowns <= set(range(ceiling + 1)), f"countdowns {sorted(countdowns)} outside 0..{ceiling}"
    assert len(countdowns) > 1, "no jitter: every retry of an outage would arrive at once"


def test_every_countdown_stays_below_the_visibility_timeout():
    settings = Settings(max_retries=20, retry_backoff_max_s=300, visibility_timeout_s=3600)
    for retries in range(20):
        decided = decide(classify(TransientError("busy")), retries, settings)
        assert isinstance(decided, Retry) and decided.countdown_s < settings.visibility_timeout_s


def test_a_full_queue_is_waited_for_doubling_half_jittered_below_the_bound_then_given_up():
    settings = Settings(ingest_backlog_retries=10, retry_backoff_max_s=20, visibility_timeout_s=3600)
    for retries in range(10):
        ceiling = min(20, 2 ** (retries + 1))
        waits = {backlog_wait(retries, settings) for _ in range(50)}
        assert all(w is not None and ceiling / 2 <= w <= ceiling for w in waits), (retries, waits)
        assert len(waits) > 1, "no jitter: producers held back together would come back together"
    assert backlog_wait(10, settings) is None
