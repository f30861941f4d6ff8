"""Copies and story decisions as pure functions (newsflow/stories/): no Redis."""

from dataclasses import replace
from datetime import UTC, datetime

import numpy as np
import pytest

from newsflow.schema import Article, Entity, Mention
from newsflow.stories.copies import text_print, words
from newsflow.stories.similarity import Signal, Thresholds, best_story, centred, joined, started
from newsflow.stories.sounds import sound_keys
from newsflow.stories.stage import signal_of
from newsflow.vectors import vector_from, vector_text

BODY = ("The port authority said on Monday that container traffic through Aqaba rose by a fifth this year, as "
        "shipping lines returned to the Red Sea after months of diversions around the Cape of Good Hope. ") * 3  # fmt: skip


def unit(seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal(384).astype(np.float32)
    return v / np.linalg.norm(v)


def signal(vector: np.ndarray, names: set[str] = frozenset(), at: float = 0.0, language: str = "en") -> Signal:
    return Signal(vector, frozenset(names), frozenset(), language, at)


def test_words_ignore_case_and_arabic_vowel_marks_and_tatweel():
    assert words("Aqaba PORT") == words("aqaba port")
    assert words("مِيناءُ العقبـــة") == words("ميناء العقبة")


def test_an_exact_copy_has_the_same_digest_and_a_near_copy_a_high_estimate():
    original = text_print(BODY)
    assert text_print(BODY.upper()).digest == original.digest
    trimmed = text_print(BODY[: int(len(BODY) * 0.8)])
    assert trimmed.digest != original.digest and original.similarity(trimmed.signature) > 0.6
    assert set(original.bands) & set(trimmed.bands), "a near copy must meet its original in some LSH band"
    other = text_print("Farmers in Basra expect the largest date harvest in a decade after a mild summer. " * 3)
    assert original.similarity(other.signature) < 0.1 and not set(original.bands) & set(other.bands)


def test_an_article_joins_the_best_story_over_the_threshold_else_starts_one():
    a, b = started("a", signal(unit(1))), started("b", signal(unit(2)))
    near = unit(1) * 0.9 + unit(3) * 0.1
    found = best_story(signal(near / np.linalg.norm(near)), [a, b], Thresholds(0.5, 0.4, 2.0))
    assert found is not None and found[0].id == "a"
    assert best_story(signal(unit(4)), [a, b], Thresholds(0.5, 0.4, 2.0)) is None


def test_a_story_in_other_languages_needs_the_cross_threshold_with_a_shared_name_else_the_unlinked_one():
    story = started("s", signal(unit(1), {"place:Aqaba"}, language="ar"))
    near = unit(1) * 0.7 + unit(2) * 0.7
    near /= np.linalg.norm(near)  # cosine about 0.7 with the story
    thresholds = Thresholds(same=0.9, cross=0.6, unlinked=0.8)
    assert best_story(signal(near, {"place:Aqaba"}), [story], thresholds) is not None
    assert best_story(signal(near, {"place:Amman"}), [story], thresholds) is None, "0.7 is under unlinked 0.8"
    unlinked = Thresholds(same=0.9, cross=0.6, unlinked=0.65)
    assert best_story(signal(near, {"place:Amman"}), [story], unlinked) is not None, "the vectors alone are close"
    same_language = signal(near, {"place:Amman"}, language="ar")
    assert best_story(same_language, [story], unlinked) is None, "0.7 is under 0.9"


def test_a_name_in_arabic_script_links_the_story_its_latin_spelling_started():
    english = Signal(
        unit(1), frozenset({"person:Valtteri Bottas"}), frozenset(), "en", 0.0, sound_keys("Valtteri Bottas")
    )
    near = unit(1) * 0.7 + unit(2) * 0.7
    arabic = Signal(near / np.linalg.norm(near), frozenset({"person:فالتري بوتاس"}), frozenset(), "ar", 60.0,
                    sound_keys("فالتري بوتاس"))  # fmt: skip
    thresholds = Thresholds(same=0.9, cross=0.6, unlinked=0.8)
    found = best_story(arabic, [started("s", english)], thresholds)
    assert found is not None, "the sound keys link them: the cross threshold applies"
    assert best_story(replace(arabic, sounds=frozenset()), [started("s", english)], thresholds) is None
    assert set(joined(started("s", english), arabic).sounds) == {"sound:FLTR", "sound:BTS"}


@pytest.mark.parametrize(
    ("latin", "arabic"),
    [("Conor Lamb", "كونور لامب"), ("Max Verstappen", "ماكس فيرستابن"), ("Keith Rothfus", "كيث روثفوس"),
     ("Jakarta", "جاكرتا"), ("Dennis McCarthy", "دينيس مكارثي"), ("Brett Kavanaugh", "بريت كافانو"),
     ("Associated Press", "أسوشيتيد برس"), ("Charles", "تشارلز")],
)  # fmt: skip
def test_a_name_has_one_sound_key_in_both_scripts(latin, arabic):
    assert sound_keys(latin) == sound_keys(arabic) != frozenset()


def test_sound_keys_skip_short_words_and_tell_different_names_apart():
    assert sound_keys("Jon Ali") == frozenset(), "two consonants would link unrelated names"
    assert sound_keys("الدوحة") == sound_keys("Doha") == frozenset(), "the article is not a consonant of the name"
    assert not sound_keys("Baton Rouge") & sound_keys("Boris Johnson")
    assert sound_keys("Hamilton") == {"sound:MLTN"}


def test_a_story_follows_its_latest_articles_and_keeps_its_first_time():
    story = started("s", signal(unit(1), at=0.0))
    later = joined(story, signal(unit(2), at=10 * 86_400.0))  # ten half-lives later: the first article barely counts
    assert later.size == 2 and later.first_seen == 0.0 and later.last_seen == 10 * 86_400.0
    assert float(later.centroid @ unit(2)) > 0.99 and later.languages == {"en": 2}


def test_centring_takes_the_language_direction_out():
    shared = unit(9)
    a, b = shared + 0.3 * unit(1), shared + 0.3 * unit(2)
    assert float(a @ b) / (np.linalg.norm(a) * np.linalg.norm(b)) > 0.8
    ca, cb = centred(signal(a), shared), centred(signal(b), shared)
    assert abs(float(ca.vector @ cb.vector)) < 0.3


def test_the_vector_travels_as_float16_base64():
    vector = unit(5)
    assert len(vector_text(vector)) == 1024 and np.allclose(vector_from(vector_text(vector)), vector, atol=1e-3)


@pytest.mark.parametrize("embedding", [None, vector_text(unit(6))])
def test_the_signal_reads_the_vector_names_and_countries_of_the_record(embedding):
    mention = Mention(start=0, end=5, surface="Aqaba")
    article = Article(id="x" * 32, received_at=datetime(2026, 12, 1, tzinfo=UTC), body=["Aqaba"], language="en",
                      embedding=embedding, countries=["JO", "EG", "SA", "IL"],
                      entities=[Entity(type="place", name="Aqaba", mentions=[mention, mention], source="gazetteer")])  # fmt: skip
    found = signal_of(article)
    assert found.names == {"place:Aqaba"} and found.countries == {"country:JO", "country:EG", "country:SA"}
    assert found.sounds == frozenset(), "Aqaba has two consonants, too few for a sound key"
    person = Entity(type="person", name="Kimi Raikkonen", mentions=[mention], source="crf")
    assert signal_of(article.model_copy(update={"entities": [person]})).sounds == {"sound:RKN"}
    assert found.at == article.received_at.timestamp() and np.isclose(np.linalg.norm(found.vector), 1.0) == bool(
        embedding
    )
