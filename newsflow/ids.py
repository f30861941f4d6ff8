"""Deterministic article ids (the canonical URL when there is one, else a hash of the normalised content) and the
content digest that tells one version of a story from the next under the same id."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import lxml.html
from lxml import etree

from newsflow.schema import RawArticle
from newsflow.text import clean_text

_TRACKING_PARAM = re.compile(r"^(utm_\w+|fbclid|gclid|mc_cid|mc_eid|ocid|cmpid|ref|ref_src)$", re.IGNORECASE)
_SPACE = re.compile(r"\s+")


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, no default port, fragment or tracking parameters, sorted query, no trailing slash."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    port = parts.port
    if port and not ((parts.scheme == "http" and port == 80) or (parts.scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    query = urlencode(
        sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING_PARAM.match(k))
    )
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((parts.scheme.lower(), host, path, query, ""))


def article_id(raw: RawArticle) -> str:
    """32 hex characters; the same article always gets the same id."""
    if raw.url is not None:
        basis = "url:" + canonical_url(str(raw.url))
    else:
        basis = "content:" + _SPACE.sub(" ", unicodedata.normalize("NFC", raw.body)).strip()
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()[:32]


def content_digest(raw: RawArticle) -> str:
    """16 hex characters naming what the article says: its title and its body's text after text hygiene (NFC,
    entities decoded, tatweel and invisible characters gone, whitespace collapsed). For HTML, the page's visible
    text: markup, scripts and styles are not content, so the same page fetched twice is the same version."""
    body = raw.text if raw.text is not None else _visible_text(raw.html or "")
    basis = "\n".join(" ".join(clean_text(part, entities=True).split()) for part in (raw.title or "", body))
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()[:16]


def _visible_text(html: str) -> str:
    try:
        tree = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):  # nothing a parser can read: the markup itself is the content
        return html
    etree.strip_elements(tree, "script", "style", "noscript", etree.Comment, with_tail=False)
    return etree.tostring(tree, method="text", encoding="unicode")
