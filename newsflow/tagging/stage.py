"""The tag stage: people, organisations and places with canonical names, countries, topics and keywords, all from
the original text (never the translation), so tagging does not depend on translation quality."""

from __future__ import annotations

from collections import Counter

from newsflow.schema import Article, Entity, Topic
from newsflow.tagging.encoder import Encoding, pooled
from newsflow.tagging.entities import group
from newsflow.tagging.keywords import keywords
from newsflow.tagging.tagger import Tagger
from newsflow.vectors import vector_text


def _tags(tagger: Tagger, text: str, encoding: Encoding, language: str | None,
          part: int | None) -> tuple[list[Entity], list[str]]:  # fmt: skip
    """The entities of one text, and its countries (from places and nationality adjectives), most mentioned first."""
    spans, nationalities = tagger.read(text, language, encoding)
    countries = Counter(span.country for span in spans if span.type == "place" and span.country)
    countries.update(nationalities)
    return group([(part, text, span) for span in spans]), [code for code, _ in countries.most_common()]


def tag_article(article: Article, tagger: Tagger) -> Article:
    """People, organisations, places, countries, topics and keywords of the body; each story the page carries under
    "read also" gets its own entities and countries, on its boilerplate item. Each text is read up to the tagger's
    ``max_chars``. The encoder reads the title, the body and the "read also" items in one batch; topics come from
    the title's and body's pooled states, which are also the article's vector (for the cluster stage)."""
    limit = tagger.max_chars
    body = "\n\n".join(article.body)[:limit]
    carried = {i: item.text[:limit] for i, item in enumerate(article.boilerplate) if item.kind == "read_also"}
    title, read, *items = tagger.encoder.encode([article.title or "", body, *carried.values()])
    entities, countries = _tags(tagger, body, read, article.language, None)
    boilerplate = list(article.boilerplate)
    for (i, text), encoding in zip(carried.items(), items, strict=True):
        found, found_countries = _tags(tagger, text, encoding, article.language, i)
        boilerplate[i] = boilerplate[i].model_copy(update={"entities": found, "countries": found_countries})
    vector = pooled(title, read)
    topics = tagger.topics.classify(vector)
    return article.model_copy(update={
        "entities": entities,
        "countries": countries,
        "boilerplate": boilerplate,
        "topics": [Topic(code=t.code, label=t.label, score=t.score) for t in topics],
        "keywords": keywords(body.split("\n\n"), article.language, article.page_keywords),
        "embedding": vector_text(vector) if vector is not None else None,
    })  # fmt: skip
