"""Keyword quality on crowd keyphrases, Arabic (AKEC) and English (500N-KPCrowd): the extractor at git HEAD, the
working tree's, and YAKE, side by side in one run.

    .venv/bin/python benchmarks/keywords.py [--write]

Corpora (../shared/data/keyphrases, see each SOURCE.md): AKEC's 100-document training split, gold from
keyphrases-pure.txt (diacritics removed); KPCrowd's 500 stories, gold from keys/*.key, the stubs that hold only a
title included. Each document goes in as its non-empty lines (paragraphs, the first one its title), page keywords
empty: ``keywords(lines, language, [])``. YAKE (Campos et al. 2020; AGPL-3.0, so never a newsflow dependency; the
Makefile target installs it into the venv) reads the same lines joined by newlines, with its defaults except top=10
(n=3, dedupLim=0.9, its own stop list for the language).

Halves: a document is in the tuning half when the first byte of sha256(its file name without .txt) is even, else
in the held-apart half. The extractor's rules and weights were chosen on the tuning half only.

Scoring, per document then averaged over documents (macro): the first ten predictions against the whole gold list.
  strict   a prediction hits when it equals a gold phrase after both are normalised alike: newsflow.text's
           matching_form (Arabic diacritics and letter variants folded), lower-cased, split into \\w+ words joined
           by one space.
  lenient  as strict, and then each Arabic word without its proclitics (و ف ب ل ك, combined) and article, and each
           English word without a final s: the clitic and the plural a strict match counts against.
P@10: hits / predictions (at most 10). R@10: gold phrases hit / min(10, gold phrases), since ten predictions cannot
hit more than ten of AKEC's ~64 or KPCrowd's ~48 phrases a document; F1@10 from P@10 and R@10. "R all" divides by
the whole gold list instead (the recall YAKE's paper reports). Speed: the extractor's own time per document, one
process, documents in turn.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.machine import describe  # noqa: E402
from newsflow.tagging import keywords as new  # noqa: E402
from newsflow.text import matching_form  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "keyphrases"
AKEC = DATA / "akec-ar"
KPCROWD = DATA / "kpcrowd-en" / "500N-KPCrowd-v1.1"
RESULTS = ROOT / "benchmarks" / "results" / "keywords.md"
TOP = 10
_WORD = re.compile(r"\w+")
_PROCLITIC = re.compile(r"^(?:[وف]?[بلك]|[وف])(?=\w{3})")
_ARTICLE = re.compile(r"^(?:ال|ل)(?=\w{2})")

Extractor = Callable[[list[str], str], list[str]]


@dataclass(frozen=True)
class Document:
    id: str
    lines: list[str]
    gold: list[str]

    @property
    def half(self) -> str:
        return "tuning" if hashlib.sha256(self.id.encode()).digest()[0] % 2 == 0 else "held-apart"


def _lines(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8-sig").splitlines() if line.strip()]


def akec() -> Iterator[Document]:
    gold = {}
    for line in (AKEC / "keyphrases-pure.txt").read_text(encoding="utf-8-sig").splitlines():
        doc_id, _, phrases = line.partition(" : ")
        gold[doc_id.strip()] = [p for p in phrases.split(",") if p.strip()]
    for path in sorted((AKEC / "documents").glob("*.txt")):
        yield Document(path.stem, _lines(path), gold[path.stem])


def kpcrowd() -> Iterator[Document]:
    for path in sorted((KPCROWD / "docsutf8").glob("*.txt")):
        yield Document(path.stem, _lines(path), _lines(KPCROWD / "keys" / f"{path.stem}.key"))


def strict(phrase: str) -> str:
    return " ".join(_WORD.findall(matching_form(phrase).lower()))


def lenient(phrase: str) -> str:
    words = strict(phrase).split()
    return " ".join(_ARTICLE.sub("", _PROCLITIC.sub("", w)) if w.isalpha() and not w.isascii() else w.removesuffix("s")
                    for w in words)  # fmt: skip


def score(docs: list[Document], predictions: list[list[str]], form: Callable[[str], str]) -> tuple[float, ...]:
    p_sum = r_sum = r_all_sum = 0.0
    for doc, predicted in zip(docs, predictions, strict=True):
        gold = {form(g) for g in doc.gold} - {""}
        guesses = list(dict.fromkeys(form(p) for p in predicted[:TOP]))
        hits = sum(g in gold for g in guesses)
        p_sum += hits / len(guesses) if guesses else 0.0
        r_sum += hits / min(TOP, len(gold)) if gold else 0.0
        r_all_sum += hits / len(gold) if gold else 0.0
    p, r = p_sum / len(docs), r_sum / len(docs)
    return p, r, 2 * p * r / (p + r) if p + r else 0.0, r_all_sum / len(docs)


def head_module() -> ModuleType:
    """newsflow/tagging/keywords.py as committed at HEAD, imported under another name."""
    source = subprocess.run(["git", "-C", str(ROOT), "show", "HEAD:newsflow/tagging/keywords.py"],
                            capture_output=True, text=True, check=True).stdout  # fmt: skip
    path = Path(tempfile.mkdtemp()) / "keywords_head.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("keywords_head", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def yake_extractor() -> Extractor | None:
    try:
        import yake
    except ImportError:
        return None
    extractors = {lang: yake.KeywordExtractor(lan=lang, n=3, top=TOP) for lang in ("ar", "en")}
    return lambda lines, lang: [k for k, _ in extractors[lang].extract_keywords("\n".join(lines))]


def yake_version() -> str:
    try:
        return f"yake {metadata.version('yake')}"
    except metadata.PackageNotFoundError:
        return "not installed"


def run(extract: Extractor, docs: list[Document], lang: str) -> tuple[list[list[str]], float]:
    predictions, seconds = [], 0.0
    extract(docs[0].lines, lang)  # word lists and stop lists load on first use: not part of the time per document
    for doc in docs:
        started = time.perf_counter()
        predictions.append(extract(doc.lines, lang))
        seconds += time.perf_counter() - started
    return predictions, seconds / len(docs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help=f"write {RESULTS.relative_to(ROOT)}")
    args = parser.parse_args()
    if not (AKEC.is_dir() and KPCROWD.is_dir()):
        print(f"skipped: the keyphrase corpora are not under {DATA} (this benchmark needs ../shared/data)")
        return
    old = head_module()
    systems: dict[str, Extractor | None] = {
        "HEAD": lambda lines, lang: old.keywords(lines, lang, []),
        "this tree": lambda lines, lang: new.keywords(lines, lang, []),
        "YAKE": yake_extractor(),
    }
    corpora = {"ar": ("AKEC", list(akec())), "en": ("KPCrowd", list(kpcrowd()))}
    lines = [
        "# Keywords on crowd keyphrases",
        "",
        f"Command: `.venv/bin/python benchmarks/keywords.py --write` ({datetime.now(UTC):%Y-%m-%d}, {describe()}). "
        "Matching, halves and averaging in the module docstring; the extractor was tuned on the tuning half only.",
        "",
        "| corpus | half | docs | extractor | P@10 | R@10 | F1@10 | R all | lenient P@10 | lenient F1@10 "
        "| ms per doc |",
        "|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for lang, (corpus, docs) in corpora.items():
        for half in ("tuning", "held-apart"):
            part = [d for d in docs if d.half == half]
            for name, extract in systems.items():
                if extract is None:
                    lines.append(f"| {corpus} ({lang}) | {half} | {len(part)} | {name} | not installed |||||||")
                    continue
                predicted, seconds = run(extract, part, lang)
                p, r, f, r_all = score(part, predicted, strict)
                lp, _, lf, _ = score(part, predicted, lenient)
                lines.append(f"| {corpus} ({lang}) | {half} | {len(part)} | {name} | {p:.3f} | {r:.3f} | {f:.3f} | "
                             f"{r_all:.3f} | {lp:.3f} | {lf:.3f} | {seconds * 1000:.1f} |")  # fmt: skip
    lines += [
        "",
        "HEAD: newsflow/tagging/keywords.py as committed; this tree: the working tree's; YAKE: "
        f"{yake_version()}, its defaults with top=10. Time per document excludes loading word and stop lists.",
        "",
        "Targets: Arabic F1@10 at least 0.40 on the held-apart half (strict); English no worse than HEAD.",
    ]
    report = "\n".join(lines) + "\n"
    print(report)
    if args.write:
        RESULTS.write_text(report)


if __name__ == "__main__":
    main()
