"""The pipeline: every stage declared once, in order. Celery routing and task names, worker boot, the local
in-process runner, the CLI's stage choices, status and metric labels are all read from here.

A stage is a function over typed records, ``apply(record, loaded) -> Article``, plus what a worker process loads
for it once (``load``). The Celery runtime (workers/runtime/) wraps every stage in the same thin task: decode the
message, apply, record provenance, hand the record to the next stage, or, for the last stage, ``emit`` it.

Adding a stage is one module with its function and one ``Stage(...)`` here (or, for a deployment's own stage, a
pipeline of its own named by NEWSFLOW_PIPELINE: ``PIPELINE.inserted(MY_STAGE, after="tag")``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import import_module
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from config import Settings
from newsflow.errors import NotConfigured
from newsflow.extraction.stage import Extraction, Limits, extract
from newsflow.publishing import check_complete, publish
from newsflow.resources import Resources
from newsflow.schema import Article, IngestedArticle
from newsflow.state.output import Publisher
from newsflow.state.stories import StoryIndex
from newsflow.stories.stage import cluster_article, language_means
from newsflow.tagging.encoder import converted
from newsflow.tagging.stage import tag_article
from newsflow.tagging.tagger import Tagger
from newsflow.translation.service import TranslationService
from newsflow.translation.stage import counters, translate_article

RecordT = TypeVar("RecordT", bound=BaseModel)
LoadedT = TypeVar("LoadedT")


# The pipeline's entry: producers send raw articles to the `newsflow.ingest` task, on a queue of its own, which
# validates and queues them for the first stage (workers/runtime/ingesttask.py). It makes no record, so it is not a
# stage, but workers serve it like one.
INGEST = "ingest"


def task_name(stage: str) -> str:
    """The Celery task of a stage (or of ingest); its queue is named by newsflow/state/keys.py."""
    return f"newsflow.{stage}"


@dataclass(frozen=True)
class Stage(Generic[RecordT, LoadedT]):
    name: str
    version: str  # recorded in each record's provenance; raise it when the stage's output changes
    reads: type[RecordT]  # the record its messages hold
    load: Callable[[Resources], LoadedT]  # what a worker process loads for it, once, when it starts
    apply: Callable[[RecordT, LoadedT], Article]  # the stage itself, testable without Redis or Celery
    # Takes long enough that a pool process should hold one message at a time; light stages prefetch a few.
    heavy: bool = True
    # The last stage hands its record to a sink instead of a next stage (publish: the output stream).
    emit: Callable[[Article, LoadedT], object] | None = None
    counters: Callable[[Article], dict[str, float]] | None = None  # what it counted, for the record's provenance
    # Runs once in a worker's main process before its pool processes start (work they must not race over).
    prepare: Callable[[Settings], object] | None = None
    # Its loading depends on what is installed or configured: a worker proves it loads before it consumes.
    checked_at_start: bool = False
    # A worker serving only stages like this runs the threads pool: its time goes to a model that releases the GIL.
    threaded: bool = False

    @property
    def task_name(self) -> str:
        return task_name(self.name)


@dataclass(frozen=True)
class Pipeline:
    stages: tuple[Stage[Any, Any], ...]

    def __post_init__(self) -> None:
        names = [stage.name for stage in self.stages]
        if not names or len(set(names)) != len(names) or INGEST in names:
            raise ValueError(f"a pipeline needs stages with distinct names other than {INGEST!r}, not {names}")
        if self.stages[-1].emit is None or any(stage.emit for stage in self.stages[:-1]):
            raise ValueError("the last stage of a pipeline, and only the last, emits its record")

    def __iter__(self) -> Iterator[Stage[Any, Any]]:
        return iter(self.stages)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(stage.name for stage in self.stages)

    @property
    def served(self) -> tuple[str, ...]:
        """What a worker can serve, each on its own queue: ingest, then every stage."""
        return (INGEST, *self.names)

    @property
    def first(self) -> Stage[Any, Any]:
        return self.stages[0]

    def __getitem__(self, name: str) -> Stage[Any, Any]:
        for stage in self.stages:
            if stage.name == name:
                return stage
        raise KeyError(f"no stage {name!r}; the stages are {', '.join(self.names)}")

    def after(self, name: str) -> Stage[Any, Any] | None:
        """The stage that follows ``name``, or None after the last."""
        position = self.names.index(name)
        return self.stages[position + 1] if position + 1 < len(self.stages) else None

    def until(self, name: str) -> tuple[Stage[Any, Any], ...]:
        """The stages from the first up to and including ``name``."""
        return self.stages[: self.names.index(name) + 1]

    def inserted(self, stage: Stage[Any, Any], after: str) -> Pipeline:
        """This pipeline with ``stage`` after the stage named ``after``."""
        position = self.names.index(after) + 1
        return Pipeline((*self.stages[:position], stage, *self.stages[position:]))


def _extraction(res: Resources) -> Extraction:
    return Extraction(res.language, Limits.from_settings(res.settings), res.load_body)


def _translation(res: Resources) -> tuple[TranslationService, str]:
    return res.translation, res.settings.target_language


def _translate(article: Article, loaded: tuple[TranslationService, str]) -> Article:
    return translate_article(article, *loaded)


def _tagger(res: Resources) -> Tagger:
    return res.tagger


def _story_index(res: Resources) -> StoryIndex:
    return StoryIndex(res.redis, res.settings, language_means())


def _publisher(res: Resources) -> Publisher:
    return Publisher(res.redis, res.settings)


def _complete(article: Article, _publisher: Publisher) -> Article:
    return check_complete(article)


EXTRACT = Stage("extract", "2", IngestedArticle, _extraction, extract)
TRANSLATE = Stage("translate", "2", Article, _translation, _translate, counters=counters, checked_at_start=True,
                  threaded=True)  # fmt: skip
TAG = Stage("tag", "10", Article, _tagger, tag_article, prepare=lambda settings: converted(settings.models_dir))
CLUSTER = Stage("cluster", "2", Article, _story_index, cluster_article, heavy=False)
PUBLISH = Stage("publish", "1", Article, _publisher, _complete, heavy=False, emit=publish)

PIPELINE = Pipeline((EXTRACT, TRANSLATE, TAG, CLUSTER, PUBLISH))


def load_pipeline(path: str) -> Pipeline:
    """The pipeline named ``module:attribute`` (NEWSFLOW_PIPELINE)."""
    module, _, attribute = path.partition(":")
    try:
        found = getattr(import_module(module), attribute)
    except (ImportError, AttributeError) as exc:
        raise NotConfigured(f"NEWSFLOW_PIPELINE names {path!r}, which cannot be imported: {exc}") from None
    if not isinstance(found, Pipeline):
        raise NotConfigured(f"NEWSFLOW_PIPELINE names {path!r}, which is a {type(found).__name__}, not a Pipeline")
    return found
