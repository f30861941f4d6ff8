"""The Arabic name tagger against NewsFANE Gold's dev split, with the tagger of an earlier tree and a gazetteer-only
baseline in the same run.

    .venv/bin/python benchmarks/ner.py [--before TREE] [--write]

Scoring: exact character spans, micro and per class, over person / organisation / place (the corpus's fine types
rolled up as ../shared/data/ner/newsfane/SOURCE.md says; other types left out of gold and prediction). Alignment:
the corpus is clitic-segmented (و ب ل ... and pronoun suffixes split off); newsflow tags raw text, so each sentence
is glued back into words (scripts/newsfane.py) and gold entities cover whole words of the text " ".join(words);
the taggers run on that text and their spans are compared with gold as (start, end, class).
  tagger     what the tag stage runs (newsflow.tagging.tagger.Tagger.spans): the CRF, which reads the name tables and
             the encoder head, its spans linked to the tables, plus known people and organisations it missed
  CRF only   the model's own spans, no table spans added
  CRF without the encoder  the CRF trained without the classifier (the one for sentences past the lead) on every
             sentence: what the encoder adds
  classifier only  the fine-tuned names classifier's best label per word, no CRF (what the encoder's states
             alone know)
  unseen R   recall on the gold entities whose text is no entity's text in train: names the tagger cannot have
             memorised, the best guide here to news about other people than the corpus's
  tables     the gazetteer-only baseline: known names and gazetteer spans only
  articles   the tagger on articles of ARTICLE consecutive dev sentences (the corpus keeps their order), read as the
             tag stage reads a body: the encoder reads its lead (the sentences of the first 128 positions), the CRF
             without it the rest; with and without marking a name found once where it recurs
             (newsflow.tagging.entities.recurring)
  before     ``--before TREE`` (a `git worktree` of an earlier commit): that tree's own benchmarks/ner.py, run by this
             venv in a subprocess, its rows as it prints them
Dev is never read by training (scripts/train_arabic_ner.py chooses its settings by cross-validation on train).
"""

from __future__ import annotations

import argparse
import dataclasses
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.machine import describe  # noqa: E402
from config import Settings  # noqa: E402
from newsflow.resources import Resources  # noqa: E402
from newsflow.tagging.entities import Span, table_spans  # noqa: E402
from newsflow.tagging.ner import TYPES, bio_spans, likeliest, words  # noqa: E402
from newsflow.tagging.tagger import Tagger  # noqa: E402
from scripts.newsfane import ARTICLE, CORPUS, articles, sentences  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "ner.md"
CLASSES = {"person": "PER", "organisation": "ORG", "place": "LOC"}


def score(pairs: list[tuple[set, set]]) -> dict[str, tuple[float, float, float, int]]:
    result = {}
    for label in ("micro", "PER", "ORG", "LOC"):
        keep = (lambda s: True) if label == "micro" else (lambda s, label=label: s[2] == label)  # noqa: E731
        tp = sum(len({g for g in gold if keep(g)} & {p for p in pred if keep(p)}) for gold, pred in pairs)
        predicted = sum(len([p for p in pred if keep(p)]) for _, pred in pairs)
        golden = sum(len([g for g in gold if keep(g)]) for gold, _ in pairs)
        p, r = tp / predicted if predicted else 0.0, tp / golden if golden else 0.0
        result[label] = (p, r, 2 * p * r / (p + r) if p + r else 0.0, golden)
    return result


def cells(s: dict[str, tuple[float, float, float, int]]) -> str:
    """A score's table cells: micro P, R, F1, then person, organisation and place F1."""
    return " | ".join(f"{x:.3f}" for x in (*s["micro"][:3], s["PER"][2], s["ORG"][2], s["LOC"][2]))


def as_set(spans) -> set[tuple[int, int, str]]:
    return {(s.start, s.end, CLASSES[s.type]) for s in spans}


def head_only(tagger: Tagger, text: str, encoding) -> list[Span]:
    spans = words(text)
    best = likeliest(tagger.arabic.head.probabilities(encoding.at([s for s, _ in spans])))
    return [Span(spans[a][0], spans[b - 1][1], TYPES[label], "classifier")
            for a, b, label in bio_spans([x or "O" for x in best])]  # fmt: skip


