"""Text hygiene, the matching form, and bytes to text."""

import pytest

from newsflow.errors import InvalidSubmission
from newsflow.text import clean_text, decode_bytes, matching_form

ARABIC_HTML = (
    '<html><head><meta charset="windows-1256"></head><body><p>أعلنت الحكومة اليوم عن خطة جديدة.</p></body></html>'
)


def test_clean_text_removes_invisible_marks_and_keeps_digits():
    dirty = "\u200fقال الوزيـــر إن\u200b العدد بلغ ٤٥ \u202bشخصاً\u202c"
    assert clean_text(dirty) == "قال الوزير إن العدد بلغ ٤٥ شخصاً"


def test_clean_text_keeps_the_joiners_persian_needs():
    assert clean_text("می\u200cخواهم") == "می\u200cخواهم"


def test_clean_text_composes_and_collapses_spaces():
    assert clean_text("  Cafe\u0301\u00a0\u00a0au   lait ") == "Caf\u00e9 au lait"


def test_entities_are_decoded_only_when_asked():
    assert clean_text("Q&amp;A &quot;now&quot;", entities=True) == 'Q&A "now"'
    assert clean_text("Q&amp;A") == "Q&amp;A"


def test_matching_form_folds_what_spelling_varies():
    assert matching_form("إسرائيلـــ") == matching_form("اسرائيل")
    assert matching_form("مَدْرِيد") == "مدريد"
    assert matching_form("عام ٢٠٢٦ و۱۴۰۳") == "عام 2026 و1403"


def test_utf8_with_a_byte_order_mark():
    assert decode_bytes("\ufeffنص".encode(), "x") == "نص"


def test_declared_charset_is_honoured():
    assert decode_bytes(ARABIC_HTML.encode("cp1256"), "x") == ARABIC_HTML


def test_undeclared_legacy_encoding_is_detected():
    text = "Le conseil municipal a approuvé le budget, malgré l'opposition des élus écologistes réunis jeudi soir." * 3
    assert decode_bytes(text.encode("latin-1"), "x") == text


def test_binary_is_refused_with_a_reason():
    with pytest.raises(InvalidSubmission, match="binary data"):
        decode_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "logo.png")
