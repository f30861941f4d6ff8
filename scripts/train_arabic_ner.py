"""Train newsflow's Arabic name tagger on NewsFANE Gold's train split: the encoder head (newsflow/data/ner-ar-head.npz),
the CRF that weighs it beside its own features (ner-ar-encoder.crfsuite) and the CRF alone, for sentences past an
article's lead (ner-ar.crfsuite). Needs requirements/train.txt (torch).

    .venv/bin/python scripts/train_arabic_ner.py [--folds 5] [--cross-validate]

The corpus (Alotaibi and Lee, COLING 2014; CC BY-SA 3.0) is read as raw text has it (scripts/newsfane.py); each
sentence is encoded as the tag stage encodes an article's lead (newsflow/tagging/encoder.py). The head
(newsflow.tagging.ner.NameHead) reads the state of each word's first piece with its neighbours'; torch trains it
(AdamW, seeded, one thread), and inference needs numpy only. The CRF must learn how far to trust the head on words
the head did not train on, so it reads out-of-fold probabilities: ``--folds`` runs of consecutive sentences, the
head of each fold trained on the others. The shipped head is then trained on all of train. Each word also gets
newsflow.tagging.ner.features, the function the tagger uses, including the tags the name tables give it.
``--cross-validate`` also scores the whole procedure by the same folds (each CRF trained on the other folds, exact
spans), the figures the choice of settings was made on;
benchmarks/ner.py scores the shipped model on the dev split, which training never reads. Deterministic: the same
corpus, tables and settings give the same model.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pycrfsuite  # noqa: E402
import torch  # noqa: E402

from config import Settings  # noqa: E402
from newsflow.tagging.encoder import ArticleEncoder  # noqa: E402
from newsflow.tagging.entities import table_spans  # noqa: E402
from newsflow.tagging.gazetteer import Gazetteer  # noqa: E402
from newsflow.tagging.names import known_names  # noqa: E402
from newsflow.tagging.ner import (  # noqa: E402
    HEAD,
    HEAD_LABELS,
    MODEL,
    STACKED,
    NameHead,
    bio_spans,
    features,
    in_context,
    table_tags,
    unread,
)
from scripts.newsfane import Sentence, sentences  # noqa: E402

BATCH = 32  # sentences per encoder call
HEAD_SHAPE = {"hidden": 256, "epochs": 8, "batch": 256, "learning_rate": 1e-3, "weight_decay": 1e-2, "dropout": 0.2}
CRF = {"c1": 0.05, "c2": 0.01, "max_iterations": 200, "feature.possible_transitions": True}
DATA = ROOT / "newsflow" / "data"


def labelled(sentence: Sentence) -> list[str]:
    tags = ["O"] * len(sentence.words)
    for a, b, label in sentence.entities:
        tags[a:b] = [f"B-{label}"] + [f"I-{label}"] * (b - a - 1)
    return tags


def word_states(corpus: list[Sentence], encoder: ArticleEncoder) -> list[np.ndarray]:
    """Per sentence, the encoder's state of the first piece of each word it read (a sentence is read as a lead is;
    the few words past the encoder's positions get no row)."""
    states = []
    for at in range(0, len(corpus), BATCH):
        batch = corpus[at : at + BATCH]
        for sentence, encoding in zip(batch, encoder.encode([s.text for s in batch]), strict=True):
            states.append(encoding.at([start for start, _ in sentence.offsets() if start < encoding.end]))
    return states


def train_head(states: list[np.ndarray], tags: list[list[str]]) -> NameHead:
    torch.manual_seed(0)
    torch.set_num_threads(1)
    inputs = torch.tensor(np.concatenate([in_context(s.astype(np.float32)) for s in states]))
    labels = torch.tensor([HEAD_LABELS.index(t) if t in HEAD_LABELS else 0
                           for sentence, read in zip(tags, states, strict=True) for t in sentence[: len(read)]])  # fmt: skip
    hidden, output = torch.nn.Linear(inputs.shape[1], HEAD_SHAPE["hidden"]), torch.nn.Linear(HEAD_SHAPE["hidden"], 7)
    network = torch.nn.Sequential(
        hidden, torch.nn.GELU(approximate="tanh"), torch.nn.Dropout(HEAD_SHAPE["dropout"]), output
    )
    optimiser = torch.optim.AdamW(network.parameters(), lr=HEAD_SHAPE["learning_rate"],
                                  weight_decay=HEAD_SHAPE["weight_decay"])  # fmt: skip
    for _ in range(HEAD_SHAPE["epochs"]):
        order = torch.randperm(len(inputs))
        for at in range(0, len(order), HEAD_SHAPE["batch"]):
            batch = order[at : at + HEAD_SHAPE["batch"]]
            optimiser.zero_grad()
            torch.nn.functional.cross_entropy(network(inputs[batch]), labels[batch]).backward()
            optimiser.step()
    weights = [p.detach().numpy() for p in (hidden.weight, hidden.bias, output.weight, output.bias)]
    return NameHead(weights[0].T, weights[1], weights[2].T, weights[3])


