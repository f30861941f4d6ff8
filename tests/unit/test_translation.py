"""Sentence segmentation, the translate stage function, the service's routing and de-duplication, and the
cross-article batcher, with small real backends (no Redis: the memory is tested in tests/integration)."""

import threading
import time
from datetime import UTC, datetime

import pytest

from newsflow.batching import Batching
from newsflow.errors import TransientError
from newsflow.schema import Article
from newsflow.segment import MAX_WORDS, segment, split_sentences
from newsflow.translation.batching import BatchedTranslator
from newsflow.translation.service import TranslationService
from newsflow.translation.stage import counters, translate_article


def sentences(text):
    return [text[start:end] for start, end in split_sentences(text)]


def test_arabic_and_latin_sentence_ends_with_quotes_kept():
    text = "قال الوزير: «سنرد». هل انتهت الحرب؟ نعم؛ انتهت! The U.S. envoy, Mr. Smith, left at 3.30 p.m. on Monday."
    assert sentences(text) == [
        "قال الوزير: «سنرد».", "هل انتهت الحرب؟", "نعم؛", "انتهت!",
        "The U.S. envoy, Mr. Smith, left at 3.30 p.m. on Monday.",
    ]  # fmt: skip


def test_a_run_on_arabic_sentence_is_cut_at_its_commas_into_bounded_runs():
    clause = "وقال المسؤول إن الوفد وصل"
    text = "، ".join([clause] * 40) + "."
    parts = sentences(text)
    assert len(parts) > 1 and all(len(p.split()) <= MAX_WORDS for p in parts)
    assert " ".join(parts) == text  # nothing lost, nothing reordered


def test_offsets_point_into_their_paragraph_and_paragraphs_stay_apart():
    body = ["الجملة الأولى. الجملة الثانية؟", "", "A second paragraph without an end"]
    found = segment(body)
    assert [(s.paragraph, s.text(body)) for s in found] == [
        (0, "الجملة الأولى."), (0, "الجملة الثانية؟"), (2, "A second paragraph without an end"),
    ]  # fmt: skip


class WordForWord:
    """A real, tiny backend: a fixed lexicon, word by word; it records what it was asked."""

    name, quality = "word-for-word", "gloss"
    lexicon = {"عنوان": "title", "مرحبا": "hello", "عالم": "world", "جملة": "sentence"}

    def __init__(self, pairs=(("ar", "en"),)):
        self.pairs, self.calls = set(pairs), []

    def model_for(self, source, target):
        return "lexicon-1" if (source, target) in self.pairs else None

    def translate(self, texts, source, target):
        self.calls.append(list(texts))
        return [" ".join(self.lexicon.get(w.strip(".؟"), w) for w in text.split()) for text in texts]


def article(body, language="ar", title="عنوان"):
    return Article(id="t", received_at=datetime(2026, 1, 1, tzinfo=UTC), body=body, language=language, title=title)


def test_paragraphs_come_back_aligned_with_each_sentence_and_its_offsets():
    source = article(["مرحبا عالم. جملة؟", "عالم"])
    block = translate_article(source, TranslationService([WordForWord()]), "en").translation
    assert (block.status, block.quality, block.backend, block.model) == (
        "translated",
        "gloss",
        "word-for-word",
        "lexicon-1",
    )
    assert (block.title, block.body) == ("title", ["hello world sentence", "world"])
    assert [(s.paragraph, source.body[s.paragraph][s.start : s.end], s.text) for s in block.sentences] == [
        (0, "مرحبا عالم.", "hello world"), (0, "جملة؟", "sentence"), (1, "عالم", "world"),
    ]  # fmt: skip


def test_the_first_backend_that_serves_the_pair_translates():
    french_only, arabic = WordForWord(pairs=[("fr", "en")]), WordForWord()
    block = translate_article(article(["مرحبا"]), TranslationService([french_only, arabic]), "en").translation
    assert block.status == "translated" and not french_only.calls and arabic.calls


