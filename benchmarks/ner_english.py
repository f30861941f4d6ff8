"""English names on a small set of news-style sentences written for newsflow (benchmarks/data/english-news-ner.txt),
exact character spans, micro and per type; the rows: the tag stage's English names (spaCy, linked to the name
tables, plus table matches), spaCy alone, and the tables alone.

    .venv/bin/python benchmarks/ner_english.py [--write]      (part of make bench-ner)

There is no open English news NER set on this machine (none comes in a package from PyPI, Debian or npm), so these
50 sentences stand in: written by one of us in the manner of wire news of 2023 and 2024, 127 names, most of them
well known, a few people invented (Kemal Yilmaz, Claire Moreau, Amina Diallo, Rashid Haddad, Daniel Okafor). Nobody tuned the tagger on them. They are few and written by someone who knows what the
tagger does, so read the figures as a check on the tag stage's conventions (what it drops, where a name ends) and a
rough level, not as the score of a test set from other outlets.
"""

from __future__ import annotations

import argparse
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.machine import describe  # noqa: E402
from benchmarks.ner import as_set, cells, score  # noqa: E402
from config import Settings  # noqa: E402
from newsflow.resources import Resources  # noqa: E402
from newsflow.tagging.entities import table_spans  # noqa: E402

DATA = ROOT / "benchmarks" / "data" / "english-news-ner.txt"
RESULTS = ROOT / "benchmarks" / "results" / "ner-english.md"
_MARK = re.compile(r"\[([^\]|]+)\|(PER|ORG|LOC)\]")


def sentence(marked: str) -> tuple[str, set[tuple[int, int, str]]]:
    """The plain text of one marked line and its names as (start, end, type)."""
    plain, found, last = "", set(), 0
    for match in _MARK.finditer(marked):
        plain += marked[last : match.start()]
        found.add((len(plain), len(plain) + len(match.group(1)), match.group(2)))
        plain += match.group(1)
        last = match.end()
    return plain + marked[last:], found


def _miss(text: str, name: tuple[int, int, str], found: set[tuple[int, int, str]]) -> str:
    """A gold name the tag stage did not find as it is, and what it found there instead."""
    a, b, label = name
    instead = [f"{text[c:d]} ({kind})" for c, d, kind in sorted(found) if c < b and a < d]
    return f"{text[a:b]} ({label}) → {' + '.join(instead) or 'nothing'}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help=f"write {RESULTS.relative_to(ROOT)}")
    args = parser.parse_args()
    tagger = Resources(Settings()).tagger
    lines = [line for line in DATA.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    runs: dict[str, list] = {"tag stage": [], "spaCy only": [], "tables (baseline)": []}
    misses: list[str] = []
    for text, gold in map(sentence, lines):
        (encoding,) = tagger.encoder.encode([text])
        found = as_set(tagger.spans(text, "en", encoding))
        runs["tag stage"].append((gold, found))
        runs["spaCy only"].append((gold, as_set(tagger.english.tag(text))))
        runs["tables (baseline)"].append((gold, as_set(table_spans(text, tagger.names, tagger.gazetteer))))
        misses += [_miss(text, name, found) for name in sorted(gold - found)]
    report = [
        "# English names on newsflow's own news-style sentences",
        "",
        f"Command: `.venv/bin/python benchmarks/ner_english.py --write` ({datetime.now(UTC):%Y-%m-%d}, {describe()}). "
        f"{len(lines)} sentences written for newsflow ({DATA.relative_to(ROOT)}); exact character spans; what the "
        "figures are worth: the module docstring.",
        "",
        "| tagger | micro P | micro R | micro F1 | person F1 | organisation F1 | place F1 |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, pairs in runs.items():
        report.append(f"| {name} | {cells(score(pairs))} |")
    gold = score(runs["tag stage"])
    report += ["", f"Gold names: person {gold['PER'][3]}, organisation {gold['ORG'][3]}, place {gold['LOC'][3]}.",
               "", "Names the tag stage missed or cut differently, and what it found there:", "",
               *(f"- {miss}" for miss in misses),
               "", "Target (issue 17, on an open news NER set): micro F1 at least 0.70."]  # fmt: skip
    text = "\n".join(report) + "\n"
    print(text)
    if args.write:
        RESULTS.write_text(text)


if __name__ == "__main__":
    main()
