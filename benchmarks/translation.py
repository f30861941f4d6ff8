"""The translate stage, measured: CTranslate2 speed by batch size, the translation memory's speed-up, the stage
inside a running pipeline against raw CTranslate2 on the same model and sentences, and the gloss backend's chrF.

    .venv/bin/python benchmarks/translation.py [--device cpu|cuda] [--rounds 3] [--write]

Model: no package ships Arabic-to-English weights, so the model is a Marian-base-sized transformer (6+6 layers,
512 wide, 8 heads, 2048 FFN, a 32,000-entry vocabulary; the size of OPUS-MT and Argos Translate models) with
random weights, int8 on CPU (float16 on CUDA), greedy, built by tests/modelkit.py with a SentencePiece model trained
on the NTREX English and Arabic sentences. It never predicts the end of a sentence, so every translation is exactly
DECODE_TOKENS long (a fixed decode length: speed does not depend on what random weights happen to say).

Sentences: the Arabic side of ../shared/data/translation/ntrex128-ar-en (1,997 news sentences in 123 documents;
one document is one article). chrF/BLEU: sacrebleu, gloss output against the English references.
  raw            ctranslate2.Translator.translate_batch in this process, batch sizes 1, 8, 32 (sorted by length).
  memory         the same sentences through TranslationService with a Redis translation memory: cold, then warm.
  stage          the articles queued for the translate stage of a running deployment (a threads-pool translate
                 worker, NEWSFLOW_TRANSLATE_BATCH_SIZE=32, and a worker for tag and publish), memory off, timed
                 from the first message queued to the last record published; raw CTranslate2 at batch 32 on the
                 same sentences in turns with it, ROUNDS times.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import redis
from pydantic import SecretStr

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.machine import describe  # noqa: E402
from config import Settings  # noqa: E402
from newsflow.models import install, installed  # noqa: E402
from newsflow.resources import Resources  # noqa: E402
from newsflow.schema import Article  # noqa: E402
from newsflow.state.keys import Keys  # noqa: E402
from newsflow.translation.ct2 import CTranslate2Backend, Decoding  # noqa: E402
from newsflow.translation.gloss import GlossBackend  # noqa: E402
from newsflow.translation.memory import TranslationMemory  # noqa: E402
from newsflow.translation.service import TranslationService  # noqa: E402
from tests.modelkit import Shape, argos_package, build_model  # noqa: E402
from workers.dev.embedded import LocalWorkers, PrivateRedis  # noqa: E402
from workers.runtime.app import create_app, dispatcher  # noqa: E402

NTREX = ROOT.parent / "shared" / "data" / "translation" / "ntrex128-ar-en"
RESULTS = ROOT / "benchmarks" / "results" / "translation.md"
DECODE_TOKENS = 40
THREADS = 2


def ntrex() -> tuple[list[str], list[str], list[str]]:
    read = lambda name: (NTREX / name).read_text(encoding="utf-8").splitlines()  # noqa: E731
    return read("newstest2019-ref.arb.txt"), read("newstest2019-src.eng.txt"), read("DOCUMENT_IDS.tsv")


def articles(arabic: list[str], documents: list[str]) -> list[Article]:
    """One article per NTREX document: its first sentence the title, the rest one paragraph per sentence."""
    grouped: dict[str, list[str]] = {}
    for sentence, document in zip(arabic, documents, strict=True):
        grouped.setdefault(document, []).append(sentence)
    return [Article(id=f"ntrex-{n}", received_at=datetime.now(UTC), language="ar", title=lines[0], body=lines[1:])
            for n, lines in enumerate(grouped.values()) if len(lines) > 1]  # fmt: skip


def model_store(folder: Path, device: str, lines: list[str]) -> Path:
    quantization = "int8" if device == "cpu" else "float16"
    model = build_model(folder / "model", Shape.marian_base(), quantization, lines=lines, tokenizer_vocabulary=8000,
                        model_vocabulary=32_000, endless=True)  # fmt: skip
    store = folder / "models"
    install(argos_package(folder / "base.argosmodel", model), store)
    return store


def raw_speed(backend: CTranslate2Backend, sentences: list[str], batch: int) -> float:
    started = time.perf_counter()
    out = backend.models[0].translate(sentences, "ar", "en", Decoding(batch, DECODE_TOKENS))
    assert len(out) == len(sentences)
    return len(sentences) / (time.perf_counter() - started)


def stage_speed(app, client: redis.Redis, settings: Settings, batch: list[Article], tag: str) -> float:
    """Sentences/s from queueing ``batch`` (under fresh ids: publish writes an id once) to its last record."""
    client.delete(settings.output_stream)
    dispatch, started = dispatcher(app), time.perf_counter()
    for article in batch:
        message = {**article.model_dump(mode="json"), "id": f"{article.id}-{tag}"}
        dispatch("translate", message)
    while client.xlen(settings.output_stream) < len(batch):
        if client.xlen(settings.dead_letter_stream):
            sys.exit(f"an article was dead-lettered: {client.xrange(settings.dead_letter_stream)[0]}")
        time.sleep(0.02)
    sentences = sum(len(a.body) + 1 for a in batch)
    return sentences / (time.perf_counter() - started)


def gloss_quality(arabic: list[str], english: list[str]) -> dict[str, float]:
    import sacrebleu

    res = Resources(Settings())
    gloss = GlossBackend.load([res.names, res.gazetteer])
    started = time.perf_counter()
    out = gloss.translate(arabic, "ar", "en")
    seconds = time.perf_counter() - started
    return {
        "chrf": sacrebleu.corpus_chrf(out, [english]).score,
        "bleu": sacrebleu.corpus_bleu(out, [english]).score,
        "chrf_untranslated": sacrebleu.corpus_chrf(arabic, [english]).score,
        "sentences_per_s": len(arabic) / seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--write", action="store_true", help=f"write {RESULTS.relative_to(ROOT)}")
    args = parser.parse_args()
    if not NTREX.is_dir():
        sys.exit(f"NTREX is not at {NTREX}: this benchmark needs ../shared/data")
    arabic, english, documents = ntrex()
    work = Path(tempfile.mkdtemp(prefix="newsflow-bench-translation-"))
    store = model_store(work, args.device, arabic + english)
    backend = CTranslate2Backend.load(installed(store), "en", args.device, "default", THREADS,
                                      Decoding(32, DECODE_TOKENS))  # fmt: skip
    tokens_in = statistics.mean(len(backend.models[0]._source_tokens(s, "ar", DECODE_TOKENS)) for s in arabic)
    sample = arabic[:: max(1, len(arabic) // 256)][:256]
    raw = {1: raw_speed(backend, sample[:48], 1), 8: raw_speed(backend, sample[:128], 8),
           32: raw_speed(backend, sample, 32)}  # fmt: skip
    print("raw", raw, flush=True)

    quality = gloss_quality(arabic, english)
    print("gloss", quality, flush=True)

    with PrivateRedis() as server:
        client = redis.Redis.from_url(server.url)
        memory = TranslationService([backend], TranslationMemory(client, Keys("bench", "", ""), 3600))
        started = time.perf_counter()
        memory.translate(sample, "ar", "en")
        cold = len(sample) / (time.perf_counter() - started)
        started = time.perf_counter()
        memory.translate(sample, "ar", "en")
        warm = len(sample) / (time.perf_counter() - started)
        print("memory", cold, warm, flush=True)

        settings = Settings(redis_url=SecretStr(server.url), translation_memory_ttl_s=0)
        app = create_app(settings)
        env = {"NEWSFLOW_MODELS_DIR": str(store), "NEWSFLOW_TRANSLATE_MAX_TOKENS": str(DECODE_TOKENS),
               "NEWSFLOW_TRANSLATE_THREADS": str(THREADS), "NEWSFLOW_TRANSLATION_MEMORY_TTL_S": "0",
               "NEWSFLOW_TRANSLATE_DEVICE": args.device}  # fmt: skip
        chosen = articles(arabic, documents)[:24]
        chosen_sentences = [s for a in chosen for s in [a.title, *a.body]]
        with (LocalWorkers(server.url, concurrency=8, name="mt", stages="translate", env=env),
              LocalWorkers(server.url, concurrency=1, name="rest", stages="tag,cluster,publish", env=env)):  # fmt: skip
            while len(app.control.ping(timeout=0.5)) < 2:
                time.sleep(0.5)
            stage_speed(app, client, settings, chosen[:2], "warm-up")
            pairs = []
            for n in range(args.rounds):
                in_stage = stage_speed(app, client, settings, chosen, f"round-{n}")
                in_raw = raw_speed(backend, chosen_sentences, 32)
                pairs.append((in_stage, in_raw))
                print(f"round {n + 1}: stage {in_stage:.1f}/s raw {in_raw:.1f}/s", flush=True)
    report = render(args, raw, tokens_in, quality, cold, warm, pairs, len(chosen), len(chosen_sentences))
    print(report)
    if args.write:
        RESULTS.write_text(report)


def render(args, raw, tokens_in, quality, cold, warm, pairs, n_articles, n_sentences) -> str:
    stage = statistics.median(p[0] for p in pairs)
    raw32 = statistics.median(p[1] for p in pairs)
    ratios = [p[0] / p[1] for p in pairs]
    lines = [
        "# Translation benchmark",
        "",
        f"Command: `.venv/bin/python benchmarks/translation.py --device {args.device} --rounds {args.rounds}"
        f" --write` ({datetime.now(UTC):%Y-%m-%d}, {describe()}). Method: see the module docstring.",
        "",
        f"## CTranslate2, Marian-base-sized model, {args.device}, greedy, {THREADS} threads",
        "",
        f"Source: {tokens_in:.1f} tokens per sentence on average (cut at {DECODE_TOKENS - 2}); output: exactly "
        f"{DECODE_TOKENS} tokens per sentence.",
        "",
        "| batch size | sentences/s | output tokens/s |",
        "|---:|---:|---:|",
        *(f"| {b} | {s:.1f} | {s * DECODE_TOKENS:.0f} |" for b, s in raw.items()),
        "",
        "## Translation memory (Redis), same sentences",
        "",
        "| pass | sentences/s |",
        "|---|---:|",
        f"| cold (model, then stored) | {cold:.1f} |",
        f"| warm (all from memory) | {warm:.0f} |",
        f"| speed-up | {warm / cold:.0f}x |",
        "",
        f"## The translate stage in a running deployment vs raw CTranslate2 ({n_articles} articles, {n_sentences}"
        " sentences)",
        "",
        "| round | stage sentences/s | raw batch-32 sentences/s | stage / raw |",
        "|---:|---:|---:|---:|",
        *(f"| {n + 1} | {s:.1f} | {r:.1f} | {s / r:.2f} |" for n, (s, r) in enumerate(pairs)),
        f"| median | {stage:.1f} | {raw32:.1f} | {statistics.median(ratios):.2f} |",
        "",
        "Target: the stage at least 0.8 of raw.",
        "",
        "## Gloss backend on NTREX-128 Arabic→English (1,997 sentences)",
        "",
        "| output | chrF | BLEU |",
        "|---|---:|---:|",
        f"| gloss ({quality['sentences_per_s']:.0f} sentences/s) | {quality['chrf']:.1f} | {quality['bleu']:.1f} |",
        f"| the Arabic left untranslated | {quality['chrf_untranslated']:.1f} | - |",
        "",
        "NTREX's Arabic was translated from the English (translationese); read the scores as a regression number.",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
