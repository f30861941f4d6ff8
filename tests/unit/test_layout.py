"""The layout's promises: the domain never pulls in Celery or the workers, and importing it reads no environment."""

import subprocess
import sys

from tests.conftest import ROOT

DOMAIN_IMPORTS = """
import os, sys

class Recording(dict):
    read = set()

    def __getitem__(self, key):
        Recording.read.add(key)
        return super().__getitem__(key)

    def get(self, key, default=None):
        Recording.read.add(key)
        return super().get(key, default)

    def __contains__(self, key):
        Recording.read.add(key)
        return super().__contains__(key)

os.environ = Recording(os.environ)
import newsflow.extraction.stage, newsflow.translation.stage, newsflow.tagging.stage, newsflow.publishing
import newsflow.stages, newsflow.state.ingest, newsflow.state.deadletters, newsflow.resources
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("celery", "workers"))
read = sorted(k for k in Recording.read if k.startswith("NEWSFLOW"))
print(loaded, read)
"""


def test_importing_the_stage_functions_builds_no_app_and_reads_no_environment():
    done = subprocess.run([sys.executable, "-c", DOMAIN_IMPORTS], cwd=ROOT, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "NEWSFLOW_REDIS_URL": "redis://never:1/0"}, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[] []", f"celery/workers modules loaded, NEWSFLOW_* variables read: {done.stdout}"
