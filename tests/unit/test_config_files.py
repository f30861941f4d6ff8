"""The example settings file and docker-compose.yml stay in step with the code."""

import json
import re
import tomllib
from pathlib import Path

import yaml
from jsonschema import Draft201909Validator

from config import Settings
from config.redis_acl import RULES_FILE
from newsflow.stages import PIPELINE

STAGES = PIPELINE.served

ROOT = Path(__file__).resolve().parents[2]


def test_example_settings_file_lists_every_setting_with_its_default(monkeypatch):
    monkeypatch.delenv("NEWSFLOW_MODELS_DIR")  # set for the tests by conftest.py
    example = tomllib.loads((ROOT / "config" / "newsflow.example.toml").read_text())
    defaults = Settings().model_dump(mode="json")
    unset = {"redis_url", "gateway_token", "libretranslate_url", "libretranslate_api_key",  # no default to show
             "redis_sentinel_master", "redis_sentinel_password", "redis_min_replicas"}  # fmt: skip
    assert set(example) == set(defaults) - unset, "config/newsflow.example.toml is out of step with Settings"
    assert all(example[k] == defaults[k] for k in example), "an example value differs from the code's default"


def test_readme_documents_every_setting():
    readme = (ROOT / "README.md").read_text()
    missing = [k for k in Settings.model_fields if f"NEWSFLOW_{k.upper()}" not in readme]
    assert not missing, f"README.md does not document {missing}"


def test_compose_files_follow_the_compose_specification():
    schema = json.loads((ROOT / "tests" / "schemas" / "compose-spec.json").read_text())
    for name in ("docker-compose.yml", "docker-compose.gpu.yml", "docker-compose.ha.yml"):
        errors = list(Draft201909Validator(schema).iter_errors(yaml.safe_load((ROOT / name).read_text())))
        assert not errors, f"{name}: " + "; ".join(f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors)


def test_compose_scales_per_stage_and_lets_tasks_finish():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    assert {"redis", "gateway", "flower", *(f"worker-{s}" for s in STAGES)} <= set(services)
    limit = Settings().task_time_limit_s
    for stage in STAGES:
        service = services[f"worker-{stage}"]
        command = service["command"]
        assert command[:4] == ["newsflow", "worker", "--stages", stage], "node names must be <stage>@%h"
        if stage == "translate":  # one process holds the model; a thread per article in hand shares its batches
            assert command[4:6] == ["--pool", "threads"] and "--concurrency" in command
        else:
            assert {"--concurrency", "--prefetch"} <= set(command)
            assert {"NEWSFLOW_MAX_TASKS_PER_CHILD", "NEWSFLOW_MAX_MEMORY_PER_CHILD_MB"} <= set(service["environment"])
        assert int(service["stop_grace_period"].rstrip("s")) > limit
        assert f"newsflow health {stage}@$$HOSTNAME" in service["healthcheck"]["test"][1]
    for name, service in services.items():
        assert "container_name" not in service, f"{name} could not be scaled"
        assert "healthcheck" in service, f"{name} has no health check"
    assert "FLOWER_BASIC_AUTH" in services["flower"]["environment"]
    assert "NEWSFLOW_GATEWAY_TOKEN" in services["gateway"]["environment"]


def test_gpu_workers_hold_many_articles_in_one_process_and_batch_across_them():
    services = yaml.safe_load((ROOT / "docker-compose.gpu.yml").read_text())["services"]
    for stage in ("translate", "tag"):
        service, prefix = services[f"worker-{stage}"], f"NEWSFLOW_{stage.upper()}"
        assert service["command"][4:6] == ["--pool", "threads"] and "--concurrency" in service["command"]
        assert (
            service["environment"][f"{prefix}_DEVICE"] == "cuda"
            and int(service["environment"][f"{prefix}_BATCH_SIZE"]) > 1
        )
        assert service["deploy"]["resources"]["reservations"]["devices"][0]["capabilities"] == ["gpu"]


def test_secrets_stay_out_of_git_and_the_image_and_env_example_lists_what_compose_reads():
    for ignore in (".gitignore", ".dockerignore"):
        assert ".env" in (ROOT / ignore).read_text().splitlines(), f"{ignore} must keep .env out"
    compose = "".join((ROOT / name).read_text() for name in ("docker-compose.yml", "docker-compose.gpu.yml"))
    read = set(re.findall(r"\$\{(\w+)", compose))
    listed = {line.split("=", 1)[0] for line in (ROOT / ".env.example").read_text().splitlines() if "=" in line
              and not line.startswith("#")}  # fmt: skip
    assert read and listed == read, f".env.example lists {sorted(listed)}; compose reads {sorted(read)}"


def test_the_readme_shows_the_newsflow_users_keys_and_channels_as_the_acl_file_has_them():
    keys_and_channels = RULES_FILE.read_text().splitlines()[:2]
    readme = (ROOT / "README.md").read_text()
    assert all(line in readme.splitlines() for line in keys_and_channels), "README: Redis users shows other rules"
