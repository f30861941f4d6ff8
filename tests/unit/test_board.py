"""The story board's page (workers/api/board.py), rendered from stories alone."""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import UTC, datetime

from newsflow.schema import Story, StoryMember
from workers.api.board import HEADERS, render_board

AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
ARABIC_TITLE = "اتفاق جديد لتصدير الغاز من عمّان"


def member(n: int, **fields: object) -> StoryMember:
    defaults: dict[str, object] = {"id": f"{n:032x}", "title": f"Article {n}", "language": "en", "source": "Wire",
                                   "url": f"https://news.example/{n}", "joined_at": AT}  # fmt: skip
    return StoryMember.model_validate(defaults | fields)


def story(*members: StoryMember, **fields: object) -> Story:
    defaults: dict[str, object] = {"id": "a1b2c3d4e5f60718", "title": "Gas deal signed", "size": len(members),
                                   "languages": ["en", "ar"], "sources": ["Wire"], "countries": ["JO"],
                                   "first_seen": AT, "last_seen": AT, "members": list(members)}  # fmt: skip
    return Story.model_validate(defaults | fields)


def test_markup_in_titles_names_and_sources_comes_out_escaped():
    hostile = member(1, title="<script>alert(1)</script>", names=['<img src=x onerror="alert(2)">'],
                     source="<b>Wire</b>", duplicate_of='"><i>')  # fmt: skip
    page = render_board([story(hostile, title="<script>alert(3)</script>", countries=["<u>"])])
    body = page.split("</style>", 1)[1]
    assert "<script" not in page and "<img" not in body and "<b>" not in body and "<i>" not in body, body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body and "&lt;script&gt;alert(3)&lt;/script&gt;" in body
    assert "&lt;img src=x onerror=&quot;alert(2)&quot;&gt;" in body
    assert "copy of &quot;&gt;&lt;i&gt;" in body


def test_only_http_links_become_links():
    page = render_board([story(member(1, url="javascript:alert(1)"), member(2, url="https://news.example/2"))])
    assert "javascript:" not in page
    assert '<a href="https://news.example/2" rel="noopener noreferrer">Article 2</a>' in page


def test_arabic_titles_read_right_to_left_beside_english_ones():
    page = render_board([story(member(1, title=ARABIC_TITLE, language="ar", source="وكالة الأنباء"), member(2))])
    assert re.search(rf'<p class="title" dir="auto" lang="ar"><a [^>]+>{ARABIC_TITLE}</a></p>', page), page
    assert '<span class="source" dir="auto">وكالة الأنباء</span>' in page
    assert '<p class="title" dir="auto" lang="en">' in page
    assert '<h2 dir="auto">Gas deal signed</h2>' in page


def test_a_copy_shows_what_it_copies_with_its_names_and_time():
    original, copy = member(1, names=["Amman", "Jordan"]), member(2, duplicate_of=f"{1:032x}")
    page = render_board([story(copy, original)])
    assert page.count('class="copy"') == 1 and f"copy of {1:032x}" in page
    assert '<ul class="names"><li dir="auto">Amman</li><li dir="auto">Jordan</li></ul>' in page
    assert '<time datetime="2026-03-02T09:30:00+00:00">2026-03-02 09:30 UTC</time>' in page
    assert page.index("Article 2") < page.index("Article 1"), "members keep their order, newest first"


def test_no_stories_is_said_and_the_page_fetches_nothing():
    page = render_board([])
    assert "No live stories." in page and "<script" not in page
    assert not re.search(r"(src|href)=|@import|url\(", page), "the page must not fetch anything"


def test_the_content_security_policy_allows_the_inline_style_and_nothing_else():
    (style,) = re.findall(r"<style>(.*?)</style>", render_board([]), re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    policy = HEADERS["Content-Security-Policy"]
    assert f"style-src 'sha256-{digest}'" in policy, "the page's style must match the hash the policy allows"
    assert policy.startswith("default-src 'none';") and "script-src" not in policy
