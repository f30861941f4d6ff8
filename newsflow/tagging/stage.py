"""The tag stage: people, organisations and places with canonical names, countries, topics and keywords, all from
the original text (never the translation), so tagging does not depend on translation quality."""

from __future__ import annotations

from collections import Counter

from newsflow.schema import Article, Entity, Topic
from newsflow.tagging.entities import group
from newsflow.tagging.keywords import keywords
from newsflow.tagging.tagger import Tagger


def _tags(tagger: Tagger, text: str, language: str | None, part: int | None) -> tuple[list[Entity], list[str]]:
    """The entities of one text, and its countries (from places and nationality adjectives), most mentioned first."""
    spans, nationalities = tagger.read(text, language)
    countries = Counter(span.country for span in spans if span.type == "place" and span.country)
    countries.update(nationalities)
    return group([(part, text, span) for span in spans]), [code for code, _ in countries.most_common()]


def tag_article(article: Article, tagger: Tagger) -> Article:
    """People, organisations, places, countries, topics and keywords of the body; each story the page carries under
    "read also" gets its own entities and countries, on its boilerplate item. Each text is read up to the tagger's
    ``max_chars``."""
    limit = tagger.max_chars
    body = "\n\n".join(article.body)[:limit]
    entities, countries = _tags(tagger, body, article.language, None)
    boilerplate = []
    for i, item in enumerate(article.boilerplate):
        if item.kind == "read_also":
            carried, carried_countries = _tags(tagger, item.text[:limit], article.language, i)
            item = item.model_copy(update={"entities": carried, "countries": carried_countries})
        boilerplate.append(item)
    topics = [
        Topic(code=t.code, label=t.label, score=t.score) for t in tagger.topics.classify(article.title, article.body)
    ]
    return article.model_copy(update={
        "entities": entities,
        "countries": countries,
        "boilerplate": boilerplate,
        "topics": topics,
        "keywords": keywords(body.split("\n\n"), article.language, article.page_keywords),
    })  # fmt: skip
