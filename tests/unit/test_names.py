"""newsflow/data/names.tsv, the table of known people, organisations and places: well-formed rows, and no
spelling that names two entities once folded (the table keeps the first, so a second would be silently lost)."""

from collections import defaultdict

from newsflow.tagging.names import _rows, known_names
from newsflow.text import matching_form


def test_every_row_has_a_type_a_name_a_country_code_or_none_and_aliases():
    rows = _rows("names.tsv")
    for kind, name, country, aliases in rows:
        assert kind in ("person", "organisation", "place") and name.strip() == name != ""
        assert country == "" or (len(country) == 2 and country.isupper()), name
        assert all(alias.strip() == alias != "" for alias in aliases.split("|")), name


def test_no_folded_spelling_names_two_entities():
    named = defaultdict(set)
    for _, name, _, aliases in _rows("names.tsv"):
        for alias in aliases.split("|"):
            named[matching_form(alias)].add(name)
    assert {alias: names for alias, names in named.items() if len(names) > 1} == {}


def test_a_spelling_with_other_letter_forms_and_a_clitic_finds_its_entity():
    (match,) = known_names().find("وللجزيرة نت")
    assert (match.value.name, match.value.type, match.value.country) == ("Al Jazeera", "organisation", "QA")
