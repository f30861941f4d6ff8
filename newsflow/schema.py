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
from typing import Annotated, Any, Literal

import orjson
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from newsflow.text import has_controls, strip_controls

SCHEMA_VERSION: Literal[1] = 1

Scalar = str | int | float | bool | None

# What one producer's article may carry besides its body (whose bound is NEWSFLOW_MAX_BODY_BYTES, with these fields
# counted in): every field has a bound, so no field can carry a body's worth of bytes past the body's limit.
URL_MAX_CHARS = 2048
TITLE_MAX_CHARS = 2000
NAME_MAX_CHARS = 200
METADATA_MAX_FIELDS = 100
METADATA_KEY_MAX_CHARS = 100
METADATA_VALUE_MAX_CHARS = 2000
METADATA_MAX_BYTES = 16_384
MetadataKey = Annotated[str, StringConstraints(min_length=1, max_length=METADATA_KEY_MAX_CHARS)]


def version_of(message: dict[str, Any]) -> int:
    """The article version a message or record carries (1 for one without, or not an article's)."""
    version = message.get("version")
    return version if isinstance(version, int) and version >= 1 else 1


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

    url: AnyHttpUrl | None = Field(
        None,
        json_schema_extra={"maxLength": URL_MAX_CHARS},  # as sent: checked before parsing, which percent-encodes
        description="The page's URL (http or https); it names the story: its id.",
    )
    title: str | None = Field(
        None, max_length=TITLE_MAX_CHARS, description="The headline as the feed has it; wins over the page's."
    )
    source_name: str | None = Field(None, max_length=NAME_MAX_CHARS, description="Who the feed credits the story to.")
    feed_id: str | None = Field(
        None, max_length=NAME_MAX_CHARS, description="The producer's name for the feed it came from."
    )
    published_at: datetime | None = Field(None, description="When the feed says it was published (ISO 8601).")
    language_hint: str | None = Field(None, pattern=r"^[a-zA-Z]{2,3}([-_][a-zA-Z0-9]{2,8})*$",
                                      description="The language the feed believes it is in (BCP 47), a hint only.")  # fmt: skip
    metadata: dict[MetadataKey, Scalar] = Field(
        default_factory=dict,
        max_length=METADATA_MAX_FIELDS,
        description=f"The producer's own flat fields, carried through unread: string values of at most "
        f"{METADATA_VALUE_MAX_CHARS:,} characters, integers within 64 bits, {METADATA_MAX_BYTES:,} bytes as JSON.",
    )

    @field_validator("url", mode="before")
    @classmethod
    def _url_bounded_and_plain(cls, value: object) -> object:
        # Before pydantic parses it: a URL over the bound costs no parsing, and one with control characters is
        # refused rather than silently percent-encoded into an id no one sent.
        if isinstance(value, str):
            if len(value) > URL_MAX_CHARS:
                raise ValueError(f"a URL of {len(value):,} characters is over the limit of {URL_MAX_CHARS:,}")
            if has_controls(value):
                raise ValueError("the URL contains control or bidirectional override characters")
        return value

    @field_validator("title", "source_name", "feed_id", mode="after")
    @classmethod
    def _without_controls(cls, value: str | None) -> str | None:
        return strip_controls(value) if value is not None else None

    @field_validator("metadata", mode="after")
    @classmethod
    def _metadata_bounded(cls, value: dict[str, Scalar]) -> dict[str, Scalar]:
        for key, item in value.items():
            if isinstance(item, str) and len(item) > METADATA_VALUE_MAX_CHARS:
                raise ValueError(f"{key!r} is {len(item):,} characters; the limit is {METADATA_VALUE_MAX_CHARS:,}")
            if isinstance(item, int) and not -(2**63) <= item < 2**63:  # what JSON on our wire (orjson) carries
                raise ValueError(f"{key!r} is an integer beyond 64 bits")
        cleaned = {strip_controls(k): strip_controls(v) if isinstance(v, str) else v for k, v in value.items()}
        size = len(orjson.dumps(cleaned))
        if size > METADATA_MAX_BYTES:
            raise ValueError(f"metadata is {size:,} bytes as JSON; the limit is {METADATA_MAX_BYTES:,}")
        return cleaned


