from __future__ import annotations

from pathlib import Path

import pytest

from config import Settings
from newsflow.tagging.encoder import converted


@pytest.fixture(scope="session", autouse=True)
def topic_model() -> Path:
    """A tag worker converts the encoder on its first start (newsflow/tagging/encoder.py); do it once here, before
    any worker starts, so that no test's timing includes it."""
    return converted(Settings().models_dir)
