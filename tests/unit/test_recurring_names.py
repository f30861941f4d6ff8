"""entities.recurring: a name found once in a text is marked where it recurs unmarked (no models: spans by hand)."""

from newsflow.tagging.entities import Span, recurring

TEXT = "قال مدير شركة الصخرة الزرقاء إن سمير الرفاعي وافق. ووقعت الصخرة الزرقاء العقد، وشكر الرفاعي علي."


def span(surface: str, kind: str, text: str = TEXT, after: int = 0, name: str | None = None) -> Span:
    start = text.index(surface, after)
    return Span(start, start + len(surface), kind, "crf", name)


def never_common(word: str) -> bool:
    return False


def test_a_name_and_a_surname_are_marked_where_they_recur_as_the_spans_they_repeat():
    found = [span("الصخرة الزرقاء", "organisation", name="Blue Rock"), span("سمير الرفاعي", "person")]
    second = TEXT.index("ووقعت")
    assert recurring(TEXT, found, never_common) == [
        *found, span("الصخرة الزرقاء", "organisation", after=second, name="Blue Rock"),
        span("الرفاعي", "person", after=second)]  # fmt: skip


def test_a_clitic_on_the_first_word_is_allowed_and_the_commonest_type_wins():
    text = "زار الوفد الزرقاء ثم الزرقاء، وقال الزرقاء إن والزرقاء جميلة."
    found = [span("الزرقاء", "place", text), span("الزرقاء", "place", text, 15), span("الزرقاء", "person", text, 25)]
    assert recurring(text, found, never_common)[3] == Span(text.index("والزرقاء"), len(text) - 7, "place", "crf")


def test_common_words_are_not_marked_alone_and_marked_spans_are_not_overlapped():
    assert recurring(TEXT, [span("سمير الرفاعي", "person")], {"الرفاعي"}.__contains__) == [
        span("سمير الرفاعي", "person")
    ]
    text = "قال علي إن علي وافق."
    assert recurring(text, [span("علي", "person", text)], {"علي"}.__contains__) == [span("علي", "person", text)]
    overlapping = [span("الصخرة", "organisation"), span("ووقعت الصخرة", "organisation")]
    assert recurring(TEXT, overlapping, never_common) == overlapping
