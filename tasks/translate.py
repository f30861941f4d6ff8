"""Stage 2, translate: the article's title and body into the target language, or an explicit reason why not."""

from __future__ import annotations

from newsflow.schema import Article, Translation
from newsflow.translation import Translator
from workers.app import TASK_NAMES, app
from workers.boot import Resources, resources
from workers.stagetask import StageTask

STAGE_VERSION = "1"


def translate_article(article: Article, translator: Translator | None, target: str) -> Article:
    """The article with its translation block filled in."""
    if article.language == target:
        block = Translation(
            status="passthrough", quality="original", target_language=target, title=article.title, body=article.body
        )
    elif article.language is None:
        block = Translation(
            status="untranslated", quality="none", target_language=target, reason="source language unknown"
        )
    elif translator is None:
        reason = "no translation backend configured (NEWSFLOW_TRANSLATE_BACKEND=none)"
        block = Translation(status="untranslated", quality="none", target_language=target, reason=reason)
    else:
        texts = [article.title or "", *article.body]
        out = translator.translate(texts, article.language, target)
        block = Translation(
            status="translated",
            quality=translator.quality,
            target_language=target,
            backend=translator.name,
            model=translator.model,
            title=out[0] if article.title else None,
            body=out[1:],
        )
    return article.model_copy(update={"translation": block})


def run(message: dict, res: Resources) -> dict:
    article = Article.model_validate(message)
    return translate_article(article, res.translator, res.settings.target_language).model_dump(mode="json")


@app.task(base=StageTask, bind=True, name=TASK_NAMES["translate"], stage="translate", stage_version=STAGE_VERSION)
def translate(self: StageTask, message: dict) -> dict:
    return run(message, resources())
