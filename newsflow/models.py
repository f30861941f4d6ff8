"""Installed translation models: Argos Translate packages (``.argosmodel``) unpacked into a models folder.

An ``.argosmodel`` is a zip holding one folder with ``metadata.json`` (``from_code``, ``to_code``,
``package_version``, names), ``model/`` (a CTranslate2 model: ``model.bin`` and its vocabulary) and a SentencePiece
model (``sentencepiece.model``). ``install`` checks all of that before anything is written, so a truncated or
foreign file is refused with the reason, and unpacks into ``<models folder>/<from>-<to>-<version>/``.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from newsflow.errors import PermanentError

REQUIRED = ("metadata.json", "model/model.bin", "sentencepiece.model")


class ModelPackageError(PermanentError):
    """A model package that cannot be installed or loaded, with the reason."""


@dataclass(frozen=True)
class InstalledModel:
    source: str
    target: str
    version: str
    path: Path

    @property
    def name(self) -> str:
        return self.path.name


def _top_folder(archive: zipfile.ZipFile, origin: Path) -> str:
    tops = {PurePosixPath(n).parts[0] for n in archive.namelist() if n.strip("/")}
    if len(tops) != 1:
        raise ModelPackageError(f"{origin}: an .argosmodel holds exactly one folder, found {sorted(tops)[:5]}")
    return tops.pop()


def read_metadata(archive: zipfile.ZipFile, top: str, origin: Path) -> dict:
    names = set(archive.namelist())
    missing = [f for f in REQUIRED if f"{top}/{f}" not in names]
    if missing:
        raise ModelPackageError(f"{origin}: not a complete Argos Translate package; missing {', '.join(missing)}")
    try:
        metadata = json.loads(archive.read(f"{top}/metadata.json"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ModelPackageError(f"{origin}: metadata.json is not JSON: {exc}") from None
    for key in ("from_code", "to_code"):
        if not isinstance(metadata.get(key), str) or not metadata[key]:
            raise ModelPackageError(f"{origin}: metadata.json has no {key}")
    return metadata


def install(package: Path, models_dir: Path) -> InstalledModel:
    """Unpack an .argosmodel into ``models_dir``, replacing an earlier install of the same pair and version."""
    try:
        archive = zipfile.ZipFile(package)
    except (OSError, zipfile.BadZipFile) as exc:
        raise ModelPackageError(f"{package}: not a readable .argosmodel (zip): {exc}") from None
    with archive:
        top = _top_folder(archive, package)
        metadata = read_metadata(archive, top, package)
        version = str(metadata.get("package_version", "0"))
        destination = models_dir / f"{metadata['from_code']}-{metadata['to_code']}-{version}"
        models_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=models_dir, prefix=".installing-") as staging:
            for member in archive.infolist():  # no member may land outside the staging folder
                if PurePosixPath(member.filename).is_absolute() or ".." in PurePosixPath(member.filename).parts:
                    raise ModelPackageError(f"{package}: unsafe path in the archive: {member.filename}")
            archive.extractall(staging)
            shutil.rmtree(destination, ignore_errors=True)
            Path(staging, top).rename(destination)
    return InstalledModel(metadata["from_code"], metadata["to_code"], version, destination)


def installed(models_dir: Path) -> list[InstalledModel]:
    """Every model unpacked in ``models_dir``, by language pair."""
    found = []
    for metadata_file in sorted(models_dir.glob("*/metadata.json")):
        metadata = json.loads(metadata_file.read_text())
        found.append(InstalledModel(metadata["from_code"], metadata["to_code"],
                                    str(metadata.get("package_version", "0")), metadata_file.parent))  # fmt: skip
    return found


ARGOS_INDEX = "https://raw.githubusercontent.com/argosopentech/argospm-index/main/index.json"


def pull(name: str, models_dir: Path, timeout_s: float = 15) -> InstalledModel:
    """Download the Argos Translate package for ``name`` (a pair such as ``ar-en``) from the public package index
    and install it. Offline, or with the index unreachable, it fails within ``timeout_s`` with the way out."""
    import urllib.request

    def fetch(url: str) -> bytes:
        try:
            with urllib.request.urlopen(url, timeout=timeout_s) as answer:  # noqa: S310 - https only, fixed index
                return answer.read()
        except OSError as exc:
            raise ModelPackageError(
                f"cannot download {url} ({exc}). On a machine without internet access, download the .argosmodel "
                "elsewhere and run `newsflow models install FILE`."
            ) from None

    index = json.loads(fetch(ARGOS_INDEX))
    matches = [p for p in index if f"{p.get('from_code')}-{p.get('to_code')}" == name]
    if not matches:
        pairs = sorted({f"{p.get('from_code')}-{p.get('to_code')}" for p in index})
        raise ModelPackageError(f"no Argos package for {name}; the index has {', '.join(pairs)}")
    best = max(
        matches, key=lambda p: tuple(int(x) for x in str(p.get("package_version", "0")).split(".") if x.isdigit())
    )
    with tempfile.TemporaryDirectory() as folder:
        package = Path(folder) / f"{name}.argosmodel"
        package.write_bytes(fetch(best["links"][0]))
        return install(package, models_dir)
