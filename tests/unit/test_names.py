"""newsflow/data/names.tsv, the table of known people, organisations and places: well-formed rows, and a
spelling that names two entities once folded is an error when the table is built."""

import pytest

from newsflow.tagging.names import _rows, known_names


def test_every_row_has_a_type_a_name_a_country_code_or_none_and_aliases():
    for kind, name, country, aliases in _rows("names.tsv"):
        assert kind in ("person", "organisation", "place") and name.strip() == name != ""
        assert country == "" or (len(country) == 2 and country.isupper()), name
        assert all(alias.strip() == alias != "" for alias in aliases.split("|")), name


def test_a_spelling_that_names_two_entities_once_folded_is_an_error():
    known_names()  # the shipped table has none
    clashing = [["organisation", "Al Ahly SC", "EG", "الأهلي"], ["organisation", "Al-Ahli SC", "QA", "الاهلي"]]
    with pytest.raises(ValueError, match="names both Al Ahly SC and Al-Ahli SC"):
        known_names(clashing)


def test_a_spelling_with_other_letter_forms_and_a_clitic_finds_its_entity():
    (match,) = known_names().find("وللجزيرة نت")
    assert (match.value.name, match.value.type, match.value.country) == ("Al Jazeera", "organisation", "QA")