def test_no_backend_for_the_pair_is_recorded_with_the_reason():
    block = translate_article(article(["Hallo"], language="de"), TranslationService([WordForWord()]), "en").translation
    assert (block.status, block.quality, block.body) == ("untranslated", "none", [])
    assert block.reason == "no translation backend serves de-en (backends: word-for-word)"


def test_same_language_passes_through_and_unknown_language_is_said():
    service = TranslationService([WordForWord()])
    block = translate_article(article(["Hello"], language="en", title="T"), service, "en").translation
    assert (block.status, block.quality, block.title, block.body) == ("passthrough", "original", "T", ["Hello"])
    block = translate_article(article(["؟"], language=None), service, "en").translation
    assert (block.status, block.reason) == ("untranslated", "source language unknown")


def test_a_sentence_repeated_in_an_article_is_translated_once():
    backend = WordForWord()
    done = translate_article(article(["جملة. جملة. عالم."]), TranslationService([backend]), "en")
    assert backend.calls == [["عنوان", "جملة.", "عالم."]]
    assert done.translation.body == ["sentence sentence world"]
    assert counters(done) == {"sentences": 3, "memory_hits": 0, "memory_hit_ratio": 0.0}


class SlowModel(WordForWord):
    """Takes its time per call, like a model, and records the size of each batch."""

    def translate(self, texts, source, target):
        time.sleep(0.05)
        if "boom" in texts:
            raise RuntimeError("the model failed")
        return super().translate(texts, source, target)


def in_threads(batcher, requests):
    """Each request [texts] from its own thread, like a threads-pool worker; returns results and finish order."""
    results, finished = {}, []

    def one(name, texts):
        try:
            results[name] = batcher.translate(texts, "ar", "en")
        except Exception as exc:  # noqa: BLE001 - recorded for the assertion
            results[name] = exc
        finished.append(name)

    threads = [threading.Thread(target=one, args=item) for item in requests.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    return results, finished


def test_sentences_of_articles_in_flight_together_share_model_batches():
    model = SlowModel()
    batcher = BatchedTranslator(model, Batching(32, 0.2, 10))
    requests = {f"a{n}": [f"مرحبا {n}", f"عالم {n}", "جملة"] for n in range(6)}
    results, _ = in_threads(batcher, requests)
    assert len(model.calls) < 3 and max(map(len, model.calls)) >= 12  # not one call per article
    assert results == {name: [f"hello {n}", f"world {n}", "sentence"] for n, name in enumerate(requests)}


def test_a_short_article_is_handed_on_before_a_long_one_finishes():
    model = SlowModel()
    batcher = BatchedTranslator(model, Batching(4, 0.05, 10))
    results, finished = in_threads(batcher, {"short": ["مرحبا", "عالم"], "long": ["جملة"] * 2 + ["عالم"] * 20})
    assert finished[0] == "short" and len(results["long"]) == 22
    assert all(len(call) <= 4 for call in model.calls)


def test_a_failed_batch_fails_only_its_articles_and_the_batcher_keeps_serving():
    model = SlowModel()
    batcher = BatchedTranslator(model, Batching(2, 0.0, 10))
    results, _ = in_threads(batcher, {"bad": ["boom", "مرحبا", "عالم"]})
    assert isinstance(results["bad"], RuntimeError)
    assert batcher.translate(["مرحبا"], "ar", "en") == ["hello"]


def test_an_article_the_model_does_not_finish_in_time_is_a_transient_error():
    class Stuck(WordForWord):
        def translate(self, texts, source, target):
            time.sleep(1 if "slow" in texts else 0)
            return texts

    batcher = BatchedTranslator(Stuck(), Batching(8, 0, 0.2))
    with pytest.raises(TransientError, match="within 0 s"):
        batcher.translate(["slow"], "ar", "en")
    time.sleep(1.2)  # the late batch finishes after its article gave up; the batcher keeps serving
    assert batcher.translate(["x"], "ar", "en") == ["x"]