def out_of_fold(states: list[np.ndarray], tags: list[list[str]], folds: list[int]) -> list[np.ndarray]:
    """Each sentence's head probabilities from the head trained on the other folds; NaN rows for words not read."""
    found = [unread(len(t)) for t in tags]
    for k in sorted(set(folds)):
        inside = [i for i, f in enumerate(folds) if f != k]
        head = train_head([states[i] for i in inside], [tags[i] for i in inside])
        for i in (i for i, f in enumerate(folds) if f == k):
            if len(states[i]):
                found[i][: len(states[i])] = head.probabilities(states[i])
    return found


def train_crf(items: list[list[dict[str, float]]], tags: list[list[str]], output: Path) -> None:
    trainer = pycrfsuite.Trainer(verbose=False)
    for features_, labels in zip(items, tags, strict=True):
        trainer.append(pycrfsuite.ItemSequence(features_), labels)
    trainer.set_params(CRF)
    trainer.train(str(output))


def cross_validate(items: list[list[dict[str, float]]], tags: list[list[str]], folds: list[int]) -> str:
    """Exact-span F1 of the CRF trained on the other folds."""
    gold: set[tuple[int, int, int, str]] = set()
    found: set[tuple[int, int, int, str]] = set()
    for k in sorted(set(folds)):
        with tempfile.TemporaryDirectory() as scratch:
            model = Path(scratch) / "fold.crfsuite"
            train_crf([x for x, f in zip(items, folds, strict=True) if f != k],
                      [t for t, f in zip(tags, folds, strict=True) if f != k], model)  # fmt: skip
            crf = pycrfsuite.Tagger()
            crf.open(str(model))
            for n in (n for n, f in enumerate(folds) if f == k):
                gold |= {(n, *span) for span in bio_spans(tags[n]) if span[2] != "MISC"}
                found |= {(n, *span) for span in bio_spans(crf.tag(pycrfsuite.ItemSequence(items[n])))
                          if span[2] != "MISC"}  # fmt: skip
    return " ".join(f"{label} {_f1(gold, found, label):.3f}" for label in ("micro", "PER", "ORG", "LOC"))


def _f1(gold: set, found: set, label: str) -> float:
    gold, found = ({s for s in x if label in ("micro", s[3])} for x in (gold, found))
    hits = len(gold & found)
    return 2 * hits / (len(gold) + len(found)) if gold or found else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--cross-validate", action="store_true", help="also score the procedure by its folds")
    args = parser.parse_args()
    settings = Settings()
    names, gazetteer = known_names(), Gazetteer.from_packages(settings.min_place_population)
    corpus = sentences("train", other="MISC")
    tags = [labelled(s) for s in corpus]
    folds = [n * args.folds // len(corpus) for n in range(len(corpus))]
    states = word_states(corpus, ArticleEncoder(settings.models_dir).warm())
    tables = [table_tags(s.offsets(), table_spans(s.text, names, gazetteer)) for s in corpus]
    probabilities = out_of_fold(states, tags, folds)
    read = [features(s.words, t, p) for s, t, p in zip(corpus, tables, probabilities, strict=True)]
    alone = [features(s.words, t, unread(len(s.words))) for s, t in zip(corpus, tables, strict=True)]
    if args.cross_validate:
        for name, items in (("with the head", read), ("alone", alone)):
            print(f"{args.folds}-fold cross-validation on train, the CRF {name} (F1): {cross_validate(items, tags, folds)}",
                  file=sys.stderr)  # fmt: skip
    head = train_head(states, tags)
    np.savez_compressed(DATA / HEAD, hidden=head.hidden.astype(np.float16), hidden_bias=head.hidden_bias,
                        output=head.output, output_bias=head.output_bias)  # fmt: skip
    train_crf(read, tags, DATA / STACKED)
    train_crf(alone, tags, DATA / MODEL)
    for name in (HEAD, STACKED, MODEL):
        print(f"{DATA / name} ({(DATA / name).stat().st_size / 1e6:.1f} MB)", file=sys.stderr)


if __name__ == "__main__":
    main()
