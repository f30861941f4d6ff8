"""Page metadata: JSON-LD, meta tags, canonical links, and the headline without the site's name."""

from datetime import date

import pytest
from trafilatura.utils import load_html

from newsflow.extraction.html_meta import clean_title, publication_date, read_page_meta


@pytest.mark.parametrize(
    ("candidates", "h1", "site", "title"),
    [
        (["Port strike ends | Harbour Ledger"], None, "Harbour Ledger", "Port strike ends"),
        (["Harbour Ledger - Shipping - Port strike ends after a week"], None, None, "Port strike ends after a week"),
        (
            ["Harbour Ledger", "Port strike ends - Harbour Ledger"],
            "Port strike ends",
            "Harbour Ledger",
            "Port strike ends",
        ),
        (["Port strike ends"], "Harbour Ledger", "Harbour Ledger", "Port strike ends"),
        ([None, None], "Only an h1", None, "Only an h1"),
    ],
)
def test_clean_title(candidates, h1, site, title):
    assert clean_title(candidates, h1, site) == title


def test_json_ld_in_a_graph_and_escaped_meta():
    tree = load_html(
        """<html><head><meta property="og:title" content="Rates &#8211; what next?">
        <meta name="keywords" content="rates, banks"><link rel="canonical" href="https://x.example/a">
        <script type="application/ld+json">{"@graph": [{"@type": "WebSite", "name": "X"},
          {"@type": ["NewsArticle"], "headline": "Rates – what next?", "datePublished": "2024-03-01",
           "author": [{"name": "A. Writer"}], "publisher": {"name": "X News"}, "image": {"url": "https://x.example/i.jpg"}}]}
        </script></head><body><h1>Rates – what next?</h1><p>Text.</p></body></html>"""
    )
    meta = read_page_meta(tree, None)
    assert (meta.title, meta.author, meta.site_name) == ("Rates – what next?", "A. Writer", "X News")
    assert (meta.image_url, meta.canonical_url) == ("https://x.example/i.jpg", "https://x.example/a")
    assert meta.keywords == ["rates, banks"] and meta.published_on == date(2024, 3, 1)


def test_broken_json_ld_is_ignored():
    tree = load_html(
        '<html><head><script type="application/ld+json">{not json</script><title>T</title></head><body/></html>'
    )
    assert read_page_meta(tree, None).title == "T"


def test_dates_outside_the_plausible_range_are_not_found():
    tree = load_html('<html><head><meta property="article:published_time" content="2031-01-01"></head><body/></html>')
    assert publication_date(tree, None, today=date(2026, 11, 30)) is None
