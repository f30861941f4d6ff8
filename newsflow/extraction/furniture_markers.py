"""The words news sites put on page furniture, by kind, in the languages newsflow's feeds carry.

Phrases are regex fragments matched at the start of a line, case-insensitively: labelled ("Source: X"), as a
whole line (a "Related articles" header), or opening a short line (a newsletter prompt). They are the
sites' own boilerplate ("read also", "related articles", "share", "advertisement"...), never story vocabulary,
and they were checked against the trafilatura evaluation corpus (benchmarks/extraction.py) for lines they would
wrongly remove. Add a language by adding its phrases; keep each phrase specific enough that no sentence of a
story starts with it.
"""

from __future__ import annotations

import re

# Lines that name where the story came from: "Source: X".
SOURCE = ("المصدر", "مصدر الخبر", "Source", "Quelle", "Fuente", "Fonte", "Źródło")
# Lines that list the page's tags or categories.
TAGS = (
    "كلمات دلالية", "الكلمات الدلالية", "الكلمات المفتاحية", "الوسوم", "وسوم", "Tags", "Keywords", "Topics",
    "Categories", "Category", "Filed under", "Schlagwörter", "Schlagworte", "Kategorie", "Kategorien",
    "Mots-clés", "Etiquetas", "Tagi",
)  # fmt: skip
# "Read also: <headline>", or a header line followed by the headline (or, at the end of a page, a whole story).
READ_ALSO = (
    r"[اإ]قرأ\s+(?:[أا]يض[اًٌ]+|المزيد)", "Read also", "Read more", "Also read", "See also", "Related", "More",
    "Lesen Sie auch", "Lesen Sie hier", "Lesen Sie mehr", "Auch lesen", "Schon gelesen", "Lesetipp",
    "Auch interessant", "Mehr zum Thema", "Mehr dazu", "Zum Weiterlesen", "Weiterlesen",
    "Lire aussi", "À lire aussi", "A lire aussi", "Voir aussi", "Lea también", "Lee también", "Lea más",
    "Leer más", "Lea", "Le puede interesar", "Te puede interesar", "Puede interesarte", "Puedes ver", "Mira",
    "Mire", "Ver también", "Vea también", "Leggi anche", "Leia também", "Leia mais", "Veja também", "Czytaj też",
    "Czytaj także", "Czytaj więcej", "Zobacz też", "Zobacz także", "Dowiedz się więcej", "Читайте также",
)  # fmt: skip
# Header lines over a list of other articles' titles.
RELATED_LIST = (
    "مقالات مشابهة", "مقالات ذات صلة", r"[أا]خبار ذات صلة", r"[أا]خبار مشابهة", "Related articles",
    "Related stories", "Related news", "Related posts", "Related content", "More stories", "You may also like",
    "Recommended", "Most read", "Weitere Artikel", "Weitere Beiträge", "Weitere Nachrichten", "Weitere Meldungen",
    "Ähnliche Artikel", "Ähnliche Beiträge", "Empfohlene Beiträge", "Empfohlene Artikel", "Mehr Themen",
    "Meistgelesen", r"Das (?:Thema )?könnte (?:Sie|dich) auch interessieren", "Articles similaires",
    "Sur le même sujet", "Notas relacionadas", "Noticias relacionadas", "Contenido relacionado",
    "Artículos relacionados", "Más noticias", "Más sobre", "Podobne artykuły",
)  # fmt: skip
SHARE = (
    r"شارك(?:وا)? (?:الخبر|المقال)", r"تابعونا(?: على \S+)?", r"Share(?: this(?: article| story| page| post)?| on \w+| via \w+)?",
    r"Follow us(?: on \w+)?", "Teilen mit", r"(?:Diesen )?(?:Artikel|Beitrag) teilen", "Teilen",
    r"Partager(?: cet article| sur \w+)?", r"Compartir(?: en \w+)?", "Udostępnij",
)  # fmt: skip
# Newsletter, app and paywall prompts: the phrase starts a short line and anything may follow.
SUBSCRIBE = (
    "Sign up", "Subscribe", "Already a subscriber", "If you’re seeing this message", "Never miss",
    "Jetzt abonnieren", "Abonnieren Sie", "Mit unserem Newsletter", "Abonnez-vous", "Pour lire la suite",
    "Pour accéder en illimité", "Suscríbete", "Hazte miembro", r"[\w\s]{0,30} Newsletter$", "Zum Newsletter",
)  # fmt: skip
ADVERT = (r"\*?Anzeige", r"\*?Werbung", "Advertisement", "Publicidad", "Reklama", "إعلان")
CREDIT = (
    "Foto", "Fotos", "Photo", "Photos", "Bild", "Bildquelle", "Beitragsbild", "Titelbild", "Image", r"\(?Credit",
    "Crédits? photos?", "Crédit photo", r"Fot\.",
)  # fmt: skip
COPYRIGHT = ("©", "Copyright", r"\(c\) \d{4}")
COPYRIGHT_ANYWHERE = (
    "©", "Alle Rechte vorbehalten", "All rights reserved", "Tous droits réservés", "Todos los derechos reservados",
    "Wszelkie prawa zastrzeżone", "Materiał chroniony prawem autorskim", "جميع الحقوق محفوظة",
)  # fmt: skip

_SHORT_LINE = 200  # furniture lines matched on their first words alone are never longer than this


def _alternatives(phrases: tuple[str, ...]) -> str:
    return "|".join(phrases)


def _labelled(phrases: tuple[str, ...], end: str = r"\s*[:：?»›]\s*|\s*$|\s+[-–—|]\s+|(?<=\.)\s+") -> re.Pattern[str]:
    """``phrase: value``, ``phrase - value``, ``phrase » value`` or the phrase alone."""
    return re.compile(rf"^(?:{_alternatives(phrases)})(?:{end})(?P<value>.*)$", re.IGNORECASE)


def _header(phrases: tuple[str, ...]) -> re.Pattern[str]:
    """The phrase is the whole line (a colon may follow)."""
    return re.compile(rf"^(?:{_alternatives(phrases)})\s*[:：]?\s*$", re.IGNORECASE)


def _opening(phrases: tuple[str, ...], max_chars: int = _SHORT_LINE) -> re.Pattern[str]:
    """A line of at most ``max_chars`` that starts with the phrase as a whole word."""
    return re.compile(rf"^(?=.{{0,{max_chars}}}$)(?:{_alternatives(phrases)})(?!\w).*$", re.IGNORECASE)


# Order matters: the first kind whose pattern matches a line wins.
MARKERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("source", _labelled(SOURCE)),
    ("tags", _labelled(TAGS)),
    ("related_list", _header(RELATED_LIST)),
    ("read_also", _labelled(READ_ALSO)),
    ("share", _header(SHARE)),
    ("subscribe", _opening(SUBSCRIBE)),
    ("advert", _labelled(ADVERT, end=r"\s*[:：,.]\s*|\s*$|\s+[-–—|]\s+")),
    ("credit", _labelled(CREDIT)),
    ("copyright", _opening(COPYRIGHT, max_chars=2000)),  # no story line starts with ©
    ("copyright", re.compile(rf"^(?=.{{0,{_SHORT_LINE}}}$).*(?:{_alternatives(COPYRIGHT_ANYWHERE)}).*$", re.I)),
)
