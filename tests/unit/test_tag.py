"""tag_article with the gazetteer: Arabic clitics, offsets, case, nothing to find."""

from datetime import UTC, datetime

import pytest

from newsflow.schema import Article
from tasks.tag import tag_article


def article(body, language="ar", title="عنوان"):
    return Article(id="t", received_at=datetime(2026, 1, 1, tzinfo=UTC), body=body, language=language, title=title)


@pytest.fixture(scope="module")
def gazetteer(resources):
    return resources.gazetteer


def tags(gazetteer, body):
    tagged = tag_article(article(body), gazetteer)
    return {e.name: [m.surface for m in e.mentions] for e in tagged.entities}, tagged.countries


def test_arabic_clitics_are_peeled_off(gazetteer):
    names, countries = tags(gazetteer, ["وصل الوفد إلى الدوحة ثم بغزة وقطر، وللقاهرة وفد آخر."])
    assert names["Doha"] == ["الدوحة"]
    assert names["Gaza"] == ["بغزة"]
    assert names["Qatar"] == ["وقطر"]
    assert names["Cairo"] == ["وللقاهرة"]
    assert set(countries) == {"QA", "PS", "EG"}


def test_offsets_point_into_the_joined_body(gazetteer):
    body = ["Talks resumed in Madrid.", "Officials later flew to Ankara and Tel Aviv."]
    tagged = tag_article(article(body, language="en"), gazetteer)
    text = "\n\n".join(body)
    for entity in tagged.entities:
        for m in entity.mentions:
            assert text[m.start : m.end] == m.surface
    assert {e.name for e in tagged.entities} == {"Madrid", "Ankara", "Tel Aviv"}
    assert tagged.countries == ["ES", "TR", "IL"]


def test_english_names_are_case_sensitive(gazetteer):
    names, _ = tags(gazetteer, ["We ate turkey in Turkey."])
    assert list(names) == ["Türkiye"] and names["Türkiye"] == ["Turkey"]


def test_no_places_no_entities(gazetteer):
    assert tags(gazetteer, ["The committee met for three hours and adjourned."]) == ({}, [])
