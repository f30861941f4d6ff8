"""extract_article on the project's own example pages and on edge cases, with no Redis."""

from datetime import UTC, datetime

import pytest

from newsflow.errors import EmptyExtraction
from newsflow.schema import IngestedArticle
from tasks.extract import extract_article
from tests.conftest import EXAMPLES

RECEIVED = datetime(2026, 1, 1, tzinfo=UTC)


def job(body: str, kind: str = "html", **fields) -> IngestedArticle:
    return IngestedArticle(id="t", received_at=RECEIVED, body_kind=kind, body=body, **fields)


def extract(body, resources, kind="html", **fields):
    return extract_article(job(body, kind, **fields), body, resources.language, min_body_chars=80)


def test_arabic_html_page(resources):
    article = extract((EXAMPLES / "ar-aqaba-desalination.html").read_text(encoding="utf-8"), resources)
    assert article.title == "الأردن يفتتح محطة لتحلية المياه في العقبة"
    assert article.language == "ar" and article.language_confidence > 0.9
    assert article.published_at.date().isoformat() == "2026-03-14"
    assert article.source == "أخبار الصحراء"
    assert article.page_keywords == ["الأردن", "المياه", "العقبة", "الطاقة"]
    assert len(article.body) == 5 and article.body[0].startswith("افتتحت الحكومة الأردنية")
    assert [f.kind for f in article.boilerplate] == ["read_also"]
    assert not any("جميع الحقوق" in p or "الرئيسية" in p for p in article.body), "footer or navigation leaked"


def test_english_html_page_prefers_the_feed_timestamp(resources):
    feed_time = datetime(2026, 5, 18, 7, 45, tzinfo=UTC)
    html = (EXAMPLES / "en-rotterdam-port-strike.html").read_text(encoding="utf-8")
    article = extract(html, resources, published_at=feed_time, url="https://harbour.example/rotterdam")
    assert article.published_at == feed_time
    assert article.language == "en"
    assert article.url == "https://harbour.example/rotterdam"
    assert article.title.startswith("Rotterdam dock workers end week-long strike")
    assert not any("cookies" in p or "newsletter" in p for p in article.body)


def test_plain_text_with_a_title_line(resources):
    text = (EXAMPLES / "ar-beirut-rainfall.txt").read_text(encoding="utf-8")
    article = extract(text, resources, kind="text")
    assert article.title == "بيروت تسجل أعلى معدل لهطول الأمطار منذ عشر سنوات"
    assert article.source == "وكالة أنباء الساحل"
    assert article.page_keywords == ["لبنان", "الطقس", "أمطار", "بيروت"]
    assert len(article.body) == 4
    assert [f.kind for f in article.boilerplate] == ["source", "tags", "other", "read_also", "related_list"]


def test_the_shared_page(resources, shared_page):
    article = extract(shared_page.read_text(encoding="utf-8"), resources, kind="text")
    assert (article.language, article.source, article.title) == ("ar", "CNN Arabic", None)
    assert article.page_keywords == ["حركة حماس", "غزة"]
    assert len(article.body) == 5


@pytest.mark.parametrize(
    "html", ["<html><body></body></html>", "<html><body><p>Too short.</p></body></html>", "<<<>>>"]
)
def test_empty_or_tiny_html_is_a_typed_failure(resources, html):
    with pytest.raises(EmptyExtraction):
        extract(html, resources)


def test_nfc_normalisation(resources):
    decomposed = (
        "Cafe\u0301 owners in Lyon protested on Tuesday against the new tax on terraces, saying it would close many."
    )
    article = extract(decomposed, resources, kind="text")
    assert article.body[0].startswith("Caf\u00e9 owners")
