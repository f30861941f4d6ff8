"""What the translate stage calls: pick the backend for a pair, answer from the memory, translate the rest once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from newsflow.translation import Route, Translator
from newsflow.translation.memory import TranslationMemory


@dataclass(frozen=True)
class Translated:
    route: Route
    texts: list[str]
    from_memory: list[bool]


class TranslationService:
    def __init__(self, translators: list[Translator], memory: TranslationMemory | None = None,
                 observe_memory: Callable[[int, int], None] | None = None) -> None:  # fmt: skip
        """``observe_memory(hits, misses)`` hears, per call, how many texts the memory answered (metrics)."""
        self.translators, self.memory, self._observe_memory = translators, memory, observe_memory

    def route(self, source: str, target: str) -> Route | None:
        for translator in self.translators:
            model = translator.model_for(source, target)
            if model is not None:
                return Route(translator, model)
        return None

    def translate(self, texts: list[str], source: str, target: str) -> Translated | None:
        """Each text translated, or None when no backend serves the pair. A sentence seen before (in this list
        or in the memory) is not translated again."""
        route = self.route(source, target)
        if route is None:
            return None
        unique = list(dict.fromkeys(texts))
        recalled = self.memory.recall(route, source, target, unique) if self.memory else [None] * len(unique)
        known = {text: hit for text, hit in zip(unique, recalled, strict=True) if hit is not None}
        missing = [text for text in unique if text not in known]
        fresh = dict(zip(missing, route.translator.translate(missing, source, target), strict=True)) if missing else {}
        if self.memory:
            self.memory.remember(route, source, target, fresh)
        from_memory = [t in known for t in texts]
        if self.memory and self._observe_memory:
            self._observe_memory(sum(from_memory), len(texts) - sum(from_memory))
        return Translated(route, [known[t] if t in known else fresh[t] for t in texts], from_memory)

    def describe(self) -> str:
        return ", ".join(t.name for t in self.translators) or "none"
