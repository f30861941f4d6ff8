"""Records on the wire, versioned. Every message and stream entry is one of these, encoded with orjson.

RawArticle    what producers send (schema ``raw-article`` v1)
IngestedArticle  RawArticle plus its id, as queued for extract; a large body travels as ``body_ref``
Article       the enriched record that extract starts and each later stage fills in (schema ``article`` v1)
DeadLetter    a failure that will not heal by itself, with a reference to the input for replay

Bump SCHEMA_VERSION on any change a consumer could notice, and regenerate schemas/ (``make schemas``). Before the
first release the article v1 schema still gains the sections its stages fill in (translation, tags), unbumped.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, field_validator, model_validator

SCHEMA_VERSION: Literal[1] = 1

Scalar = str | int | float | bool | None


class Versioned(BaseModel):
    """Which version of its story a record is: the id names the story (its URL), the version what it said."""

    version: int = Field(
        1, ge=1, description="1 for the first content seen under this id; each changed content submitted under the "
        "same URL (a corrected or updated story) is the next version.",
    )  # fmt: skip
    replaces: int | None = Field(
        None, ge=1, description="The version this one updates (version - 1); null for a story's first version."
    )


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_lone_surrogates(cls, value: object) -> object:
        # orjson (our wire format) refuses lone surrogates; say so here rather than deep inside a worker.
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise ValueError(f"text contains a lone surrogate at position {exc.start}") from None
        return value


class FeedFields(Record):
    """What a feed knows about an article besides its body."""

    url: AnyHttpUrl | None = None
    title: str | None = Field(None, max_length=2000)
    source_name: str | None = Field(None, max_length=200)
    feed_id: str | None = Field(None, max_length=200)
    published_at: datetime | None = None
    language_hint: str | None = Field(None, pattern=r"^[a-zA-Z]{2,3}([-_][a-zA-Z0-9]{2,8})*$")
    metadata: dict[str, Scalar] = Field(default_factory=dict, max_length=100)


class RawArticle(FeedFields):
    """A news article as a feed delivers it: exactly one of ``html`` or ``text``, plus what the feed knows."""

    schema_version: Literal[1] = SCHEMA_VERSION
    html: str | None = None
    text: str | None = None

    @model_validator(mode="after")
    def _has_a_body(self) -> RawArticle:
        if (self.html is None) == (self.text is None):
            raise ValueError("exactly one of `html` or `text` is required")
        if not self.body.strip():
            raise ValueError("the article body (`html` or `text`) is empty")
        return self

    @property
    def body(self) -> str:
        return self.html if self.html is not None else self.text or ""

    @property
    def body_kind(self) -> Literal["html", "text"]:
        return "html" if self.html is not None else "text"


class IngestedArticle(FeedFields, Versioned):
    """A validated RawArticle queued for extract. Its body is inline or, when large, behind ``body_ref``."""

    id: str
    received_at: datetime
    body_kind: Literal["html", "text"]
    body: str | None = None
    body_ref: str | None = None

    @classmethod
    def from_raw(cls, raw: RawArticle, article_id: str, body_ref: str | None = None, version: int = 1
                 ) -> IngestedArticle:  # fmt: skip
        """What ingest queues for ``raw``: its feed fields, its version, and its body inline or as ``body_ref``."""
        fields = raw.model_dump(exclude={"schema_version", "html", "text"})
        body = {"body_ref": body_ref} if body_ref else {"body": raw.body}
        return cls(id=article_id, received_at=datetime.now(UTC), body_kind=raw.body_kind, version=version,
                   replaces=version - 1 if version > 1 else None, **fields, **body)  # fmt: skip

    @model_validator(mode="after")
    def _body_or_ref(self) -> IngestedArticle:
        if (self.body is None) == (self.body_ref is None):
            raise ValueError("exactly one of `body` or `body_ref` is required")
        return self


class Furniture(Record):
    """Page furniture set apart from the story body: never mixed into it, never silently dropped."""

    kind: Literal[
        "source", "tags", "read_also", "related_list", "share", "subscribe", "advert", "credit", "copyright", "other"
    ]
    text: str
    title: str | None = None
    items: list[str] = Field(default_factory=list)


class Mention(Record):
    start: int = Field(description="Offset into the body paragraphs joined by a blank line, or into the text of "
                       "the boilerplate item named by `boilerplate`.")  # fmt: skip
    end: int
    surface: str
    boilerplate: int | None = Field(
        None,
        description="Index of the `read_also` boilerplate item (a story the page carries) the mention is in; "
        "null: the body.",
    )


class Entity(Record):
    type: Literal["person", "organisation", "place"]
    name: str = Field(description="Canonical English name where one is known (`linked`), else the mention as written.")
    linked: bool = Field(False, description="The name comes from a name table (gazetteer, known names).")
    wikidata: str | None = Field(None, description="Wikidata id, where a table newsflow ships gives one.")
    country: str | None = Field(None, description="ISO 3166-1 alpha-2 code of the place's (or person's) country.")
    mentions: list[Mention]
    source: str = Field(description="What found it: `names`, `gazetteer`, `crf` (Arabic model) or `spacy`.")


class Topic(Record):
    code: str = Field(description="IPTC Media Topic, e.g. `medtop:16000000`.")
    label: str
    score: float = Field(description="Share of the article's similarity to the 17 top-level topics (0-1).")


class TranslatedSentence(Record):
    paragraph: int = Field(description="Index of the source paragraph in `body`.")
    start: int = Field(description="Offset of the source sentence in its paragraph (characters).")
    end: int
    text: str = Field(description="The sentence's translation.")
    from_memory: bool = Field(False, description="Answered by the translation memory, not the backend.")


class Translation(Record):
    status: Literal["translated", "passthrough", "untranslated"]
    quality: Literal["nmt", "gloss", "original", "none"] = Field(
        description="`nmt`: a neural model; `gloss`: word-by-word fallback, a reading aid, not a translation; "
        "`original`: the source is already in the target language; `none`: not translated (see `reason`)."
    )
    target_language: str
    backend: str | None = None
    model: str | None = None
    title: str | None = None
    body: list[str] = Field(
        default_factory=list, description="Translated paragraphs, one per source paragraph in `body`, in order."
    )
    sentences: list[TranslatedSentence] = Field(default_factory=list)
    reason: str | None = None


class StageRun(Record):
    stage: str
    stage_version: str
    worker: str
    started_at: datetime
    duration_ms: float
    counters: dict[str, float] = Field(
        default_factory=dict, description="What the stage counted, e.g. translate's `memory_hit_ratio`."
    )


class Article(Record, Versioned):
    """The enriched record. Sections a stage has not reached yet are empty; publish sees them all filled."""

    schema_version: Literal[1] = SCHEMA_VERSION
    id: str
    url: str | None = None
    source: str | None = Field(
        None,
        description="Who the story is credited to: the page's source line, else the feed's source name, else the site.",
    )
    site_name: str | None = None
    feed_id: str | None = None
    title: str | None = None
    author: str | None = None
    description: str | None = None
    image_url: str | None = None
    language: str | None = Field(None, description="ISO 639-1 code of the body's dominant language.")
    language_confidence: float | None = None
    title_language: str | None = None
    languages: dict[str, float] = Field(
        default_factory=dict, description="Share of the body's characters per language (its 12 longest paragraphs)."
    )
    mixed_language: bool = Field(False, description="A second language holds a fifth or more of the body.")
    published_at: datetime | None = None
    published_at_source: Literal["feed", "page"] | None = None
    received_at: datetime
    body: list[str]
    page_keywords: list[str] = Field(default_factory=list)
    boilerplate: list[Furniture] = Field(default_factory=list)
    translation: Translation | None = None
    entities: list[Entity] = Field(default_factory=list)
    countries: list[str] = Field(default_factory=list)
    topics: list[Topic] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    metadata: dict[str, Scalar] = Field(default_factory=dict)
    provenance: list[StageRun] = Field(default_factory=list)


class DeadLetter(Record):
    """A stage that failed for good. ``input_key`` holds the stage's input so ``newsflow dlq replay`` can retry it."""

    schema_version: Literal[1] = SCHEMA_VERSION
    article_id: str | None
    version: int | None = Field(None, description="The version of the article that failed (null: no article's).")
    stage: str
    error_type: str
    reason: str
    attempts: int
    failed_at: datetime
    worker: str
    input_key: str | None


class ArticleStatus(Record):
    """Where an accepted article is: in flight (and in which stage), published, or dead-lettered (and why)."""

    id: str
    version: int = Field(1, ge=1, description="The story's latest version, which the state describes.")
    state: Literal["in_flight", "published", "dead_lettered"]
    stage: str | None = Field(
        None,
        description="In flight: the stage it last entered (none yet: still queued for extract). Dead-lettered: the stage that failed.",
    )
    queued_at: datetime | None = None
    entry_id: str | None = Field(
        None, description="Published: the output stream entry. Dead-lettered: the dead-letter entry."
    )
    reason: str | None = None


SCHEMAS: dict[str, type[Record]] = {"raw-article": RawArticle, "article": Article, "dead-letter": DeadLetter}
