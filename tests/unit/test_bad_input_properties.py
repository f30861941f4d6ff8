"""Property-based: whatever arrives at a door, the answer is a typed error or a valid record, never a crash.

The integration counterpart (garbage sent straight to the stage queues of real workers) is in
tests/integration/test_reliability.py.
"""

import contextlib
from datetime import UTC, datetime

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsflow.errors import InvalidSubmission, NewsflowError
from newsflow.extraction.stage import Limits, extract_article
from newsflow.schema import Article, IngestedArticle, RawArticle
from newsflow.state.ingest import parse_article, parse_submission
from newsflow.tagging.stage import tag_article
from newsflow.text import decode_bytes
from newsflow.translation.stage import translate_article

ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=300)  # lone surrogates included
HTMLISH = st.lists(
    st.sampled_from(["<p>", "</p>", "<div>", "</div>", "<script>", "<!--", "&amp;", "&#0;", "<![CDATA[", "\x00",
                     "<html>", "<body>", "<meta charset='x-unknown'>", "اقرأ أيضاً:", "Source: X", "©", "\u202e"])
    | ANY_TEXT,
    max_size=60,
).map("".join)  # fmt: skip
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | ANY_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(ANY_TEXT, inner, max_size=4),
    max_leaves=12,
)
FIELDS = st.fixed_dictionaries(
    {},
    optional={"url": ANY_TEXT, "html": HTMLISH, "text": ANY_TEXT, "title": ANY_TEXT, "published_at": ANY_TEXT,
              "language_hint": ANY_TEXT, "metadata": JSONISH, "feed_id": JSONISH},
)  # fmt: skip
LIMITS = Limits(max_input_bytes=100_000, max_html_elements=2000, max_html_depth=50, min_body_chars=20)
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.binary(max_size=2000))
def test_any_bytes_at_ingest(data):
    try:
        assert isinstance(parse_submission(data), RawArticle)
    except InvalidSubmission as exc:
        assert str(exc)


@FAST
@given(FIELDS)
def test_any_json_object_at_ingest(fields):
    try:
        raw = parse_article(fields)
    except InvalidSubmission as exc:
        assert str(exc), "an InvalidSubmission must say what is wrong"
        return
    orjson.dumps(raw.model_dump(mode="json"))  # whatever is accepted can go on the wire


@FAST
@given(st.binary(max_size=2000))
def test_any_bytes_as_a_file(data):
    with contextlib.suppress(InvalidSubmission):
        assert isinstance(decode_bytes(data, "file"), str)


@FAST
@given(body=HTMLISH, kind=st.sampled_from(["html", "text"]))
def test_extract_any_body(resources, body, kind):
    body = body.encode("utf-8", "replace").decode("utf-8")  # ingest has already refused lone surrogates
    if not body:
        return
    job = IngestedArticle(id="p", received_at=datetime.now(UTC), body_kind=kind, body=body)
    try:
        article = extract_article(job, body, resources.language, LIMITS)
    except NewsflowError:
        return
    orjson.dumps(article.model_dump(mode="json"))


@FAST
@given(
    st.lists(ANY_TEXT.map(lambda t: t.encode("utf-8", "replace").decode()), max_size=8),
    st.sampled_from([None, "ar", "en"]),
)
def test_translate_and_tag_any_article(resources, body, language):
    article = Article(id="p", received_at=datetime.now(UTC), body=body, language=language)
    tagged = tag_article(translate_article(article, resources.translation, "en"), resources.tagger)
    if tagged.translation.status == "translated":  # the gloss backend, for Arabic: one paragraph per paragraph
        assert len(tagged.translation.body) == len(body)
    text = "\n\n".join(body)
    assert all(text[m.start : m.end] == m.surface for e in tagged.entities for m in e.mentions)
