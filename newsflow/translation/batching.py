"""Cross-article batching: sentences of every article a translate worker holds go to the model together.

A base-size model on two CPU cores translates about 3.6 sentences/s one at a time and about 34/s in batches of 32,
so a worker that serves several articles at once (the ``threads`` pool, one article per thread) hands their
sentences to one ``Batcher`` thread. It waits up to ``wait_s`` for a batch of ``batch_size`` sentences of one
language pair, translates it, and wakes each article the moment its own last sentence is done.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field

from newsflow.errors import TransientError
from newsflow.translation import Quality, Translator


@dataclass(eq=False)
class _Request:
    texts: list[str]
    source: str
    target: str
    results: list[str | None] = field(init=False)
    remaining: int = field(init=False)
    done: Future = field(default_factory=Future)

    def __post_init__(self) -> None:
        self.results, self.remaining = [None] * len(self.texts), len(self.texts)


class Batcher:
    """Wraps a translator with the same interface; ``translate`` blocks the calling thread until its texts are done."""

    def __init__(self, translator: Translator, batch_size: int, wait_s: float, timeout_s: float,
                 observe: Callable[[int, int], None] | None = None) -> None:  # fmt: skip
        self.translator, self.batch_size, self.wait_s, self.timeout_s = translator, batch_size, wait_s, timeout_s
        self.observe = observe  # called with (sentences, articles) of each model call
        self.name: str = translator.name
        self.quality: Quality = translator.quality
        self._pending: deque[tuple[_Request, int]] = deque()
        self._ready = threading.Condition()
        self._thread: threading.Thread | None = None

    def model_for(self, source: str, target: str) -> str | None:
        return self.translator.model_for(source, target)

    def translate(self, texts: list[str], source: str, target: str) -> list[str]:
        if not texts:
            return []
        request = _Request(texts, source, target)
        with self._ready:
            if self._thread is None:  # started by the first article, in the process that serves it
                self._thread = threading.Thread(target=self._serve, name="newsflow-batcher", daemon=True)
                self._thread.start()
            self._pending.extend((request, i) for i in range(len(texts)))
            self._ready.notify()
        try:
            return request.done.result(timeout=self.timeout_s)
        except TimeoutError:  # the threads pool enforces no task time limit: this is the limit
            late = TransientError(f"{self.name} did not translate the article within {self.timeout_s:.0f} s")
            self._fail({request}, late)  # its sentences still queued are not translated for nobody
            raise late from None

    def _next_batch(self) -> list[tuple[_Request, int]]:
        with self._ready:
            self._ready.wait_for(lambda: self._pending)
            deadline = time.monotonic() + self.wait_s
            while len(self._pending) < self.batch_size and (left := deadline - time.monotonic()) > 0:
                self._ready.wait(left)
            pair = (self._pending[0][0].source, self._pending[0][0].target)
            batch = [item for item in self._pending if (item[0].source, item[0].target) == pair][: self.batch_size]
            taken = set(map(id, batch))
            self._pending = deque(item for item in self._pending if id(item) not in taken)
            return batch

    def _serve(self) -> None:
        while True:
            batch = self._next_batch()
            request = batch[0][0]
            if self.observe:
                self.observe(len(batch), len({id(r) for r, _ in batch}))
            try:
                out = self.translator.translate([r.texts[i] for r, i in batch], request.source, request.target)
            except Exception as exc:  # noqa: BLE001 - handed to the articles whose sentences were in the batch
                self._fail({r for r, _ in batch}, exc)
                continue
            for (req, i), text in zip(batch, out, strict=True):
                req.results[i] = text
                req.remaining -= 1
                if req.remaining == 0 and not req.done.done():  # done already: it timed out meanwhile
                    req.done.set_result(req.results)

    def _fail(self, requests: set[_Request], exc: Exception) -> None:
        """Each failed article gets the error; its sentences still queued are dropped with it."""
        with self._ready:
            self._pending = deque(item for item in self._pending if item[0] not in requests)
        for request in requests:
            if not request.done.done():
                request.done.set_exception(exc)
