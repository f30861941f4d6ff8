"""The labelled news corpora in ../shared/data/topics, read the one way the topic classifier (train_topics.py), its
benchmark, the language means (build_language_means.py) and the Arabic word classes (build_word_classes.py) read
them. Needs no torch."""

from __future__ import annotations

import csv
import hashlib
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "topics"
MASAKHANEWS = {"business": "medtop:04000000", "entertainment": "medtop:01000000", "health": "medtop:07000000",
               "politics": "medtop:11000000", "sports": "medtop:15000000", "technology": "medtop:13000000"}  # fmt: skip
ANT = {"culture": "medtop:01000000", "economy": "medtop:04000000", "politic": "medtop:11000000",
       "society": "medtop:14000000", "sport": "medtop:15000000", "technology": "medtop:13000000"}  # fmt: skip
CAP = 400  # ANT training documents a category at most (sport has 1,000 in the training part, technology 58)


@dataclass(frozen=True)
class Doc:
    id: str
    language: str  # en, ar, or iptc for a topic's name and definition
    title: str
    body: str
    codes: tuple[str, ...]


def masakhanews(split: str) -> list[Doc]:
    csv.field_size_limit(1 << 30)
    with open(DATA / "masakhanews-en" / f"{split}.tsv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return [Doc(f"en:{split}:{n}", "en", r["headline"].strip(), r["text"].strip(), (MASAKHANEWS[r["category"]],))
            for n, r in enumerate(rows)]  # fmt: skip


def ant() -> list[Doc]:
    """ANT's documents in the 6 categories with an IPTC match; a text filed under several is one document with all."""
    found: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for category in ANT:
        for path in sorted((DATA / "ant-v1.1-ar" / category).glob("*.txt")):
            field = _ant_fields(path)
            body = field["BODY"]
            if field["TITLE"] or body:
                found[body or field["TITLE"]].append((field["DOCNO"] or path.stem, field["TITLE"], ANT[category]))
    docs = [Doc(f"ar:{min(c[0] for c in copies)}", "ar", copies[0][1], body, tuple(sorted({c[2] for c in copies})))
            for body, copies in found.items()]  # fmt: skip
    return sorted(docs, key=lambda d: d.id)


def ant_texts() -> list[str]:
    """The title and body of every ANT file, in every folder (categories with no IPTC match too): unlabelled
    Arabic news."""
    paths = sorted((DATA / "ant-v1.1-ar").glob("*/*.txt"))
    return [f"{field['TITLE']}\n{field['BODY']}" for field in map(_ant_fields, paths)]


def _ant_fields(path: Path) -> dict[str, str]:
    raw = path.read_text(encoding="utf-8")
    field = {t: (m.group(1).strip() if (m := re.search(f"<{t}>(.*?)</{t}>", raw, re.S)) else "")
             for t in ("DOCNO", "TITLE", "ABSTRACT", "TEXT")}  # fmt: skip
    field["BODY"] = "\n".join(line.strip() for part in (field["ABSTRACT"], field["TEXT"]) for line in
                              part.splitlines() if line.strip())  # fmt: skip
    return field


def _hash(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)


def ant_part(doc: Doc) -> str:
    return "train" if _hash(doc.id) % 10 < 7 else "test"


def ant_training(docs: list[Doc]) -> list[Doc]:
    """The training part, at most ``CAP`` documents a (first) category, picked by hash."""
    kept: Counter[str] = Counter()
    out = []
    for doc in sorted((d for d in docs if ant_part(d) == "train"), key=lambda d: _hash("cap" + d.id)):
        if kept[doc.codes[0]] < CAP:
            kept[doc.codes[0]] += 1
            out.append(doc)
    return sorted(out, key=lambda d: d.id)
