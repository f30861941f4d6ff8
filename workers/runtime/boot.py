"""Worker boot: each stage's resources load once per worker process, when it starts, never at import or per task.

A prefork pool process loads what its worker's stages need in ``worker_process_init``, so the first article does
not pay for model loading; a threads or solo pool loads once in the worker's own process before it consumes.
Anything else that runs a stage task (a process the pool replaced mid-start) loads on first use, once.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from typing import Any, TypeVar, cast

from celery import Celery
from celery.signals import worker_process_init

from config import Settings
from newsflow.errors import NewsflowError, PermanentError
from newsflow.resources import Observers, Resources
from newsflow.stages import Stage
from workers.runtime import metrics

T = TypeVar("T")


class WorkerProcess:
    """What one process has loaded: the shared resources, and each stage's part of them."""

    def __init__(self, settings: Settings) -> None:
        observers = Observers(translation_batch=metrics.record_translation_batch,
                              translation_memory=metrics.record_translation_memory,
                              tag_batch=metrics.record_tag_batch,
                              redis_master_change=metrics.REDIS_MASTER_CHANGES.inc)  # fmt: skip
        self.resources = Resources(settings, observers)
        self._loaded: dict[str, Any] = {}

    def loaded(self, stage: Stage[Any, Any]) -> Any:
        return self.once(stage.name, stage.load)

    def once(self, name: str, build: Callable[[Resources], T]) -> T:
        """What ``build`` makes of this process's resources, built on first use."""
        if name not in self._loaded:
            self._loaded[name] = build(self.resources)
        return cast(T, self._loaded[name])

    def warm(self, stages: Sequence[Stage[Any, Any]]) -> WorkerProcess:
        for stage in stages:
            self.loaded(stage)
        return self


_current: tuple[int, WorkerProcess] | None = None


def worker_process(app: Celery) -> WorkerProcess:
    """This process's loaded state for ``app``'s settings, created on first use in each process."""
    global _current
    if _current is None or _current[0] != os.getpid():
        _current = (os.getpid(), WorkerProcess(app.conf.newsflow_settings))
    return _current[1]


def preload(app: Celery, stages: Sequence[Stage[Any, Any]], in_this_process: bool) -> None:
    """Prepare what ``stages`` need before the worker consumes, so that a missing or corrupt model stops the worker
    at start-up instead of failing every article. A threads or solo pool runs its tasks in this process: load here,
    once. A prefork pool loads in each pool process (hooked here); first each stage prepares in this process, and
    a stage whose loading depends on what is installed proves it loads in a child of this one."""
    global _current
    settings: Settings = app.conf.newsflow_settings
    if in_this_process:
        _current = (os.getpid(), WorkerProcess(settings).warm(stages))
        return
    for stage in stages:
        if stage.prepare:
            stage.prepare(settings)
    checked = [stage for stage in stages if stage.checked_at_start]
    if checked:
        _trial_load(settings, checked)

    def load_for_pool_process(**_: object) -> None:
        global _current
        _current = (os.getpid(), WorkerProcess(settings).warm(stages))

    worker_process_init.connect(load_for_pool_process, weak=False)


def _trial_load(settings: Settings, stages: Sequence[Stage[Any, Any]]) -> None:
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_load_and_answer, args=(settings, stages, send))
    child.start()
    limit = settings.model_load_timeout_s
    problem = receive.recv() if receive.poll(limit) else f"the trial load did not finish within {limit:g} s"
    child.join()
    if problem:
        raise PermanentError(problem)


def _load_and_answer(settings: Settings, stages: Sequence[Stage[Any, Any]], answer: Connection) -> None:
    try:
        WorkerProcess(settings).warm(stages)
        answer.send(None)
    except NewsflowError as exc:
        answer.send(f"{type(exc).__name__}: {exc}")
