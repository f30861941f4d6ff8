"""Translation: backends behind one protocol, a Redis translation memory in front of them, chosen per language pair.

``NEWSFLOW_TRANSLATE_BACKENDS`` lists the backends in order of preference; for each article the first that serves
its (source, target) pair translates it, so an installed Arabic model wins over the gloss fallback and a language
with no model falls through to the next backend, or to an untranslated record that says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

Quality = Literal["nmt", "gloss"]


class Translator(Protocol):
    name: str
    quality: Quality

    def model_for(self, source: str, target: str) -> str | None:
        """The model that would translate this pair, or None when this backend cannot."""
        ...

    def translate(self, texts: list[str], source: str, target: str) -> list[str]:
        """One translation per input text, in order."""
        ...


@dataclass(frozen=True)
class Route:
    translator: Translator
    model: str

    @property
    def key(self) -> str:
        return f"{self.translator.name}:{self.model}"
