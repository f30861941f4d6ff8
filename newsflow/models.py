"""Installed translation models: CTranslate2 models with their SentencePiece tokenizers, in a models folder.

Two ways in, both offline:
- an Argos Translate package (``.argosmodel``): a zip holding one folder with ``metadata.json`` (``from_code``,
  ``to_code``, ``package_version``, names), ``model/`` (a CTranslate2 model: ``model.bin`` and its vocabulary) and
  ``sentencepiece.model``. ``install`` checks all of that before anything is written, so a truncated or foreign
  file is refused with the reason, and unpacks into ``<models folder>/<from>-<to>-<version>/``.
- a folder converted with CTranslate2's converters from an OPUS-MT (Marian: ``source.spm``, ``target.spm``), NLLB
  or M2M-100 (``sentencepiece.bpe.model``) model. ``install_converted`` copies it in and records its family and
  languages in ``newsflow-model.json``; NLLB and M2M-100 are multilingual (``mul``): the language is a token.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from packaging.version import InvalidVersion, Version

from newsflow.errors import PermanentError

REQUIRED = ("metadata.json", "model/model.bin", "sentencepiece.model")
MULTILINGUAL = "mul"
MANIFEST = "newsflow-model.json"


@dataclass(frozen=True)
class Layout:
    """Where a family keeps its files, relative to the installed folder."""

    model: str
    source_tokenizer: str
    target_tokenizer: str


LAYOUTS = {
    "argos": Layout("model", "sentencepiece.model", "sentencepiece.model"),
    "opus-mt": Layout(".", "source.spm", "target.spm"),
    "nllb": Layout(".", "sentencepiece.bpe.model", "sentencepiece.bpe.model"),
    "m2m100": Layout(".", "sentencepiece.bpe.model", "sentencepiece.bpe.model"),
}


class ModelPackageError(PermanentError):
    """A model package that cannot be installed or loaded, with the reason."""


@dataclass(frozen=True)
class InstalledModel:
    source: str  # ISO 639 code, or "mul" for a multilingual model
    target: str
    version: str
    path: Path
    family: str = "argos"

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def layout(self) -> Layout:
        return LAYOUTS[self.family]

    def serves(self, source: str, target: str) -> bool:
        return self.source in (source, MULTILINGUAL) and self.target in (target, MULTILINGUAL)

    def check(self) -> None:
        """Raise ModelPackageError naming what is missing; loading finds out whether the files are sound."""
        layout = self.layout
        needed = {f"{layout.model}/model.bin", layout.source_tokenizer, layout.target_tokenizer}
        missing = sorted(f for f in needed if not (self.path / f).is_file())
        if missing:
            raise ModelPackageError(f"model {self.path}: missing {', '.join(missing)}")


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


def install_converted(folder: Path, models_dir: Path, family: str, source: str = MULTILINGUAL,
                      target: str = MULTILINGUAL, version: str = "1") -> InstalledModel:  # fmt: skip
    """Copy a CTranslate2-converted OPUS-MT, NLLB or M2M-100 folder in. OPUS-MT models are one pair each."""
    if family not in LAYOUTS or family == "argos":
        raise ModelPackageError(f"unknown model family {family!r}; one of opus-mt, nllb, m2m100")
    if family == "opus-mt" and MULTILINGUAL in (source, target):
        raise ModelPackageError("an OPUS-MT model translates one pair: give its source and target languages")
    model = InstalledModel(source, target, version, folder, family)
    model.check()
    destination = models_dir / f"{family}-{source}-{target}-{version}"
    models_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=models_dir, prefix=".installing-") as staging:
        copy = Path(staging, "model")
        shutil.copytree(folder, copy)
        manifest = {"family": family, "from_code": source, "to_code": target, "package_version": version}
        (copy / MANIFEST).write_text(json.dumps(manifest))
        shutil.rmtree(destination, ignore_errors=True)
        copy.rename(destination)
    return InstalledModel(source, target, version, destination, family)


def installed(models_dir: Path) -> list[InstalledModel]:
    """Every model installed in ``models_dir``: converted folders by their manifest, Argos packages by theirs."""
    found = []
    for folder in sorted(p for p in models_dir.glob("*") if p.is_dir() and not p.name.startswith(".")):
        manifest = folder / MANIFEST if (folder / MANIFEST).is_file() else folder / "metadata.json"
        if not manifest.is_file():
            continue
        metadata = json.loads(manifest.read_text())
        found.append(InstalledModel(metadata["from_code"], metadata["to_code"], str(metadata.get("package_version", "0")),
                                    folder, metadata.get("family", "argos")))  # fmt: skip
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
    best = max(matches, key=_package_version)
    with tempfile.TemporaryDirectory() as folder:
        package = Path(folder) / f"{name}.argosmodel"
        package.write_bytes(fetch(best["links"][0]))
        return install(package, models_dir)


def _package_version(package: dict[str, Any]) -> Version:
    """An index entry's version; one that does not parse sorts first."""
    try:
        return Version(str(package.get("package_version", "0")))
    except InvalidVersion:
        return Version("0")
