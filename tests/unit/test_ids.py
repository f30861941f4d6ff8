from newsflow.ids import article_id, canonical_url
from newsflow.schema import RawArticle


def test_canonical_url_drops_what_does_not_name_the_page():
    assert (
        canonical_url("HTTPS://News.Example.org:443/world/story/?utm_source=rss&b=2&a=1#comments")
        == "https://news.example.org/world/story?a=1&b=2"
    )


def test_same_article_same_id_whatever_the_tracking():
    a = RawArticle(url="https://example.org/x?utm_medium=feed", text="one")
    b = RawArticle(url="https://example.org/x/", text="a different scrape of the same page")
    assert article_id(a) == article_id(b)
    assert len(article_id(a)) == 32


def test_without_url_the_content_decides():
    assert article_id(RawArticle(text="خبر  عاجل\n")) == article_id(RawArticle(text="خبر عاجل"))
    assert article_id(RawArticle(text="خبر عاجل")) != article_id(RawArticle(text="خبر آخر"))
