"""A translator behind a cross-article ``Batcher`` (newsflow/batching.py): the sentences of every article a
translate worker holds go to the model together, a language pair to a call."""

from __future__ import annotations

from collections.abc import Callable

from newsflow.batching import Batcher, Batching
from newsflow.translation import Quality, Translator


class BatchedTranslator:
    """Wraps a translator with the same interface; ``translate`` blocks the calling thread until its texts are done."""

    def __init__(self, translator: Translator, batching: Batching,
                 observe: Callable[[int, int], None] | None = None) -> None:  # fmt: skip
        self.translator = translator
        self.name: str = translator.name
        self.quality: Quality = translator.quality
        self.batcher: Batcher[tuple[str, str], str, str] = Batcher(
            lambda pair, texts: translator.translate(texts, *pair), translator.name, batching, observe
        )

    def model_for(self, source: str, target: str) -> str | None:
        return self.translator.model_for(source, target)

    def translate(self, texts: list[str], source: str, target: str) -> list[str]:
        return self.batcher.submit([((source, target), text) for text in texts])
