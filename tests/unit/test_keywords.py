"""Keywords in the article's own language: Arabic shown without proclitics, function words never keywords,
English unchanged in kind, the page's own keywords first."""

from newsflow.tagging.keywords import extract_keywords, keywords, merge, stop_words

CEASEFIRE = [
    "أعلن الوسطاء ووقف إطلاق النار في المدينة الساحلية بعد أسبوع من المعارك العنيفة.",
    "وقال سكان إن وقف إطلاق النار صمد طوال الليل بشأن الأحياء الشرقية.",
    "وطالبت الأمم المتحدة بتمديد وقف إطلاق النار وقت الأعياد، وفتح المعابر أمام قوافل الإغاثة.",
    "ودعا الوسطاء إلى احترام وقف إطلاق النار خلال المفاوضات، وإلى إدخال قوافل الإغاثة إلى المدينة الساحلية.",
]


def test_arabic_keywords_come_without_proclitics():
    found = keywords(CEASEFIRE, "ar", [])
    assert found[0] == "وقف إطلاق النار", f"the phrase the article keeps coming back to, bare: {found}"
    assert not [k for k in found if k.startswith(("ووقف", "لوقف", "وقوافل"))], f"a proclitic left on: {found}"
    assert "قوافل الإغاثة" in found and "المدينة الساحلية" in found, found


def test_arabic_function_words_are_never_keywords_with_or_without_clitics():
    found = keywords(CEASEFIRE, "ar", [])
    words = {w for k in found for w in k.split()}
    assert not words & {"بشأن", "وقت", "خلال", "أمام", "بعد", "وبشأن"}, f"function words among {found}"
    assert {"بشان", "وقت", "خلال"} <= stop_words("ar"), "the Arabic stop list is compared in matching form"


def test_a_word_whose_first_letter_looks_like_a_clitic_keeps_it():
    body = ["وزارة الصحة أعلنت حملة تطعيم جديدة.", "وقالت وزارة الصحة إن حملة التطعيم تبدأ غدا.",
            "وتشمل حملة التطعيم المدارس، وفق وزارة الصحة."]  # fmt: skip
    found = keywords(body, "ar", [])
    assert "وزارة الصحة" in found and "زارة الصحة" not in found, found


def test_a_name_keeps_a_first_letter_whose_removal_leaves_another_name():
    body = ["التقى بلينكن وزير الخارجية المصري في القاهرة.", "وقال بلينكن إن المحادثات كانت بناءة.",
            "ويعود بلينكن إلى واشنطن غدا."]  # fmt: skip
    found = keywords(body, "ar", [])
    words = {w for k in found for w in k.split()}
    assert "بلينكن" in words and "لينكن" not in words, f"Blinken shown as Lincoln: {found}"


def test_english_keywords_are_the_words_the_story_keeps_using():
    body = ["The harbour authority closed the container terminal after the storm damaged two cranes.",
            "Engineers inspected the cranes on Monday, and the terminal reopened to shipping on Tuesday.",
            "Shipping lines said the terminal closure delayed a dozen vessels."]  # fmt: skip
    found = keywords(body, "en", [])
    assert found[0] == "terminal", found
    assert "cranes" in found and not {"the", "after", "on"} & {k.lower() for k in found}, found


def test_page_keywords_come_first_and_repeats_or_parts_of_them_are_dropped():
    assert merge(["الأمطار"], ["أمطار", "السيول"]) == ["الأمطار", "السيول"]
    assert merge(["حركة حماس", "غزة"], ["حماس", "وقف إطلاق النار", "غزة"]) == ["حركة حماس", "غزة", "وقف إطلاق النار"]
    assert keywords(CEASEFIRE, "ar", ["هدنة"])[0] == "هدنة"


def test_no_text_gives_no_keywords_and_a_short_text_still_gives_some():
    assert extract_keywords([], "ar") == [] and keywords([], None, []) == []
    assert extract_keywords(["Volcanic ash grounded flights."], "en") != []
