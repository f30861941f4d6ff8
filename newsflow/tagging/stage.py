"""The tag stage: people, organisations and places with canonical names, countries, topics and keywords, all from
the original text (never the translation), so tagging does not depend on translation quality."""

from __future__ import annotations

from collections import Counter

from newsflow.schema import Article, Topic
from newsflow.tagging.entities import Span, group
from newsflow.tagging.keywords import keywords
from newsflow.tagging.tagger import Tagger


def _texts(article: Article, limit: int) -> list[tuple[int | None, str]]:
    """The body (paragraphs joined by a blank line), then each story the page carries under "read also", each
    up to ``limit`` characters."""
    carried = [(i, item.text[:limit]) for i, item in enumerate(article.boilerplate) if item.kind == "read_also"]
    return [(None, "\n\n".join(article.body)[:limit]), *carried]


def tag_article(article: Article, tagger: Tagger) -> Article:
    """People, organisations, places, countries, topics and keywords of the body and of each carried story."""
    found: list[tuple[int | None, str, Span]] = []
    countries: Counter[str] = Counter()
    texts = _texts(article, tagger.max_chars)
    for part, text in texts:
        spans, nationalities = tagger.read(text, article.language)
        found += [(part, text, span) for span in spans]
        countries.update(span.country for span in spans if span.type == "place" and span.country)
        countries.update(nationalities)
    topics = [
        Topic(code=t.code, label=t.label, score=t.score) for t in tagger.topics.classify(article.title, article.body)
    ]
    return article.model_copy(update={
        "entities": group(found),
        "countries": [code for code, _ in countries.most_common()],
        "topics": topics,
        "keywords": keywords(texts[0][1].split("\n\n"), article.language, article.page_keywords),
    })  # fmt: skip