def before(tree: Path) -> list[str]:
    """The result rows of ``tree``'s own benchmark, named for it."""
    run = subprocess.run([sys.executable, str(tree / "benchmarks" / "ner.py")], capture_output=True, text=True,
                         check=True, cwd=tree)  # fmt: skip
    commit = subprocess.run(["git", "-C", str(tree), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    rows = [line for line in run.stdout.splitlines() if line.startswith("| ") and "---" not in line][1:]
    return [
        f"| {row[2:].split(' |')[0]} at {commit.stdout.strip()} (before) |{row[2:].split(' |', 1)[1]}" for row in rows
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, help="an earlier tree (git worktree) to score in the same run")
    parser.add_argument("--write", action="store_true", help=f"write {RESULTS.relative_to(ROOT)}")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        sys.exit(f"NewsFANE is not at {CORPUS}: this benchmark needs ../shared/data")
    res = Resources(Settings())
    tagger = res.tagger
    names, gazetteer = tagger.names, tagger.gazetteer
    dev = sentences("dev")
    runs: dict[str, list] = {"tagger": [], "CRF only": [], "CRF without the encoder": [], "classifier only": [],
                             "tables (baseline)": []}  # fmt: skip
    known = {" ".join(s.words[a:b]) for s in sentences("train") for a, b, _ in s.entities}
    unseen: list[set[tuple[int, int, str]]] = []
    started, count = time.perf_counter(), 0
    for sentence in dev:
        text, gold = sentence.text, sentence.char_entities()
        count += len(sentence.words)
        (encoding,) = tagger.encoder.encode([text])
        runs["tagger"].append((gold, as_set(tagger.spans(text, "ar", encoding))))
        runs["CRF only"].append((gold, as_set(tagger.arabic.tag(text, encoding))))
        nothing_read = dataclasses.replace(encoding, end=0)  # every sentence past the lead: the CRF alone tags it
        runs["CRF without the encoder"].append((gold, as_set(tagger.arabic.tag(text, nothing_read))))
        runs["classifier only"].append((gold, as_set(head_only(tagger, text, encoding))))
        unseen.append({(a, b, label) for a, b, label in gold if text[a:b] not in known})
        runs["tables (baseline)"].append((gold, as_set(table_spans(text, names, gazetteer))))
    seconds = time.perf_counter() - started
    in_articles: dict[str, list] = {f"tagger, articles of {ARTICLE} sentences": [], "the same without recurrences": []}
    unseen_in_articles: list[set[tuple[int, int, str]]] = []
    for n, (part, text, starts) in enumerate(articles(dev)):
        shifted = [{(a + at, b + at, label) for a, b, label in entities}
                   for at, entities in zip(starts, unseen[n * ARTICLE : n * ARTICLE + len(part)], strict=True)]  # fmt: skip
        unseen_in_articles.append(set().union(*shifted))
        gold = {
            (a + at, b + at, label) for at, s in zip(starts, part, strict=True) for a, b, label in s.char_entities()
        }
        (encoding,) = tagger.encoder.encode([text])
        for pairs, recurrences in zip(in_articles.values(), (True, False), strict=True):
            pairs.append((gold, as_set(tagger.spans(text, "ar", encoding, recurrences=recurrences))))
    lines = [
        "# Arabic NER on NewsFANE Gold (dev)",
        "",
        f"Command: `.venv/bin/python benchmarks/ner.py{' --before ' + str(args.before) if args.before else ''} --write` "
        f"({datetime.now(UTC):%Y-%m-%d}, {describe()}). "
        f"{len(dev)} sentences, {count} words; "
        "exact character spans; method in the module docstring.",
        "",
        "| tagger | micro P | micro R | micro F1 | person F1 | organisation F1 | place F1 | unseen R |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for table, unseen_in in ((runs, unseen), (in_articles, unseen_in_articles)):
        for name, pairs in table.items():
            found = sum(len(u & pred) for u, (_, pred) in zip(unseen_in, pairs, strict=True)) / sum(map(len, unseen_in))
            lines.append(f"| {name} | {cells(score(pairs))} | {found:.3f} |")
    lines += before(args.before) if args.before else []
    gold = score(runs["tagger"])
    lines += ["", f"Gold entities: person {gold['PER'][3]}, organisation {gold['ORG'][3]}, place {gold['LOC'][3]}; "
              f"{sum(map(len, unseen))} of them unseen in train.",
              f"Speed (this tree's five rows of sentences, one process, each sentence encoded on its own): {count / seconds:,.0f} words/s.",
              "", "Targets (issue 17, to be met on held-out news): micro F1 at least 0.80, person and organisation at least 0.70."]  # fmt: skip
    report = "\n".join(lines) + "\n"
    print(report)
    if args.write:
        RESULTS.write_text(report)


if __name__ == "__main__":
    main()
