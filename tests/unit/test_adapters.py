"""The stage declarations applied directly (no broker): message dict in, message dict out, typed failures."""

import pytest

from newsflow.errors import PermanentError
from newsflow.ids import article_id
from newsflow.publishing import check_complete
from newsflow.schema import Article, IngestedArticle, RawArticle
from newsflow.stages import EXTRACT, PIPELINE
from tests.conftest import EXAMPLES


def test_each_stage_hands_the_next_one_a_valid_message(resources):
    raw = RawArticle(html=(EXAMPLES / "en-rotterdam-port-strike.html").read_text(encoding="utf-8"))
    message = IngestedArticle.from_raw(raw, article_id(raw)).model_dump(mode="json")
    for stage in PIPELINE.until("tag"):
        message = stage.apply(stage.reads.model_validate(message), stage.load(resources)).model_dump(mode="json")
        assert isinstance(message, dict)
    article = check_complete(Article.model_validate(message))
    assert article.translation.status == "passthrough"
    assert {"NL", "BE", "DE"} <= set(article.countries)


def test_a_message_of_the_wrong_shape_is_a_validation_error():
    with pytest.raises(ValueError, match="body_kind"):
        EXTRACT.reads.model_validate({"id": "x", "received_at": "2026-01-01T00:00:00Z"})


def test_publish_refuses_an_article_that_skipped_translate():
    with pytest.raises(PermanentError, match="without a translation block"):
        check_complete(Article(id="x", received_at="2026-01-01T00:00:00Z", body=["b"]))