class RawArticle(FeedFields):
    """A news article as a feed delivers it: exactly one of ``html`` or ``text``, plus what the feed knows."""

    schema_version: Literal[1] = Field(SCHEMA_VERSION, description="Version of this schema.")
    html: str | None = Field(None, description="The page as fetched (exactly one of `html` or `text`).")
    text: str | None = Field(None, description="The article as plain text, paragraphs on their own lines.")

    @field_validator("html", "text", mode="after")
    @classmethod
    def _body_without_controls(cls, value: str | None) -> str | None:
        return strip_controls(value) if value is not None else None

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

    def size(self) -> int:
        """UTF-8 bytes of the body and every other field, as they would travel (what NEWSFLOW_MAX_BODY_BYTES
        bounds)."""
        return len(self.body.encode("utf-8")) + len(
            orjson.dumps(self.model_dump(mode="json", exclude={"html", "text"}))
        )


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


class Mention(Record):
    start: int = Field(description="Offset in characters (Unicode code points) into the body paragraphs joined by a "
                       "blank line, or into the `text` of the boilerplate item named by `boilerplate`.")  # fmt: skip
    end: int = Field(description="Offset just past the mention, in the same text as `start` (characters).")
    surface: str = Field(description="The mention as written.")
    boilerplate: int | None = Field(
        None,
        description="Index of the `read_also` boilerplate item (a story the page carries) the mention is in; "
        "null: the body.",
    )


class Entity(Record):
    type: Literal["person", "organisation", "place"] = Field(description="What kind of name it is.")
    name: str = Field(description="Canonical English name where one is known (`linked`), else the mention as written.")
    linked: bool = Field(False, description="The name comes from a name table (gazetteer, known names).")
    wikidata: str | None = Field(None, description="Wikidata id, where a table newsflow ships gives one.")
    country: str | None = Field(None, description="ISO 3166-1 alpha-2 code of the place's (or person's) country.")
    mentions: list[Mention] = Field(description="Every place it is mentioned, in order.")
    source: str = Field(description="What found it: `names`, `gazetteer`, `crf` (Arabic model) or `spacy`.")


class Furniture(Record):
    """Page furniture set apart from the story body: never mixed into it, never silently dropped."""

    kind: Literal[
        "source", "tags", "read_also", "related_list", "share", "subscribe", "advert", "credit", "copyright", "other"
    ] = Field(description="What the furniture is (README: Records).")
    text: str = Field(description="Its text; for `read_also`, the whole story the page carries.")
    title: str | None = Field(None, description="`read_also`: the carried story's headline.")
    items: list[str] = Field(
        default_factory=list, description="`source`: the name; `tags`: the keywords; `related_list`: the titles."
    )
    entities: list[Entity] = Field(
        default_factory=list,
        description="`read_also`: the people, organisations and places of the story it carries (mention offsets "
        "into its `text`). They are not the article's: its own `entities` and `countries` come from the body alone.",
    )
    countries: list[str] = Field(default_factory=list, description="`read_also`: the carried story's countries.")


class Topic(Record):
    code: str = Field(description="IPTC Media Topic, e.g. `medtop:16000000`.")
    label: str = Field(description="The topic's English name.")
    score: float = Field(description="Share of the article's similarity to the 17 top-level topics (0-1).")


class StoryRef(Record):
    """The story an article joined (or started), as it stood when the article joined it."""

    id: str = Field(description="16 hex characters naming the story; every article about the same event carries it.")
    first_seen: datetime = Field(description="When the story's first article reached the cluster stage (UTC).")
    size: int = Field(
        description="Articles in the story when this one joined it, this one included (1: it started it)."
    )
    languages: list[str] = Field(description="The story's languages then, most articles first.")


class TranslatedSentence(Record):
    paragraph: int = Field(description="Index of the source paragraph in `body`.")
    start: int = Field(description="Offset of the source sentence in its paragraph (characters).")
    end: int = Field(description="Offset just past the source sentence in its paragraph (characters).")
    text: str = Field(description="The sentence's translation.")
    from_memory: bool = Field(False, description="Answered by the translation memory, not the backend.")


