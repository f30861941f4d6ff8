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
from workers.dev.embedded import PrivateRedis

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


def test_no_generated_request_meets_a_server_error_or_an_undocumented_answer(tmp_path):
    # A Redis of its own and no workers: the hundreds of articles it queues must not keep other tests' workers busy.
    cli = Path(sys.executable).with_name("schemathesis")
    with PrivateRedis() as server, serving(Settings(redis_url=SecretStr(server.url), gateway_token=SecretStr(TOKEN),
                                                    gateway_max_batch=20)) as http:  # fmt: skip
        run = subprocess.run(
            [str(cli), "run", f"{http.base_url}/openapi.json", "--checks", CHECKS, "--header",
             f"Authorization: Bearer {TOKEN}", "--max-examples", "40", "--seed", "7", "--request-timeout", "20",
             "--generation-database", "none"],  # fmt: skip
            capture_output=True, text=True, timeout=600, cwd=tmp_path,  # its cache stays out of the tree
        )  # fmt: skip
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert "passed" in run.stdout and "failed" not in run.stdout.lower().split("summary")[-1]
