from newsflow.ids import article_id, canonical_url, content_digest
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


def test_the_content_digest_ignores_what_text_hygiene_removes_and_markup():
    same = [RawArticle(url="https://example.org/x", title="عنوان", text="كتــاب  جديد\nفي السوق"),
            RawArticle(url="https://example.org/x", title="عنوان ", text="كتاب جديد في\u200b السوق")]  # fmt: skip
    assert content_digest(same[0]) == content_digest(same[1])
    page = "<html><head><style>p {}</style><script>token = {n}</script></head><body><p>The port reopened.</p></body>"
    assert content_digest(RawArticle(html=page.replace("{n}", "1"))) == content_digest(
        RawArticle(html=page.replace("{n}", "2"))
    )


def test_a_changed_title_or_body_is_another_version():
    first = RawArticle(url="https://example.org/x", title="Port reopens", text="The port reopened on Monday.")
    assert content_digest(first) != content_digest(first.model_copy(update={"text": "The port reopened on Tuesday."}))
    assert content_digest(first) != content_digest(first.model_copy(update={"title": "Port reopens after strike"}))
    assert article_id(first) == article_id(first.model_copy(update={"text": "The port reopened on Tuesday."}))