class Translation(Record):
    status: Literal["translated", "passthrough", "untranslated"] = Field(
        description="`passthrough`: already in the target language; `untranslated`: see `reason`."
    )
    quality: Literal["nmt", "gloss", "original", "none"] = Field(
        description="`nmt`: a neural model; `gloss`: word-by-word fallback, a reading aid, not a translation; "
        "`original`: the source is already in the target language; `none`: not translated (see `reason`)."
    )
    target_language: str = Field(description="ISO 639-1 code of the language translated into.")
    backend: str | None = Field(None, description="What translated it: `ctranslate2`, `libretranslate` or `gloss`.")
    model: str | None = Field(None, description="The backend's model (its name or folder).")
    title: str | None = Field(None, description="The translated title.")
    body: list[str] = Field(
        default_factory=list, description="Translated paragraphs, one per source paragraph in `body`, in order."
    )
    sentences: list[TranslatedSentence] = Field(
        default_factory=list, description="Each body sentence with its offsets in the source and its translation."
    )
    reason: str | None = Field(None, description="`untranslated`: why.")


class StageRun(Record):
    stage: str = Field(description="The stage that ran.")
    stage_version: str = Field(description="Its version: a new one marks a change in what it produces.")
    worker: str = Field(description="The worker node that ran it (`stage@host`).")
    started_at: datetime = Field(description="When it started (UTC).")
    duration_ms: float = Field(description="How long it took, in milliseconds.")
    counters: dict[str, float] = Field(
        default_factory=dict, description="What the stage counted, e.g. translate's `memory_hit_ratio`."
    )


class Article(Record, Versioned):
    """The enriched record. Sections a stage has not reached yet are empty; publish sees them all filled."""

    schema_version: Literal[1] = Field(SCHEMA_VERSION, description="Version of this schema.")
    id: str = Field(description="32 hex characters naming the story: the hash of its canonical URL (README: Records).")
    url: str | None = Field(None, description="The page's canonical link, else the submitted URL, canonicalised.")
    source: str | None = Field(
        None,
        description="Who the story is credited to: the page's source line, else the feed's source name, else the site.",
    )
    site_name: str | None = Field(None, description="The site's name, from the page's metadata.")
    feed_id: str | None = Field(None, description="The producer's name for the feed it came from.")
    title: str | None = Field(None, description="The headline: the feed's, else the page's.")
    author: str | None = Field(None, description="The byline, from the page's metadata.")
    description: str | None = Field(None, description="The page's own summary, from its metadata.")
    image_url: str | None = Field(None, description="The page's lead image, from its metadata.")
    language: str | None = Field(None, description="ISO 639-1 code of the body's dominant language.")
    language_confidence: float | None = Field(
        None, description="How sure the language identifier is of `language` (0-1)."
    )
    title_language: str | None = Field(None, description="ISO 639-1 code of the title's language.")
    languages: dict[str, float] = Field(
        default_factory=dict, description="Share of the body's characters per language (its 12 longest paragraphs)."
    )
    mixed_language: bool = Field(False, description="A second language holds a fifth or more of the body.")
    published_at: datetime | None = Field(None, description="When it was published (UTC), where that is known.")
    published_at_source: Literal["feed", "page"] | None = Field(
        None, description="Where `published_at` comes from: the producer's value, else the page's date."
    )
    received_at: datetime = Field(description="When ingest accepted it (UTC).")
    body: list[str] = Field(description="The story's paragraphs, clean text, furniture set apart.")
    page_keywords: list[str] = Field(default_factory=list, description="The page's own keywords and tags.")
    boilerplate: list[Furniture] = Field(default_factory=list, description="The page's furniture, set apart.")
    translation: Translation | None = Field(None, description="The translation block (null before translate).")
    entities: list[Entity] = Field(
        default_factory=list, description="People, organisations and places of the story, most mentioned first."
    )
    countries: list[str] = Field(
        default_factory=list, description="ISO 3166-1 alpha-2 codes of the story's countries, most mentioned first."
    )
    topics: list[Topic] = Field(default_factory=list, description="IPTC Media Topics, best first.")
    keywords: list[str] = Field(default_factory=list, description="The page's own keywords, then the text's.")
    embedding: str | None = Field(
        None,
        description="The article's vector (newsflow/vectors.py): multilingual-e5-small's pooled states of the title and "
        "the body's lead, 384 float16 numbers, little-endian, base64. The same story in any language lies close.",
    )
    duplicate_of: str | None = Field(
        None, description="The id of the first article seen with the same text (an exact or near copy), else null."
    )
    duplicate_similarity: float | None = Field(
        None,
        description="How much of its text the copy shares with `duplicate_of` (estimated Jaccard of word 5-grams; 1: exact).",
    )
    story: StoryRef | None = Field(
        None, description="The story this article belongs to (null before the cluster stage)."
    )
    metadata: dict[str, Scalar] = Field(default_factory=dict, description="The producer's own fields, unread.")
    provenance: list[StageRun] = Field(default_factory=list, description="Each stage that ran, in order.")


