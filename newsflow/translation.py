"""Translation backends behind one small protocol, chosen by ``NEWSFLOW_TRANSLATE_BACKEND``."""

from __future__ import annotations

from typing import Literal, Protocol

from config import Settings


class Translator(Protocol):
    name: str
    model: str | None
    quality: Literal["nmt", "gloss"]

    def translate(self, texts: list[str], source: str, target: str) -> list[str]:
        """One translation per input text, in order."""
        ...


def build_translator(settings: Settings) -> Translator | None:
    """The configured backend, loaded once per worker process; None when no backend is configured."""
    if settings.translate_backend == "none":
        return None
    raise ValueError(f"unknown translation backend {settings.translate_backend!r}")
