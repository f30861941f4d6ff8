"""The story board: live stories and their articles in every language, as one page rendered on the server.

No JavaScript and nothing fetched from elsewhere: the gateway serves the page with a Content-Security-Policy that
allows its own inline style and nothing else. Every value from Redis is escaped; an article's link is kept only for
an http(s) URL. Text elements carry dir="auto", so an Arabic headline reads right to left among English ones.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime
from html import escape
from urllib.parse import urlsplit

from newsflow.schema import Story, StoryMember
from newsflow.state.stories import StoryIndex

BOARD_STORIES = 60

STYLE = """
body{margin:0;font:15px/1.45 system-ui,"DejaVu Sans",sans-serif;color:#1d232a;background:#f3f4f6}
header{padding:14px 24px;background:#1d3557;color:#fff}
header h1{margin:0;font-size:20px}
header p{margin:2px 0 0;opacity:.8;font-size:13px}
main{max-width:1100px;margin:0 auto;padding:16px 24px}
.story{background:#fff;border:1px solid #d8dde3;border-radius:6px;margin:0 0 16px;padding:12px 16px}
.story h2{margin:0 0 6px;font-size:18px}
.facts{display:flex;flex-wrap:wrap;gap:4px 18px;margin:0 0 8px;font-size:13px;color:#4a5560}
.facts dt{display:inline;font-weight:600}
.facts dd{display:inline;margin:0 0 0 4px}
.members{list-style:none;margin:0;padding:0}
.member{border-top:1px solid #eceff2;padding:6px 0}
.meta{display:flex;flex-wrap:wrap;align-items:baseline;gap:0 8px;margin:0;font-size:12px;color:#5b6670}
.language{display:inline-block;min-width:22px;padding:0 4px;border-radius:3px;background:#e1e8f0;
  color:#1d3557;font-weight:600;text-align:center;text-transform:uppercase}
.copy{padding:0 4px;border-radius:3px;background:#fde8c8;color:#7a4a00}
.title{margin:2px 0}
.title a{color:#0b4f9c;text-decoration:none}
.names{display:flex;flex-wrap:wrap;gap:4px;list-style:none;margin:2px 0 0;padding:0;font-size:12px}
.names li{padding:0 6px;border-radius:9px;background:#eef1f4;color:#3b4650}
.empty{color:#5b6670}
"""

# The sha256 of the one inline style: a stray <style> or style="" (were escaping ever to fail) does not apply.
_STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
HEADERS = {
    "Content-Security-Policy": f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


def read_board(index: StoryIndex) -> str:
    """The page for the latest live stories, read from Redis."""
    found = (index.get(summary.id) for summary in index.live(limit=BOARD_STORIES))
    return render_board([story for story in found if story is not None])


def render_board(stories: list[Story]) -> str:
    """The board's page for ``stories`` (newest first, each with its members), every value escaped."""
    body = "\n".join(_story(story) for story in stories) or '<p class="empty">No live stories.</p>'
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>newsflow stories</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        f"<header><h1>Live stories</h1><p>{len(stories)} stories, the latest first</p></header>\n"
        f"<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _time(moment: datetime) -> str:
    utc = moment.astimezone(UTC)
    return f'<time datetime="{_e(utc.isoformat())}">{utc:%Y-%m-%d %H:%M} UTC</time>'


def _joined(values: Iterable[str]) -> str:
    """Each value in a direction of its own: an Arabic source does not reorder its English neighbours."""
    return ", ".join(f'<span dir="auto">{_e(value)}</span>' for value in values)


def _names(names: Iterable[str]) -> str:
    items = "".join(f'<li dir="auto">{_e(name)}</li>' for name in names)
    return f'<ul class="names">{items}</ul>' if items else ""


def _story(story: Story) -> str:
    facts = [("articles", _e(story.size)), ("languages", _joined(story.languages)),
             ("sources", _joined(story.sources)), ("countries", _joined(story.countries)),
             ("first seen", _time(story.first_seen)), ("last seen", _time(story.last_seen))]  # fmt: skip
    listed = "".join(f"<div><dt>{label}</dt><dd>{value or '-'}</dd></div>" for label, value in facts)
    members = "".join(_member(member) for member in story.members)
    return (
        f'<section class="story" id="story-{_e(story.id)}">\n<h2 dir="auto">{_e(story.title or "(untitled)")}</h2>\n'
        f'<dl class="facts">{listed}</dl>\n<ol class="members">{members}</ol>\n</section>'
    )


def _web(url: str | None) -> bool:
    """Only http(s) links: a javascript: or data: URL in a record never becomes a link."""
    try:
        return url is not None and urlsplit(url).scheme in ("http", "https")
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return False


def _member(member: StoryMember) -> str:
    lang = f' lang="{_e(member.language)}"' if member.language else ""
    title = _e(member.title or "(untitled)")
    if _web(member.url):
        title = f'<a href="{_e(member.url)}" rel="noopener noreferrer">{title}</a>'
    copy = f'<span class="copy">copy of {_e(member.duplicate_of)}</span>' if member.duplicate_of else ""
    return (
        f'<li class="member"><p class="meta"><span class="language">{_e(member.language or "?")}</span>'
        f'<span class="source" dir="auto">{_e(member.source or "unknown source")}</span>'
        f"{_time(member.joined_at)}{copy}</p>\n"
        f'<p class="title" dir="auto"{lang}>{title}</p>{_names(member.names)}</li>\n'
    )
