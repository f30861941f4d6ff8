"""The extract stage: raw HTML or text → an Article with a clean body, metadata and furniture set apart.

HTML: parsed once within size and depth limits; trafilatura (with its fallbacks, comments off) finds the main
text, the page's own metadata comes from html_meta.py, and the furniture splitter removes the "read
also", related, share, newsletter, advert, credit and copyright lines trafilatura lets through.
Plain text: the furniture splitter finds where the story ends. Both: text hygiene, language profile, dates.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urljoin

import trafilatura
from lxml.html import HtmlElement
from trafilatura.settings import Document
from trafilatura.utils import load_html

from config import Settings
from newsflow.errors import EmptyExtraction, InputTooLarge
from newsflow.extraction.furniture import split_furniture, split_keywords
from newsflow.extraction.html_meta import EARLIEST_DATE, PageMeta, read_page_meta
from newsflow.ids import canonical_url
from newsflow.language import LanguageIdentifier
from newsflow.schema import Article, IngestedArticle
from newsflow.text import clean_text

_TITLE_MAX_CHARS = 150
_SENTENCE_END = re.compile(r"[.!?؟。…:]\s*$")


@dataclass(frozen=True)
class Limits:
    max_input_bytes: int
    max_html_elements: int
    max_html_depth: int
    min_body_chars: int

    @classmethod
    def from_settings(cls, s: Settings) -> Limits:
        return cls(s.max_body_bytes, s.max_html_elements, s.max_html_depth, s.min_body_chars)


@dataclass
class Page:
    paragraphs: list[str]
    meta: PageMeta = field(default_factory=PageMeta)


def parse_html(html: str, limits: Limits) -> HtmlElement:
    """The page's tree, refused when it is bigger or deeper than the limits allow (counted by libxml2, in C)."""
    tree = load_html(html)
    if tree is None:
        raise EmptyExtraction("the HTML could not be parsed into a document")
    elements = int(tree.xpath("count(//*)"))
    if elements > limits.max_html_elements:
        raise InputTooLarge(f"the HTML has {elements:,} elements; the limit is {limits.max_html_elements:,}")
    if tree.xpath("boolean(" + "/*" * (limits.max_html_depth + 1) + ")"):
        raise InputTooLarge(f"the HTML is nested more than {limits.max_html_depth} levels deep")
    return tree


def read_html(html: str, url: str | None, limits: Limits) -> Page:
    tree = parse_html(html, limits)
    meta = read_page_meta(tree, url)
    doc = trafilatura.bare_extraction(tree, url=url, include_comments=False)  # a Document unless as_dict=True
    if not isinstance(doc, Document) or not doc.text:
        raise EmptyExtraction("trafilatura found no main text in the HTML")
    paragraphs = [p for p in map(clean_text, doc.text.split("\n")) if p]
    if meta.title and paragraphs and paragraphs[0] == meta.title:
        paragraphs = paragraphs[1:]  # the page's <h1> repeats the title
    return Page(paragraphs, meta)


def read_text(text: str) -> Page:
    paragraphs = [line for line in (clean_text(raw, entities=True) for raw in text.splitlines()) if line]
    first = paragraphs[0] if paragraphs else ""
    if len(paragraphs) > 1 and len(first) <= _TITLE_MAX_CHARS and not _SENTENCE_END.search(first):
        return Page(paragraphs[1:], PageMeta(title=first))
    return Page(paragraphs)


def plausible(when: date | None, today: date) -> bool:
    """Publication dates before 1990 or after tomorrow are parsing accidents, not dates."""
    return when is not None and EARLIEST_DATE <= when <= today + timedelta(days=1)


def publication(job: IngestedArticle, page: PageMeta) -> tuple[datetime | None, str | None]:
    """The feed's timestamp when it is plausible, else the page's date; and which one it was."""
    today = datetime.now(UTC).date()
    if job.published_at is not None and plausible(job.published_at.date(), today):
        return job.published_at, "feed"
    if page.published_on is not None and plausible(page.published_on, today):
        return datetime.combine(page.published_on, time(), UTC), "page"
    return None, None


def _check_size(body: str, limit: int) -> None:
    size = len(body) if len(body) > limit else len(body.encode("utf-8"))
    if size > limit:
        raise InputTooLarge(f"the body is over {limit:,} bytes")


def extract_article(job: IngestedArticle, body: str, language: LanguageIdentifier, limits: Limits) -> Article:
    """The article's story paragraphs, metadata, language profile and page furniture."""
    _check_size(body, limits.max_input_bytes)
    url = str(job.url) if job.url else None
    page = read_html(body, url, limits) if job.body_kind == "html" else read_text(body)
    split = split_furniture(page.paragraphs, page_end=job.body_kind == "text")
    chars = sum(len(p) for p in split.body)
    if chars < limits.min_body_chars:
        raise EmptyExtraction(f"the extracted body has {chars} characters; at least {limits.min_body_chars} are needed")
    meta = page.meta
    title = clean_text(job.title or meta.title or "") or None
    profile = language.profile(title, split.body)
    published_at, date_source = publication(job, meta)
    page_url = urljoin(url or "", meta.canonical_url) if meta.canonical_url else url
    return Article(
        id=job.id,
        version=job.version,
        replaces=job.replaces,
        url=canonical_url(page_url) if page_url and page_url.startswith(("http://", "https://")) else None,
        source=split.source or job.source_name or meta.site_name,
        site_name=meta.site_name,
        feed_id=job.feed_id,
        title=title,
        author=meta.author,
        description=meta.description,
        image_url=meta.image_url,
        language=profile.language,
        language_confidence=profile.confidence,
        title_language=profile.title_language,
        languages=profile.shares,
        mixed_language=profile.mixed,
        published_at=published_at,
        published_at_source=date_source,
        received_at=job.received_at,
        body=split.body,
        page_keywords=list(
            dict.fromkeys([*(k for tag in meta.keywords for k in split_keywords(tag, "")), *split.keywords])
        ),
        boilerplate=split.furniture,
        metadata=job.metadata,
    )


@dataclass(frozen=True)
class Extraction:
    """What the extract stage loads once per process."""

    language: LanguageIdentifier
    limits: Limits
    load_body: Callable[[str | None], str]  # a raw body stored by reference at ingest


def extract(job: IngestedArticle, loaded: Extraction) -> Article:
    """The extract stage: the job's body (inline or by reference) through ``extract_article``."""
    body = job.body if job.body is not None else loaded.load_body(job.body_ref)
    return extract_article(job, body, loaded.language, loaded.limits)
