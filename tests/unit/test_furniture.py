"""Plain-text pages: the story's paragraphs in order as the body, every kind of furniture set apart and typed."""

from newsflow.furniture import split_furniture, split_keywords

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
    assert kinds(split) == ["source", "tags", "other", "related_list"]
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
