"""The ``libretranslate`` backend: a self-hosted LibreTranslate server, over its documented HTTP API.

``GET /languages`` (read once, when the worker starts) says which pairs the server serves; ``POST /translate``
takes a list ``q`` of texts and answers ``translatedText`` as a list in the same order. Timeouts, connection
errors, 5xx and 429 (the server's rate limit) are retried with exponential back-off and full jitter, then become a
TransientError (the stage retries later, then dead-letters). Any other 4xx is the request's fault: a
PermanentError at once, with the server's own message.
"""

from __future__ import annotations

import random
import time
from urllib.parse import urlsplit

import httpx

from newsflow.errors import PermanentError, TransientError
from newsflow.translation import Quality

BACKOFF_CAP_S = 10.0


class TranslationRejected(PermanentError):
    """The translation service refused the request (bad language, bad key, text too long)."""


def _retry_after(answer: httpx.Response) -> float:
    try:
        return min(BACKOFF_CAP_S, float(answer.headers.get("retry-after", 0)))
    except ValueError:  # an HTTP date: fall back on our own back-off
        return 0.0


def _error_text(answer: httpx.Response) -> str:
    try:
        return str(answer.json().get("error") or answer.text)
    except ValueError:
        return answer.text[:200]


class LibreTranslateBackend:
    name = "libretranslate"
    quality: Quality = "nmt"

    def __init__(self, url: str, api_key: str | None, timeout_s: float, retries: int, backoff_s: float = 0.5) -> None:
        self.url, self.api_key, self.retries, self.backoff_s = url.rstrip("/"), api_key, retries, backoff_s
        self.client = httpx.Client(timeout=timeout_s)
        self.model = f"libretranslate@{urlsplit(self.url).netloc}"
        self.pairs = self._pairs()

    def _pairs(self) -> set[tuple[str, str]]:
        try:
            answer = self.client.get(f"{self.url}/languages")
            answer.raise_for_status()
            return {(lang["code"], target) for lang in answer.json() for target in lang.get("targets", ())}
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            raise TransientError(f"cannot read the languages of LibreTranslate at {self.url}: {exc}") from None

    def model_for(self, source: str, target: str) -> str | None:
        return self.model if (source, target) in self.pairs else None

    def translate(self, texts: list[str], source: str, target: str) -> list[str]:
        payload = {"q": texts, "source": source, "target": target, "format": "text"}
        if self.api_key:
            payload["api_key"] = self.api_key
        answer = self._post(payload)
        translated = answer.get("translatedText") if isinstance(answer, dict) else None
        if not isinstance(translated, list) or len(translated) != len(texts):
            raise TranslationRejected(f"LibreTranslate answered {str(answer)[:200]} for {len(texts)} texts")
        return [str(t) for t in translated]

    def _post(self, payload: dict) -> object:
        for attempt in range(self.retries + 1):
            wait = random.uniform(0, min(BACKOFF_CAP_S, self.backoff_s * 2**attempt))
            try:
                answer = self.client.post(f"{self.url}/translate", json=payload)
            except httpx.TransportError as exc:  # timeouts and refused or dropped connections
                problem = f"{type(exc).__name__}: {exc}"
            else:
                if answer.is_success:
                    try:
                        return answer.json()
                    except ValueError:
                        raise TransientError(f"LibreTranslate answered non-JSON: {answer.text[:200]!r}") from None
                problem = f"HTTP {answer.status_code}: {_error_text(answer)}"
                if answer.status_code != 429 and answer.status_code < 500:
                    raise TranslationRejected(f"LibreTranslate refused the request: {problem}")
                wait = max(wait, _retry_after(answer))
            if attempt < self.retries:
                time.sleep(wait)
        raise TransientError(f"LibreTranslate at {self.url} failed {self.retries + 1} times; last: {problem}")
