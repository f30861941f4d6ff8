"""A property-based run of the gateway's own OpenAPI document (schemathesis's CLI) over real HTTP: generated
requests, valid and not, must never meet a server error, an undocumented status code or a response off its
schema. (The CLI rather than schemathesis's pytest plugin, which does not run under pytest 9.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from pydantic import SecretStr

from config import Settings
from tests.integration.test_gateway_http import TOKEN, serving

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


def test_no_generated_request_meets_a_server_error_or_an_undocumented_answer(settings: Settings, workers):
    limits = {"gateway_token": SecretStr(TOKEN), "key_prefix": "openapi-run", "gateway_max_batch": 20}
    cli = Path(sys.executable).with_name("schemathesis")
    with serving(settings.model_copy(update=limits)) as http:
        run = subprocess.run(
            [str(cli), "run", f"{http.base_url}/openapi.json", "--checks", CHECKS, "--header",
             f"Authorization: Bearer {TOKEN}", "--max-examples", "40", "--seed", "7", "--request-timeout", "20",
             "--generation-database", "none"],  # fmt: skip
            capture_output=True, text=True, timeout=600,
        )  # fmt: skip
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert "passed" in run.stdout and "failed" not in run.stdout.lower().split("summary")[-1]
