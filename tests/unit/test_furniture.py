"""Plain-text pages: the story's paragraphs in order as the body, every kind of furniture set apart and typed."""

import pytest

from newsflow.extraction.furniture import split_furniture, split_keywords

STORY = [
    "أعلنت وزارة الصحة اليوم عن حملة تطعيم جديدة في المدارس.",
    "وقال المتحدث باسم الوزارة إن الحملة تستمر أسبوعين.",
]


def kinds(split):
    return [f.kind for f in split.furniture]


def test_shared_arabic_page(shared_page):
    split = split_furniture(shared_page.read_text(encoding="utf-8").splitlines())
    assert len(split.body) == 5, split.body
    assert split.body[0].startswith("(CNN)-- غادر وزير الخارجية الأمريكي")
    assert split.body[-1].startswith("وأكد البيان أيضًا")
    assert split.source == "CNN Arabic"
    assert split.keywords == ["حركة حماس", "غزة"]
    assert kinds(split) == ["source", "tags", "read_also", "related_list"]
    read_also = split.furniture[2]
    assert read_also.title == "مساع دبلوماسية أميركية ولقاء في أنقرة يبحث مسار صفقة التبادل"
    assert "جون كيربي" in read_also.text
    related = split.furniture[3]
    assert len(related.items) == 10 and not any(item.startswith("•") for item in related.items)
    body = "\n".join(split.body)
    for furniture_text in ("المصدر", "كلمات دلالية", "إقرأ أيضاً", "مقالات مشابهة", "كيربي"):
        assert furniture_text not in body, f"{furniture_text!r} leaked into the body"


def test_english_furniture():
    page = ["The council approved the budget on Monday.", "It takes effect in April.",
            "Source: City Wire", "Tags: budget, council", "Share this article", "Related stories",
            "- Mayor defends spending plan", "- Opposition calls for audit"]  # fmt: skip
    split = split_furniture(page)
    assert split.body == page[:2]
    assert kinds(split) == ["source", "tags", "share", "related_list"]
    assert split.source == "City Wire" and split.keywords == ["budget", "council"]
    assert split.furniture[-1].items == ["Mayor defends spending plan", "Opposition calls for audit"]


def test_inline_read_also_inside_the_story_is_set_apart_and_the_story_goes_on():
    split = split_furniture([STORY[0], "اقرأ أيضاً: الوزارة تطلق تطبيقاً للمواعيد", STORY[1]])
    assert split.body == STORY
    assert split.furniture[0].kind == "read_also"
    assert split.furniture[0].title == "الوزارة تطلق تطبيقاً للمواعيد"


def test_text_after_the_story_ends_is_kept_as_other_furniture_not_dropped():
    split = split_furniture([*STORY, "المصدر: وكالة", "تعليق من قارئ"])
    assert split.body == STORY
    assert [(f.kind, f.text) for f in split.furniture][-1] == ("other", "تعليق من قارئ")


def test_a_page_without_furniture_is_all_body():
    split = split_furniture(STORY)
    assert split.body == STORY and split.furniture == []


def test_keywords_with_separators_and_without():
    assert split_keywords("لبنان، الطقس؛ أمطار", "") == ["لبنان", "الطقس", "أمطار"]
    assert split_keywords("حركة حماس غزة", "قال مسؤول في حركة حماس إن") == ["حركة حماس", "غزة"]


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("Lesen Sie auch: Bahn streicht Nachtzüge", "read_also"),
        ("À lire aussi » La grève continue", "read_also"),
        ("LE PUEDE INTERESAR: Congreso aprueba la reforma", "read_also"),
        ("Czytaj też: Sejm przyjął ustawę", "read_also"),
        ("Schon gelesen?", "read_also"),
        ("Notas relacionadas", "related_list"),
        ("Das könnte Sie auch interessieren:", "related_list"),
        ("Share on Facebook", "share"),
        ("Teilen mit:", "share"),
        ("Sign up for our daily briefing and never miss a story", "subscribe"),
        ("PC Gamer Newsletter", "subscribe"),
        ("ANZEIGE - Heute schon gekocht?", "advert"),
        ("إعلان: احجز الآن", "advert"),
        ("Foto: dpa", "credit"),
        ("(Credit: Jane Doe / Agency)", "credit"),
        (
            "© 2026 Harbour Ledger. Reproduction is forbidden without written permission from the publisher.",
            "copyright",
        ),
        ("Harbour Ledger 2026. All rights reserved", "copyright"),
        ("Quelle: Deutscher Wetterdienst", "source"),
        ("Kategorie: Politik", "tags"),
    ],
)
def test_each_kind_of_furniture_line(line, kind):
    split = split_furniture(["A first paragraph of the story, long enough to be one.", line], page_end=False)
    assert [f.kind for f in split.furniture] == [kind]


@pytest.mark.parametrize(
    "line",
    [
        "More than 40 ships waited at anchor.",
        "Related talks will resume on Monday, officials said.",
        "Sign language interpreters joined the briefing, which lasted an hour and ended with questions.",
        "Anzeige erstattet hat die Polizei am Montag gegen zwei Männer.",
        "Fotos der Szene verbreiteten sich schnell.",
        "Share prices fell by 3 per cent.",
        "Teilen sich die Parteien die Macht, wird es schwierig.",
    ],
)
def test_story_sentences_that_start_like_furniture_stay_in_the_body(line):
    assert split_furniture([line], page_end=False).body == [line]


def test_extracted_html_is_judged_line_by_line():
    lines = ["Quelle: Statistisches Bundesamt", "The table above shows the trend.", "Tags: x", "The story goes on."]
    split = split_furniture(lines, page_end=False)
    assert split.body == ["The table above shows the trend.", "The story goes on."]


def test_a_related_list_ends_at_the_first_paragraph():
    long_line = "The story resumes here with a paragraph far longer than any headline, " * 3
    split = split_furniture(
        ["Weitere Artikel", "Bahn streicht Züge", "- Neue Tarife ab Mai", long_line], page_end=False
    )
    assert split.furniture[0].items == ["Bahn streicht Züge", "Neue Tarife ab Mai"]
    assert split.body == [long_line.strip()]


def test_a_read_also_header_inside_the_story_takes_only_its_headline():
    split = split_furniture([STORY[0], "اقرأ أيضاً:", "عنوان خبر آخر", STORY[1]])
    assert split.body == STORY and split.furniture[0].title == "عنوان خبر آخر"
