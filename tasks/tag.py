"""Stage 3, tag: places and countries found in the original text (never the translation), with offsets."""

from __future__ import annotations

from collections import defaultdict

from newsflow.gazetteer import Gazetteer, Place
from newsflow.schema import Article, Entity, Mention
from workers.app import TASK_NAMES, app
from workers.boot import Resources, resources
from workers.stagetask import StageTask

STAGE_VERSION = "1"


def tag_article(article: Article, gazetteer: Gazetteer) -> Article:
    """Places with canonical English names and mention offsets into the body (paragraphs joined by a blank line)."""
    text = "\n\n".join(article.body)
    mentions: dict[Place, list[Mention]] = defaultdict(list)
    for match in gazetteer.find(text):
        mentions[match.place].append(Mention(start=match.start, end=match.end, surface=text[match.start : match.end]))
    ranked = sorted(mentions.items(), key=lambda item: (-len(item[1]), item[1][0].start))
    entities = [
        Entity(type="place", name=place.name, country=place.country, mentions=found, source="gazetteer")
        for place, found in ranked
    ]
    countries = list(dict.fromkeys(place.country for place, _ in ranked))
    return article.model_copy(
        update={"entities": entities, "countries": countries, "keywords": list(article.page_keywords)}
    )


def run(message: dict, res: Resources) -> dict:
    return tag_article(Article.model_validate(message), res.gazetteer).model_dump(mode="json")


@app.task(base=StageTask, bind=True, name=TASK_NAMES["tag"], stage="tag", stage_version=STAGE_VERSION)
def tag(self: StageTask, message: dict) -> dict:
    return run(message, resources())
