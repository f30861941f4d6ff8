"""The example settings file and docker-compose.yml stay in step with the code."""

import tomllib
from pathlib import Path

import yaml

from config import STAGES, Settings

ROOT = Path(__file__).resolve().parents[2]


def test_example_settings_file_lists_every_setting_with_its_default():
    example = tomllib.loads((ROOT / "config" / "newsflow.example.toml").read_text())
    defaults = Settings().model_dump()
    assert set(example) == set(defaults) - {"redis_url", "gateway_token"}, "config/newsflow.example.toml is out of step with Settings"
    assert all(example[k] == defaults[k] for k in example), "an example value differs from the code's default"


def test_readme_documents_every_setting():
    readme = (ROOT / "README.md").read_text()
    missing = [k for k in Settings.model_fields if f"NEWSFLOW_{k.upper()}" not in readme]
    assert not missing, f"README.md does not document {missing}"


def test_compose_runs_one_worker_service_per_stage_and_flower():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    for stage in STAGES:
        command = services[f"worker-{stage}"]["command"]
        assert command[:3] == ["newsflow", "worker", "--stages"] and command[3] == stage
    assert {"redis", "flower"} <= set(services)
    assert "NEWSFLOW_REDIS_URL" in services["worker-extract"]["environment"]
