"""Stage 1, extract: raw HTML or text → an Article with a clean body, metadata and furniture set apart."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime

import trafilatura

from newsflow.errors import EmptyExtraction
from newsflow.furniture import split_furniture, split_keywords
from newsflow.ids import canonical_url
from newsflow.language import LanguageIdentifier
from newsflow.schema import Article, IngestedArticle
from workers.app import TASK_NAMES, app
from workers.boot import Resources, resources
from workers.stagetask import StageTask

STAGE_VERSION = "1"
_TITLE_MAX_CHARS = 150
_SENTENCE_END = re.compile(r"[.!?؟。…:]\s*$")


@dataclass
class Page:
    paragraphs: list[str]
    title: str | None = None
    published_at: datetime | None = None
    site_name: str | None = None
    keywords: list[str] = field(default_factory=list)


def read_html(html: str, url: str | None) -> Page:
    doc = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False)
    if doc is None or not doc.text:
        raise EmptyExtraction("trafilatura found no main text in the HTML")
    paragraphs = doc.text.split("\n")
    if doc.title and paragraphs and paragraphs[0].strip() == doc.title.strip():
        paragraphs = paragraphs[1:]  # the page's <h1> repeats the title
    published = datetime.fromisoformat(doc.date).replace(tzinfo=UTC) if doc.date else None
    keywords = [k for tag in (doc.tags or []) + (doc.categories or []) for k in split_keywords(tag, "")]
    return Page(paragraphs, doc.title, published, doc.sitename, keywords)


def read_text(text: str) -> Page:
    paragraphs = [line.strip() for line in text.splitlines() if line.strip()]
    first = paragraphs[0] if paragraphs else ""
    if len(paragraphs) > 1 and len(first) <= _TITLE_MAX_CHARS and not _SENTENCE_END.search(first):
        return Page(paragraphs[1:], title=first)
    return Page(paragraphs)


def extract_article(job: IngestedArticle, body: str, language: LanguageIdentifier, min_body_chars: int) -> Article:
    """The article's story paragraphs, title, date, source, language and page keywords."""
    body = unicodedata.normalize("NFC", body)
    url = canonical_url(str(job.url)) if job.url else None
    page = read_html(body, url) if job.body_kind == "html" else read_text(body)
    split = split_furniture(page.paragraphs)
    chars = sum(len(p) for p in split.body)
    if chars < min_body_chars:
        raise EmptyExtraction(f"the extracted body has {chars} characters; at least {min_body_chars} are needed")
    title = job.title or page.title
    lang, confidence = language.identify(" ".join([title or "", *split.body]))
    return Article(
        id=job.id,
        url=url,
        source=split.source or job.source_name or page.site_name,
        feed_id=job.feed_id,
        title=title,
        language=lang,
        language_confidence=confidence,
        published_at=job.published_at or page.published_at,
        received_at=job.received_at,
        body=split.body,
        page_keywords=list(dict.fromkeys(page.keywords + split.keywords)),
        boilerplate=split.furniture,
        metadata=job.metadata,
    )


def run(message: dict, res: Resources) -> dict:
    job = IngestedArticle.model_validate(message)
    body = job.body if job.body is not None else res.load_body(job.body_ref)
    return extract_article(job, body, res.language, res.settings.min_body_chars).model_dump(mode="json")


@app.task(base=StageTask, bind=True, name=TASK_NAMES["extract"], stage="extract", stage_version=STAGE_VERSION)
def extract(self: StageTask, message: dict) -> dict:
    return run(message, resources())
