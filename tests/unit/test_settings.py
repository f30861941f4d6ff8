import pytest
from pydantic import ValidationError

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
