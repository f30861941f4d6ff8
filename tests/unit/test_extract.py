"""extract_article on pages written for the tests, the project's examples and edge cases, with no Redis."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newsflow.errors import EmptyExtraction, InputTooLarge
from newsflow.extraction.stage import Limits, extract_article
from newsflow.schema import IngestedArticle
from tests.conftest import EXAMPLES

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
RECEIVED = datetime(2026, 1, 1, tzinfo=UTC)
LIMITS = Limits(max_input_bytes=1_000_000, max_html_elements=5000, max_html_depth=100, min_body_chars=80)
STORY = "<p>" + "The council met on Monday and approved the new budget for schools and roads. " * 3 + "</p>"


def extract(body, resources, kind="html", limits=LIMITS, **fields):
    job = IngestedArticle(id="t", received_at=RECEIVED, body_kind=kind, body=body, **fields)
    return extract_article(job, body, resources.language, limits)


def page(name):
    return (FIXTURES / name).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def festival(resources):
    return extract(page("ar-port-said-festival.html"), resources, url="https://sahel.example/ar/x?utm_source=rss")


def test_arabic_html_metadata(festival):
    assert festival.title == "انطلاق مهرجان بورسعيد للفنون الشعبية بمشاركة ١٢ دولة", "digits are kept as written"
    assert festival.author == "سلمى عبد الرحمن"
    assert festival.source == "جريدة الساحل"
    assert festival.description.startswith("انطلقت فعاليات مهرجان بورسعيد")
    assert festival.image_url == "https://sahel.example/img/festival.jpg"
    assert festival.url == "https://sahel.example/ar/culture/port-said-festival", "the page's canonical link wins"
    assert festival.page_keywords == ["مهرجانات", "فنون شعبية", "بورسعيد"]
    assert (festival.published_at.date().isoformat(), festival.published_at_source) == ("2026-07-09", "page")


def test_arabic_html_body_and_furniture(festival):
    assert len(festival.body) == 4, festival.body
    assert festival.body[0].startswith("انطلقت مساء الخميس") and "كبير على" in festival.body[0], "tatweel removed"
    assert '"تشجيعاً للأسر على المشاركة"' in festival.body[1], "HTML entities decoded"
    kinds = [f.kind for f in festival.boilerplate]
    assert kinds == ["read_also", "share", "advert", "copyright"], kinds
    assert festival.boilerplate[0].title == "الإسماعيلية تستعد لاستضافة مهرجان الفنون الشعبية العام المقبل"


def test_mixed_language_page_is_flagged(festival):
    assert (festival.language, festival.title_language) == ("ar", "ar")
    assert festival.mixed_language and festival.languages["en"] >= 0.2 and festival.languages["ar"] > 0.5


def test_arabic_plain_text_page(resources):
    article = extract(page("ar-tunisia-desalination.txt"), resources, kind="text")
    assert article.title == "تونس تطلق برنامجاً لتحلية مياه البحر في الجنوب"
    assert len(article.body) == 3 and not article.mixed_language
    assert "برنامج وطني" in article.body[0] and "مليون ساكن" in article.body[0], "bidi, zero-width and tatweel removed"
    assert "٤٠٠" in article.body[0]
    assert article.source == "وكالة تونس أفريقيا للأنباء"
    assert article.page_keywords == ["تونس", "المياه", "تحلية"]
    assert [f.kind for f in article.boilerplate] == ["source", "tags", "share", "related_list"]
    assert article.boilerplate[-1].items == [
        "الجزائر تفتتح أكبر محطة تحلية في البلاد",
        "المغرب: مخزون السدود عند أدنى مستوى منذ عقد",
    ]


def test_english_html_example_prefers_the_feed_timestamp(resources):
    feed_time = datetime(2026, 5, 18, 7, 45, tzinfo=UTC)
    html = (EXAMPLES / "en-rotterdam-port-strike.html").read_text(encoding="utf-8")
    article = extract(html, resources, published_at=feed_time, url="https://harbour.example/rotterdam")
    assert (article.published_at, article.published_at_source) == (feed_time, "feed")
    assert article.language == "en" and article.author == "Marta Visser"
    assert article.title == "Rotterdam dock workers end week-long strike after pay deal"
    assert not any("cookies" in p or "newsletter" in p for p in article.body)


@pytest.mark.parametrize("feed_time", [datetime(1989, 12, 31, tzinfo=UTC), datetime.now(UTC) + timedelta(days=30)])
def test_implausible_feed_dates_give_way_to_the_page(resources, feed_time):
    html = (
        f'<html><head><meta property="article:published_time" content="2025-02-03"></head><body>{STORY}</body></html>'
    )
    article = extract(html, resources, published_at=feed_time)
    assert (article.published_at.date().isoformat(), article.published_at_source) == ("2025-02-03", "page")


@pytest.mark.parametrize("page_date", ["1987-06-01", (datetime.now(UTC) + timedelta(days=40)).date().isoformat()])
def test_implausible_page_dates_are_dropped(resources, page_date):
    html = (
        f'<html><head><meta property="article:published_time" content="{page_date}"></head><body>{STORY}</body></html>'
    )
    article = extract(html, resources)
    assert (article.published_at, article.published_at_source) == (None, None)


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


def test_too_many_elements_is_refused_before_extraction(resources):
    bomb = "<html><body>" + "<p>x</p>" * 6000 + STORY + "</body></html>"
    with pytest.raises(InputTooLarge, match="6,00[0-9] elements; the limit is 5,000"):
        extract(bomb, resources)


def test_too_deep_is_refused(resources):
    bomb = "<html><body>" + "<div>" * 150 + STORY + "</div>" * 150 + "</body></html>"
    with pytest.raises(InputTooLarge, match="nested more than 100 levels deep"):
        extract(bomb, resources)


def test_too_many_bytes_is_refused(resources):
    small = Limits(max_input_bytes=2000, max_html_elements=5000, max_html_depth=100, min_body_chars=80)
    with pytest.raises(InputTooLarge, match="over 2,000 bytes"):
        extract("ب" * 1500, resources, kind="text", limits=small)  # 1,500 characters, 3,000 bytes


def test_nfc_normalisation(resources):
    decomposed = (
        "Cafe\u0301 owners in Lyon protested on Tuesday against the new tax on terraces, saying it would close many."
    )
    article = extract(decomposed, resources, kind="text")
    assert article.body[0].startswith("Caf\u00e9 owners")
