"""Text hygiene: bytes to text, clean text for the record, and a folded form for matching.

``clean_text`` is what a record carries: NFC, HTML entities decoded, Arabic tatweel, bidirectional controls and
invisible zero-width characters removed, whitespace runs inside a line collapsed. It keeps ZWNJ and ZWJ, which
change how Persian, Urdu and emoji render, and it keeps digits as written (Arabic-Indic ٠١٢, Persian ۰۱۲).
``matching_form`` is for comparing, never for showing: digits as ASCII, Arabic letter variants and diacritics
folded. ``decode_bytes`` turns bytes into text or says why it cannot. ``strip_controls`` is what every text a producer sends
goes through at the door.
"""

from __future__ import annotations

import html
import re
import unicodedata

import charset_normalizer

from newsflow.errors import InvalidSubmission

_INVISIBLE = re.compile("[\u0640\u061c\u200b\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]")
# Control characters (NUL and the rest of C0 but tab and line ends, DEL) and the bidirectional embeddings, overrides
# and isolates, which reorder what a reader sees. The marks LRM, RLM and ALM stay: Arabic text uses them.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
_INLINE_SPACE = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_ARABIC_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed]")
ARABIC_LETTER = re.compile("[\u0600-\u06ff]")
_FOLD = str.maketrans(
    {"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ک": "ك", "ی": "ي"}
    | {chr(0x0660 + d): str(d) for d in range(10)}
    | {chr(0x06F0 + d): str(d) for d in range(10)}
)
_DECLARED_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_\-:.]+)""", re.IGNORECASE)
_MAX_CHAOS = 0.2  # charset_normalizer's mess ratio above which a guess is not trusted


def clean_text(text: str, entities: bool = False) -> str:
    """The form a record carries. ``entities``: decode HTML entities too (for scraped text, not extracted HTML)."""
    text = unicodedata.normalize("NFC", html.unescape(text) if entities else text)
    return _INLINE_SPACE.sub(" ", _INVISIBLE.sub("", text)).strip()


def strip_controls(text: str) -> str:
    """Without control characters and bidirectional overrides (see _CONTROLS); everything else as sent."""
    return _CONTROLS.sub("", text)


def has_controls(text: str) -> bool:
    return _CONTROLS.search(text) is not None


def matching_form(text: str) -> str:
    """Folded for comparison: Arabic diacritics, tatweel and letter variants folded, every digit ASCII."""
    return " ".join(strip_marks(text).translate(_FOLD).split())


def strip_marks(text: str) -> str:
    """Without Arabic diacritics, tatweel and invisible characters; letters as written."""
    text = _INVISIBLE.sub("", unicodedata.normalize("NFC", text))
    return _ARABIC_MARKS.sub("", text) if ARABIC_LETTER.search(text) else text


def decode_bytes(data: bytes, origin: str) -> str:
    """UTF-8, else the charset the HTML declares, else a confident guess; a clear error for bytes that are not text."""
    if b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InvalidSubmission(f"{origin}: binary data (NUL bytes), not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        utf8_error = exc
    declared = _DECLARED_CHARSET.search(data[:4096])
    if declared:
        try:
            return data.decode(declared.group(1).decode("ascii"))
        except (LookupError, UnicodeDecodeError):
            pass
    best = charset_normalizer.from_bytes(data).best()
    if best is not None and best.chaos <= _MAX_CHAOS:
        return str(best)
    raise InvalidSubmission(
        f"{origin}: not UTF-8 ({utf8_error.reason} at byte {utf8_error.start}) and no charset was declared or detected"
    )
