import pytest
from pydantic import SecretStr, ValidationError

from config import Settings
from newsflow.errors import NotConfigured


def test_environment_overrides_defaults(monkeypatch):
    monkeypatch.setenv("NEWSFLOW_REDIS_URL", "redis://:s3cret@redis:6379/1")
    monkeypatch.setenv("NEWSFLOW_DEDUP_WINDOW_S", "60")
    settings = Settings()
    assert settings.dedup_window_s == 60
    assert "s3cret" not in repr(settings), "the Redis password must not print"
    assert settings.redis_url.get_secret_value().endswith("/1")


def test_settings_file_is_read_and_environment_wins(tmp_path, monkeypatch):
    path = tmp_path / "newsflow.toml"
    path.write_text('output_stream = "from:file"\nmax_retries = 2\n')
    monkeypatch.setenv("NEWSFLOW_CONFIG", str(path))
    monkeypatch.setenv("NEWSFLOW_MAX_RETRIES", "3")
    settings = Settings()
    assert (settings.output_stream, settings.max_retries) == ("from:file", 3)


def test_a_missing_settings_file_is_an_error(monkeypatch, tmp_path):
    monkeypatch.setenv("NEWSFLOW_CONFIG", str(tmp_path / "nope.toml"))
    with pytest.raises(NotConfigured, match="nope.toml, which is not a file"):  # one line at the CLI, exit 2
        Settings()


@pytest.mark.parametrize("field", ["task_time_limit_s", "retry_backoff_max_s"])
def test_limits_must_stay_below_the_visibility_timeout(field):
    with pytest.raises(ValidationError, match=field):
        Settings(visibility_timeout_s=600, **{field: 600})


def test_unknown_settings_are_rejected():
    with pytest.raises(ValidationError):
        Settings(no_such_setting=1)


def test_a_sentinel_url_needs_the_masters_name_and_confirms_with_one_replica():
    url = SecretStr("sentinel://:pw@s1:26379/0;sentinel://s2:26379;sentinel://s3:26379")
    with pytest.raises(ValidationError, match="redis_sentinel_master"):
        Settings(redis_url=url)
    settings = Settings(redis_url=url, redis_sentinel_master="newsflow")
    assert settings.sentinel and settings.replicas_to_confirm == 1
    assert Settings(redis_url=url, redis_sentinel_master="newsflow", redis_min_replicas=0).replicas_to_confirm == 0
    assert Settings(redis_url=SecretStr("redis://r:6379/0")).replicas_to_confirm == 0


def test_the_ledger_waits_longer_than_a_task_and_a_heartbeat_lapse():
    with pytest.raises(ValidationError, match="reconcile_after_s must be above"):
        Settings(task_time_limit_s=300, worker_heartbeat_s=5, reconcile_after_s=310)  # 300 + 3 x 5 = 315
    assert Settings(task_time_limit_s=300, worker_heartbeat_s=5, reconcile_after_s=316).reconcile_after_s == 316
