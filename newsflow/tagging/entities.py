"""From names found in a text to entities: one per person, organisation or place, with a canonical name.

Two kinds of finder give spans: the name tables (known people and organisations, the gazetteer's places), which
know the canonical English name, and a statistical tagger for the article's language, which finds names no table
holds and reads context. A tagger span is looked up in the tables as a whole (بلينكن alone is still Antony
Blinken); table spans are added where the tagger found nothing. A name found once in a text is also marked where it
recurs unmarked (``recurring``), and a person the tables do not know who is named by surname after a full name
(نتنياهو after بنيامين نتنياهو) joins that person.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from newsflow.schema import Entity, Mention
from newsflow.tagging.gazetteer import Gazetteer
from newsflow.tagging.names import KnownEntity
from newsflow.tagging.phrases import PhraseTable, Word, clitic_variants, text_words
from newsflow.text import matching_form


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    type: str  # person | organisation | place
    source: str
    name: str | None = None  # canonical, when a table gave it
    country: str | None = None


def table_spans(text: str, names: PhraseTable[KnownEntity], gazetteer: Gazetteer,
                words: list[Word] | None = None) -> list[Span]:  # fmt: skip
    words = text_words(text) if words is None else words
    spans = [Span(m.start, m.end, m.value.type, "names", m.value.name, m.value.country)
             for m in names.find(text, words)]  # fmt: skip
    taken = [(s.start, s.end) for s in spans]
    spans += [Span(m.start, m.end, "place", "gazetteer", m.value.name, m.value.country)
              for m in gazetteer.find(text, words) if not any(m.start < e and s < m.end for s, e in taken)]  # fmt: skip
    return spans


def _link(span: Span, text: str, names: PhraseTable[KnownEntity], gazetteer: Gazetteer) -> Span:
    """A tagger span named by a table when the table knows its whole text."""
    surface = text[span.start : span.end]
    for table in (names, gazetteer) if span.type == "place" else (names,):
        whole = [m.value for m in table.find(surface) if m.start == 0 and m.end == len(surface)]
        if whole:
            kind = whole[0].type if isinstance(whole[0], KnownEntity) else "place"
            return Span(span.start, span.end, kind, span.source, whole[0].name, whole[0].country)
    return span


def _split(span: Span, text: str, names: PhraseTable[KnownEntity]) -> list[Span]:
    """A tagger span that runs known names together (بلينكن وبنتنياهو) as those names; else the span itself."""
    inner = [Span(span.start + m.start, span.start + m.end, m.value.type, "names", m.value.name, m.value.country)
             for m in names.find(text[span.start : span.end])]  # fmt: skip
    return inner if len(inner) > 1 else [span]


def resolve(text: str, tagged: list[Span], tables: list[Span], names: PhraseTable[KnownEntity],
            gazetteer: Gazetteer, add_places: bool = True) -> list[Span]:  # fmt: skip
    """The tagger's spans, linked where a table knows them, then the ``tables``' spans that overlap none of them
    (the gazetteer's places only with ``add_places``)."""
    spans = []
    for span in tagged:
        linked = _link(span, text, names, gazetteer)
        spans += [linked] if linked.name else _split(span, text, names)
    for span in tables:
        wanted = add_places or span.source == "names"
        if wanted and not any(span.start < s.end and s.start < span.end for s in spans):
            spans.append(span)
    return sorted(spans, key=lambda s: s.start)


def recurring(
    text: str, spans: list[Span], common: Callable[[str], bool], words: list[Word] | None = None
) -> list[Span]:
    """``spans`` plus each place in ``text`` where one of their names recurs and nothing is marked, as that name
    (the type most of its spans have), a clitic on its first word allowed; a person's surname alone counts as the
    person. A name of one word that is a common word (``common``, of its matching form: على, الله of عبد الله) is
    not marked alone. The Arabic CRF past the lead reads no encoder and misses names it found in the lead
    (benchmarks/ner.py, articles)."""
    types: dict[str, Counter[str]] = defaultdict(Counter)
    first: dict[tuple[str, str], Span] = {}
    for span in spans:
        surface = text[span.start : span.end]
        keys = [_key(surface)]
        if span.type == "person" and " " in keys[0]:
            keys.append(_key(surface.split()[-1]))
        for key in keys:
            if " " in key or not common(key):
                types[key][span.type] += 1
                first.setdefault((key, span.type), span)
    table = PhraseTable({key: first[key, kinds.most_common(1)[0][0]] for key, kinds in types.items()})
    found = list(spans)
    for match in table.find(text, words):
        if not any(match.start < s.end and s.start < match.end for s in found):
            found.append(Span(match.start, match.end, match.value.type, match.value.source, match.value.name,
                              match.value.country))  # fmt: skip
    return sorted(found, key=lambda s: s.start)


def _key(surface: str) -> str:
    """How unlinked mentions are told apart: folded, the first word's clitics peeled off (وبلينكن, بلينكن)."""
    words = matching_form(surface).split()
    return " ".join([min(clitic_variants(words[0]), key=len), *words[1:]]) if words else surface


def group(found: list[tuple[int | None, str, Span]]) -> list[Entity]:
    """Entities from (boilerplate index or None for the body, the text, span) triples, most mentioned first."""
    keyed: dict[tuple[str, str], list[tuple[int | None, str, Span]]] = defaultdict(list)
    for part, text, span in found:
        keyed[(span.type, span.name or _key(text[span.start : span.end]))].append((part, text, span))
    _merge_surnames(keyed)
    entities = []
    for (kind, _), items in keyed.items():
        first = items[0][2]
        linked = next((s for _, _, s in items if s.name), None)
        written = Counter(t[s.start : s.end] for _, t, s in items).most_common(1)[0][0]
        name = linked.name if linked else written
        mentions = [Mention(start=s.start, end=s.end, surface=t[s.start : s.end], boilerplate=p) for p, t, s in items]
        entities.append(Entity(type=kind, name=name, linked=linked is not None, country=(linked or first).country,
                               mentions=mentions, source=(linked or first).source))  # fmt: skip
    return sorted(entities, key=lambda e: (-len(e.mentions), e.mentions[0].boilerplate is not None,
                                           e.mentions[0].start))  # fmt: skip


def _merge_surnames(keyed: dict[tuple[str, str], list]) -> None:
    """An unlinked one-word person equal to the last word of another person's name joins that person."""
    people = [k for k in keyed if k[0] == "person"]
    for key in people:
        if " " in key[1]:
            continue
        target = next((k for k in people if k != key and k in keyed and " " in k[1]
                       and matching_form(k[1]).split()[-1] == key[1]), None)  # fmt: skip
        if target is not None and key in keyed:
            keyed[target].extend(keyed.pop(key))
