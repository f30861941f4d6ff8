"""Where the story ends and the page furniture begins, in paragraphs of text (from a scraper or from HTML).

Scrapers flatten a page into paragraphs: the story, then a source line, a tags line, a "read also" block that
carries another story, a "similar articles" list. ``split_furniture`` keeps the story's paragraphs in order as
the body and sets every piece of furniture apart, typed, so nothing is mixed in and nothing is lost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from newsflow.extraction.furniture_markers import MARKERS
from newsflow.schema import Furniture

_BULLET = re.compile(r"^\s*[•·▪●◦\-–*]\s+")
_ITEM_MAX_CHARS = 160  # a related-list line longer than this is a paragraph, not a headline
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
    for kind, pattern in MARKERS:
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
    """The lines after a header-only "read also" or "related" line that belong to it."""

    def __init__(self, kind: str, header: str, story_over: bool) -> None:
        self.kind, self.header = kind, header
        self.title: str | None = None
        self.lines: list[str] = []
        # At the end of a page a "read also" header carries a whole story; inside the story, one headline.
        self.carries_story = kind == "read_also" and story_over

    def accepts(self, line: str) -> bool:
        if self.kind == "related_list":
            return bool(_BULLET.match(line)) or len(line) <= _ITEM_MAX_CHARS
        return self.carries_story or self.title is None

    def add(self, line: str) -> None:
        if self.kind == "related_list":
            self.lines.append(_BULLET.sub("", line))
        elif self.title is None:
            self.title = line
        else:
            self.lines.append(line)

    def close(self) -> Furniture:
        if self.kind == "related_list":
            return Furniture(kind="related_list", text=self.header, items=self.lines)
        return Furniture(kind="read_also", text="\n\n".join(self.lines) or self.header, title=self.title)


def split_furniture(paragraphs: list[str], page_end: bool = True) -> Split:
    """Story paragraphs (in order) and the typed furniture around them.

    With ``page_end`` (scraped text, which runs on to the page's end), a source or tags line ends the story and
    what follows is furniture. Without it (text an HTML extractor already cut to the main content), every line
    is judged alone. Other furniture lines (an inline "read also: <headline>", share, subscribe, advert,
    credit, copyright) are set apart and the story goes on.
    """
    lines = [p.strip() for p in paragraphs if p.strip()]
    page_text = "\n".join(lines)
    split, block, story_over = Split(), None, False
    for line in lines:
        marker = _match(line)
        if block is not None and marker is None and block.accepts(line):
            block.add(line)
            continue
        if block is not None:
            split.furniture.append(block.close())
            block = None
        if marker is None:
            if story_over:
                split.furniture.append(Furniture(kind="other", text=line))
            else:
                split.body.append(line)
            continue
        kind, value = marker
        if kind in ("read_also", "related_list") and not value:
            block = _Block(kind, line, story_over)
        elif kind == "read_also":
            split.furniture.append(Furniture(kind="read_also", text=line, title=value))
        else:
            items = {"source": [value], "tags": split_keywords(value, page_text.replace(line, ""))}.get(kind, [])
            split.furniture.append(Furniture(kind=kind, text=line, items=items))
            story_over = story_over or (page_end and kind in ("source", "tags"))
    if block is not None:
        split.furniture.append(block.close())
    return split
