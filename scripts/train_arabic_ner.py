"""Train newsflow's Arabic name tagger (newsflow/data/ner-ar.crfsuite) on NewsFANE Gold's train split.

    .venv/bin/python scripts/train_arabic_ner.py [--c1 0.05] [--c2 0.01] [--iterations 200]

The corpus (Alotaibi and Lee, COLING 2014; CC BY-SA 3.0) is read as raw text has it (scripts/newsfane.py); each
word gets newsflow.tagging.ner.features, the same function the tagger uses, including the tags newsflow's name tables give
it, so the model learns how far to trust them. Deterministic: the same corpus and tables give the same model.
benchmarks/ner.py scores it on the dev split.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pycrfsuite  # noqa: E402

from config import Settings  # noqa: E402
from newsflow.resources import Resources  # noqa: E402
from newsflow.tagging.entities import table_spans  # noqa: E402
from newsflow.tagging.ner import MODEL, features, table_tags  # noqa: E402
from scripts.newsfane import sentences  # noqa: E402


def labelled(sentence) -> list[str]:
    tags = ["O"] * len(sentence.words)
    for a, b, label in sentence.entities:
        tags[a:b] = [f"B-{label}"] + [f"I-{label}"] * (b - a - 1)
    return tags


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--c1", type=float, default=0.05)
    parser.add_argument("--c2", type=float, default=0.01)
    parser.add_argument("--iterations", type=int, default=200)
    args = parser.parse_args()
    res = Resources(Settings())
    names, gazetteer = res.names, res.gazetteer
    trainer = pycrfsuite.Trainer(verbose=False)
    for sentence in sentences("train", other="MISC"):
        text, spans = sentence.text, sentence.offsets()
        tables = table_tags(spans, table_spans(text, names, gazetteer))
        trainer.append(features(sentence.words, tables), labelled(sentence))
    trainer.set_params({"c1": args.c1, "c2": args.c2, "max_iterations": args.iterations,
                        "feature.possible_transitions": True})  # fmt: skip
    output = ROOT / "newsflow" / "data" / MODEL
    trainer.train(str(output))
    print(f"{output} ({output.stat().st_size / 1e6:.1f} MB)", file=sys.stderr)


if __name__ == "__main__":
    main()
