"""What a news page says about itself: <meta> tags, JSON-LD, <link rel=canonical>, <title> and <h1>.

One pass over the page's meta elements and JSON-LD scripts; the date comes from htmldate's fast search (which
reads the same sources, then the URL and the page's date elements) within the plausible range only.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import orjson
from htmldate import find_date
from lxml.html import HtmlElement

EARLIEST_DATE = date(1990, 1, 1)

_META = {
    "title": ("og:title", "twitter:title", "dc.title"),
    "site_name": ("og:site_name", "application-name"),
    "description": ("description", "og:description", "twitter:description", "dc.description"),
    "image": ("og:image", "og:image:url", "og:image:secure_url", "twitter:image", "twitter:image:src"),
    "author": ("author", "article:author", "dc.creator", "parsely-author", "sailthru.author"),
    "keywords": ("keywords", "news_keywords", "article:tag", "article:section", "parsely-tags"),
}
_ARTICLE_TYPES = {"NewsArticle", "Article", "ReportageNewsArticle", "AnalysisNewsArticle", "BlogPosting", "Report"}
_TITLE_SEPARATORS = re.compile(r"\s+(?:[|–—»›·:]{1,2}|-{1,2})\s+")


@dataclass
class PageMeta:
    title: str | None = None
    author: str | None = None
    site_name: str | None = None
    description: str | None = None
    image_url: str | None = None
    canonical_url: str | None = None
    keywords: list[str] = field(default_factory=list)
    published_on: date | None = None


def _meta_tags(tree: HtmlElement) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for element in tree.iter("meta"):
        key = (element.get("property") or element.get("name") or element.get("itemprop") or "").strip().lower()
        content = " ".join(html.unescape(element.get("content") or "").split())
        if key and content:
            found.setdefault(key, []).append(content)
    return found


def _json_ld_articles(tree: HtmlElement) -> Iterator[dict]:
    for script in tree.iter("script"):
        if (script.get("type") or "").lower() != "application/ld+json" or not script.text:
            continue
        try:
            data = orjson.loads(script.text)
        except orjson.JSONDecodeError:
            continue
        stack = data if isinstance(data, list) else [data]
        for item in stack:
            if isinstance(item, dict):
                stack.extend(item.get("@graph") or [])
                kinds = item.get("@type")
                if set(kinds if isinstance(kinds, list) else [kinds]) & _ARTICLE_TYPES:
                    yield item


def _name(value: object) -> str | None:
    """A JSON-LD person, organisation or image as text: its name or url, or a list's first."""
    if isinstance(value, list):
        return next(filter(None, map(_name, value)), None)
    if isinstance(value, dict):
        return _name(value.get("name") or value.get("url"))
    return " ".join(html.unescape(value).split()) if isinstance(value, str) and value.strip() else None


def _first(meta: dict[str, list[str]], field_name: str) -> str | None:
    values = [v for key in _META[field_name] for v in meta.get(key, []) if not v.startswith(("http://", "https://"))]
    return values[0] if values else None


def _text(element: HtmlElement | None) -> str | None:
    text = " ".join(element.text_content().split()) if element is not None else ""
    return text or None


def clean_title(candidates: list[str | None], h1: str | None, site_name: str | None) -> str | None:
    """The headline: the page's <h1> when a title candidate contains it, else the first candidate without its
    site-name suffix ("Headline | Site", "Headline - Site")."""
    site = (site_name or "").lower()
    titles = [c for c in candidates if c and c.lower() != site]
    h1 = h1 if h1 and h1.lower() != site else None
    if h1 and any(h1 in c for c in titles):
        return h1
    if not titles:
        return h1
    parts = [p for p in _TITLE_SEPARATORS.split(titles[0]) if p.lower() != site]
    return max(parts, key=len) if parts else titles[0]  # "Site | Section | Headline": the longest part


def publication_date(tree: HtmlElement, url: str | None, today: date) -> date | None:
    """The page's own publication date, if it lies between 1990 and tomorrow."""
    found = find_date(
        tree,
        url=url,
        extensive_search=False,
        original_date=True,
        min_date=EARLIEST_DATE.isoformat(),
        max_date=(today + timedelta(days=1)).isoformat(),
    )
    return date.fromisoformat(found) if found else None


def read_page_meta(tree: HtmlElement, url: str | None) -> PageMeta:
    meta = _meta_tags(tree)
    article = next(_json_ld_articles(tree), {})
    site_name = _first(meta, "site_name") or _name(article.get("publisher"))
    titles = [_name(article.get("headline")), _first(meta, "title"), _text(tree.find(".//title"))]
    canonical = tree.find(".//link[@rel='canonical']")
    keywords = [v for key in _META["keywords"] for v in meta.get(key, [])]
    keywords += [k for k in (article.get("keywords"), article.get("articleSection")) if isinstance(k, str)]
    return PageMeta(
        title=clean_title(titles, _text(tree.find(".//h1")), site_name),
        author=_name(article.get("author")) or _first(meta, "author"),
        site_name=site_name,
        description=_first(meta, "description") or _name(article.get("description")),
        image_url=_name(article.get("image")) or next(iter(meta.get("og:image", meta.get("twitter:image", []))), None),
        canonical_url=canonical.get("href") if canonical is not None else None,
        keywords=keywords,
        published_on=publication_date(tree, url, datetime.now(UTC).date()),
    )
