"""Stage 3, tag: people, organisations and places with canonical names, countries, topics and keywords, all from
the original text (never the translation), so tagging does not depend on translation quality."""

from __future__ import annotations

from collections import Counter

from newsflow.entities import group
from newsflow.keywords import keywords
from newsflow.schema import Article, Topic
from newsflow.tagging import Tagger
from workers.app import TASK_NAMES, app
from workers.boot import Resources, resources
from workers.stagetask import StageTask

STAGE_VERSION = "2"


def _texts(article: Article, limit: int) -> list[tuple[int | None, str]]:
    """The body (paragraphs joined by a blank line), then each story the page carries under "read also", each
    up to ``limit`` characters."""
    carried = [(i, item.text[:limit]) for i, item in enumerate(article.boilerplate) if item.kind == "read_also"]
    return [(None, "\n\n".join(article.body)[:limit]), *carried]


def tag_article(article: Article, tagger: Tagger) -> Article:
    found, countries = [], Counter()
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


def run(message: dict, res: Resources) -> dict:
    return tag_article(Article.model_validate(message), res.tagger).model_dump(mode="json")


@app.task(base=StageTask, bind=True, name=TASK_NAMES["tag"], stage="tag", stage_version=STAGE_VERSION)
def tag(self: StageTask, message: dict) -> dict:
    return run(message, resources())
