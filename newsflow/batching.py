"""Cross-article batching: what the articles a worker holds at once (the ``threads`` pool, one article per thread)
send to a model goes to it together.

A model on a GPU, or a base-size translation model on two CPU cores (about 3.6 sentences/s one at a time and about
34/s in batches of 32), does far more in one call of many items than in many calls of a few, so the threads hand
their items to one ``Batcher`` thread. Each item has a group, and only items of one group share a call (a language
pair; sequences of about one length). The batcher waits up to ``wait_s`` for ``size`` items of one group,
runs the model on them, and wakes each article the moment its own last item is done.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from newsflow.errors import TransientError

Group = TypeVar("Group", bound=Hashable)
Item = TypeVar("Item")
Result = TypeVar("Result")


@dataclass(frozen=True)
class Batching:
    """How a batcher fills a model call: up to ``size`` items, waiting at most ``wait_s`` for them; an article
    waits at most ``timeout_s`` for its results."""

    size: int
    wait_s: float
    timeout_s: float


@dataclass(eq=False)
class _Request(Generic[Group, Item, Result]):
    items: list[tuple[Group, Item]]
    results: list[Result | None] = field(init=False)
    remaining: int = field(init=False)
    done: Future[list[Result]] = field(default_factory=Future)

    def __post_init__(self) -> None:
        self.results, self.remaining = [None] * len(self.items), len(self.items)


class Batcher(Generic[Group, Item, Result]):
    """``run(group, items)`` is the model call: one result per item. ``submit`` blocks the calling thread until its
    items are done. ``observe`` is called with (items, articles) of each model call."""

    def __init__(self, run: Callable[[Group, list[Item]], list[Result]], name: str, batching: Batching,
                 observe: Callable[[int, int], None] | None = None) -> None:  # fmt: skip
        self.run, self.name, self.batching, self.observe = run, name, batching, observe
        self._pending: deque[tuple[_Request[Group, Item, Result], int]] = deque()
        self._ready = threading.Condition()
        self._thread: threading.Thread | None = None

    def submit(self, items: list[tuple[Group, Item]]) -> list[Result]:
        if not items:
            return []
        request: _Request[Group, Item, Result] = _Request(items)
        with self._ready:
            if self._thread is None:  # started by the first article, in the process that serves it
                self._thread = threading.Thread(target=self._serve, name="newsflow-batcher", daemon=True)
                self._thread.start()
            self._pending.extend((request, i) for i in range(len(items)))
            self._ready.notify()
        try:
            return request.done.result(timeout=self.batching.timeout_s)
        except TimeoutError:  # the threads pool enforces no task time limit: this is the limit
            late = TransientError(f"{self.name} did not finish the article within {self.batching.timeout_s:.0f} s")
            self._fail({request}, late)  # its items still queued are not run for nobody
            raise late from None

    def _next_batch(self) -> list[tuple[_Request[Group, Item, Result], int]]:
        with self._ready:
            self._ready.wait_for(lambda: self._pending)
            size, deadline = self.batching.size, time.monotonic() + self.batching.wait_s
            while len(self._pending) < size and (left := deadline - time.monotonic()) > 0:
                self._ready.wait(left)
            group = self._group(self._pending[0])
            batch = [item for item in self._pending if self._group(item) == group][:size]
            taken = set(map(id, batch))
            self._pending = deque(item for item in self._pending if id(item) not in taken)
            return batch

    @staticmethod
    def _group(queued: tuple[_Request[Group, Item, Result], int]) -> Group:
        request, i = queued
        return request.items[i][0]

    def _serve(self) -> None:
        while True:
            batch = self._next_batch()
            if self.observe:
                self.observe(len(batch), len({id(r) for r, _ in batch}))
            try:
                out = self.run(self._group(batch[0]), [r.items[i][1] for r, i in batch])
            except Exception as exc:  # noqa: BLE001 - handed to the articles whose items were in the batch
                self._fail({r for r, _ in batch}, exc)
                continue
            for (request, i), result in zip(batch, out, strict=True):
                request.results[i] = result
                request.remaining -= 1
                if request.remaining == 0 and not request.done.done():  # done already: it timed out meanwhile
                    request.done.set_result(request.results)  # type: ignore[arg-type]  # every slot is filled now

    def _fail(self, requests: set[_Request[Group, Item, Result]], exc: Exception) -> None:
        """Each failed article gets the error; its items still queued are dropped with it."""
        with self._ready:
            self._pending = deque(item for item in self._pending if item[0] not in requests)
        for request in requests:
            if not request.done.done():
                request.done.set_exception(exc)
