"""The publish stage: a record that went through every stage goes onto the output stream (newsflow/state/output.py)."""

from __future__ import annotations

from newsflow.errors import PermanentError
from newsflow.schema import Article
from newsflow.state.output import Publisher


def check_complete(article: Article) -> Article:
    """Publish only records that went through every stage."""
    if article.translation is None:
        raise PermanentError("the article reached publish without a translation block")
    return article


def publish(article: Article, publisher: Publisher) -> str:
    """The record onto the output stream; the entry id (the earlier one when this version was published)."""
    return publisher.publish(article)[1]
