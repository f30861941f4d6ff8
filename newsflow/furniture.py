"""Where the story ends and the page furniture begins, in paragraphs of plain text (Arabic and English).

Scrapers flatten a page into paragraphs: the story, then a source line, a tags line, a "read also" block that
carries another story, a "similar articles" list. ``split_furniture`` keeps the story's paragraphs in order as
the body and sets every piece of furniture apart, typed, so nothing is mixed in and nothing is lost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from newsflow.schema import Furniture

_SEP = r"\s*[:：]\s*"
_MARKERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("source", re.compile(rf"^(?:المصدر|مصدر الخبر|Source){_SEP}(?P<value>.+)$", re.IGNORECASE)),
    (
        "tags",
        re.compile(
            rf"^(?:كلمات دلالية|الكلمات الدلالية|الكلمات المفتاحية|الوسوم|وسوم|Tags|Keywords|Topics){_SEP}(?P<value>.+)$",
            re.IGNORECASE,
        ),
    ),
    (
        "read_also",
        re.compile(
            r"^(?:[اإ]قرأ\s+(?:[أا]يض[اًٌ]+|المزيد)|Read (?:also|more)|See also|Also read)\s*[:：]?\s*(?P<value>.*)$",
            re.IGNORECASE,
        ),
    ),
    (
        "related_list",
        re.compile(
            r"^(?:مقالات مشابهة|مقالات ذات صلة|[أا]خبار ذات صلة|[أا]خبار مشابهة|Related (?:articles|stories|news)|More stories|You may also like)\s*[:：]?\s*$",
            re.IGNORECASE,
        ),
    ),
    (
        "other",
        re.compile(
            r"^(?:شارك(?:وا)? (?:الخبر|المقال)|تابعونا|Share this(?: article| story)?|Follow us)\b.*$", re.IGNORECASE
        ),
    ),
)
_BULLET = re.compile(r"^\s*[•·▪●◦\-–*]\s+")
_KEYWORD_SEP = re.compile(r"\s*[,،;؛|#\n]\s*")


@dataclass
class Split:
    body: list[str] = field(default_factory=list)
    furniture: list[Furniture] = field(default_factory=list)

    @property
    def source(self) -> str | None:
        return next((f.items[0] for f in self.furniture if f.kind == "source" and f.items), None)

    @property
    def keywords(self) -> list[str]:
        return [k for f in self.furniture if f.kind == "tags" for k in f.items]


def _match(line: str) -> tuple[str, str] | None:
    for kind, pattern in _MARKERS:
        m = pattern.match(line)
        if m:
            return kind, (m.groupdict().get("value") or "").strip()
    return None


def split_keywords(value: str, page_text: str) -> list[str]:
    """A tags line as keywords. Without separators, adjacent words stay together when the page uses them together."""
    parts = [p for p in _KEYWORD_SEP.split(value) if p]
    if len(parts) > 1:
        return parts
    words = value.split()
    keywords: list[str] = []
    for word in words:
        if keywords and f"{keywords[-1]} {word}" in page_text:
            keywords[-1] = f"{keywords[-1]} {word}"
        else:
            keywords.append(word)
    return keywords


class _Block:
    """An open "read also" or "related" block collecting the paragraphs that follow its header."""

    def __init__(self, kind: str, header: str, title: str) -> None:
        self.kind, self.header, self.title, self.lines = kind, header, title or None, []

    def add(self, line: str) -> None:
        if self.kind == "read_also" and self.title is None:
            self.title = line
        else:
            self.lines.append(_BULLET.sub("", line) if self.kind == "related_list" else line)

    def close(self) -> Furniture:
        if self.kind == "related_list":
            return Furniture(kind="related_list", text=self.header, items=self.lines)
        return Furniture(kind="read_also", text="\n\n".join(self.lines) or self.header, title=self.title)


def split_furniture(paragraphs: list[str]) -> Split:
    """Story paragraphs (in order) and the typed furniture around them."""
    page_text = "\n".join(paragraphs)
    split, block, story_over = Split(), None, False
    for line in (p.strip() for p in paragraphs):
        if not line:
            continue
        marker = _match(line)
        if marker is None:
            if block is not None:
                block.add(line)
            elif story_over:
                split.furniture.append(Furniture(kind="other", text=line))
            else:
                split.body.append(line)
            continue
        kind, value = marker
        if block is not None:
            split.furniture.append(block.close())
            block = None
        if kind in ("read_also", "related_list") and not (kind == "read_also" and value and not story_over):
            block, story_over = _Block(kind, line, value), True
        elif kind == "read_also":  # an inline "read also: <headline>" inside the story: set apart, story goes on
            split.furniture.append(Furniture(kind="read_also", text=line, title=value))
        else:
            items = {"source": [value], "tags": split_keywords(value, page_text.replace(line, ""))}.get(kind, [])
            split.furniture.append(Furniture(kind=kind, text=line, items=items))
            story_over = story_over or kind in ("source", "tags")
    if block is not None:
        split.furniture.append(block.close())
    return split
