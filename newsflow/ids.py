"""Deterministic article ids: the canonical URL when there is one, else a hash of the normalised content."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from newsflow.schema import RawArticle

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
