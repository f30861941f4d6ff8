"""Installing Argos Translate packages: complete ones unpack and are listed; broken ones are refused with why."""

import json
import time
import zipfile
from pathlib import Path

import pytest

from newsflow import models
from newsflow.models import ModelPackageError, install, installed


def package(folder: Path, name: str = "translate-ar_en-1_9", leave_out: str = "", metadata: dict | None = None) -> Path:
    """An .argosmodel laid out the way Argos Translate packs one (its model files are placeholders here)."""
    files = {
        "metadata.json": json.dumps(
            metadata
            or {
                "package_version": "1.9",
                "from_code": "ar",
                "to_code": "en",
                "from_name": "Arabic",
                "to_name": "English",
            }
        ),
        "model/model.bin": "weights",
        "model/shared_vocabulary.json": "[]",
        "sentencepiece.model": "spm",
    }
    path = folder / f"{name}.argosmodel"
    with zipfile.ZipFile(path, "w") as archive:
        for relative, content in files.items():
            if relative != leave_out:
                archive.writestr(f"{name}/{relative}", content)
    return path


def test_a_complete_package_is_unpacked_and_listed_by_pair(tmp_path):
    store = tmp_path / "models"
    model = install(package(tmp_path), store)
    assert (model.source, model.target, model.version) == ("ar", "en", "1.9")
    assert (model.path / "model" / "model.bin").is_file() and model.path.parent == store
    assert [(m.source, m.target, m.name) for m in installed(store)] == [("ar", "en", "ar-en-1.9")]
    install(package(tmp_path), store)  # again: replaces, does not duplicate
    assert len(installed(store)) == 1 and not list(store.glob(".installing-*"))


@pytest.mark.parametrize(
    ("broken", "reason"),
    [
        ({"leave_out": "model/model.bin"}, "missing model/model.bin"),
        ({"leave_out": "sentencepiece.model"}, "missing sentencepiece.model"),
        ({"metadata": {"package_version": "1"}}, "no from_code"),
    ],
)
def test_an_incomplete_package_is_refused_with_the_reason_and_nothing_is_installed(tmp_path, broken, reason):
    with pytest.raises(ModelPackageError, match=reason):
        install(package(tmp_path, **broken), tmp_path / "models")
    assert installed(tmp_path / "models") == []


def test_a_file_that_is_not_a_package_is_refused(tmp_path):
    not_zip = tmp_path / "model.argosmodel"
    not_zip.write_bytes(b"\x00\x01 not a zip")
    with pytest.raises(ModelPackageError, match="not a readable .argosmodel"):
        install(not_zip, tmp_path / "models")


def test_pull_without_internet_fails_fast_with_the_offline_way(tmp_path, monkeypatch):
    monkeypatch.setattr(models, "ARGOS_INDEX", "http://127.0.0.1:9/index.json")  # nothing listens on port 9
    started = time.monotonic()
    with pytest.raises(ModelPackageError, match="newsflow models install FILE"):
        models.pull("ar-en", tmp_path, timeout_s=5)
    assert time.monotonic() - started < 10