class DeadLetter(Record):
    """A stage that failed for good. ``input_key`` holds the stage's input so ``newsflow dlq replay`` can retry it."""

    schema_version: Literal[1] = Field(SCHEMA_VERSION, description="Version of this schema.")
    article_id: str | None = Field(description="The article's id (null: a message that named none).")
    version: int | None = Field(None, description="The version of the article that failed (null: no article's).")
    stage: str = Field(description="The stage that failed.")
    error_type: str = Field(description="The error's type, e.g. `EmptyExtraction`, `WorkerLostError`.")
    reason: str = Field(description="What went wrong, for a person.")
    attempts: int = Field(description="How many times the stage tried.")
    failed_at: datetime = Field(description="When it gave up (UTC).")
    worker: str = Field(description="The worker node that wrote the letter.")
    input_key: str | None = Field(description="Redis key of the stage's input, kept for replay until it expires.")


class StoryMember(Record):
    """One article of a story, as the story board lists it."""

    id: str = Field(description="The article's id.")
    title: str | None = Field(None, description="Its headline.")
    language: str | None = Field(None, description="ISO 639-1 code of its language.")
    source: str | None = Field(None, description="Who it is credited to.")
    url: str | None = Field(None, description="Its page.")
    joined_at: datetime = Field(description="When it joined the story (UTC).")
    names: list[str] = Field(default_factory=list, description="Its most mentioned people, organisations and places.")
    duplicate_of: str | None = Field(None, description="The article it copies, if it is a copy.")


class Story(Record):
    """A live story: articles that tell the same event, in any language."""

    id: str = Field(description="16 hex characters; the `story.id` of its articles' records.")
    title: str | None = Field(None, description="The first article's headline; an English one where an article has it.")
    size: int = Field(description="Articles that joined it.")
    languages: list[str] = Field(description="Its languages, most articles first.")
    sources: list[str] = Field(description="Who published its articles, most articles first.")
    countries: list[str] = Field(description="Its countries (ISO 3166-1 alpha-2), strongest first.")
    names: list[str] = Field(default_factory=list, description="Its strongest names.")
    first_seen: datetime = Field(description="When its first article joined (UTC).")
    last_seen: datetime = Field(
        description="When its latest article joined (UTC); it closes NEWSFLOW_STORY_TTL_DAYS later."
    )
    members: list[StoryMember] = Field(default_factory=list, description="Its latest articles, newest first (capped).")


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
    record: dict[str, Any] | None = Field(
        None, description="Published: the record as the output stream holds it (null once the stream has trimmed it)."
    )


SCHEMAS: dict[str, type[Record]] = {"raw-article": RawArticle, "article": Article, "dead-letter": DeadLetter}

# Within one schema version newsflow may add fields to what it writes, never remove or change one.
TOLERANT = ("article", "dead-letter")
_TOLERANCE = (
    "Schema version {version}. Consumers must accept fields this schema does not list: newsflow may add fields "
    "within a schema version (never remove one or change its meaning; that takes a new version)."
)


def json_schema(name: str) -> dict[str, Any]:
    """The JSON Schema of record type ``name``, as schemas/ publishes it. What producers send (``raw-article``) is
    strict: ingest refuses fields it does not know. What newsflow writes lets consumers accept added fields."""
    schema = SCHEMAS[name].model_json_schema()
    if name in TOLERANT:
        for part in [schema, *schema.get("$defs", {}).values()]:
            part.pop("additionalProperties", None)
        schema["description"] = f"{schema.get('description', '')} {_TOLERANCE.format(version=SCHEMA_VERSION)}".strip()
    return schema
