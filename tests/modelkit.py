"""Translation models built on the spot: a SentencePiece model trained on a few hundred lines and a transformer
with random weights, converted to CTranslate2 and packaged the way an Argos Translate ``.argosmodel`` is.

No package ships Arabic-to-English weights, so the tests (and benchmarks/translation.py, with a Marian-base-sized
configuration) exercise the real loading, tokenising, batching and packaging paths with these. The weights are
random: outputs are deterministic nonsense, different for different inputs, which is what the tests need to catch
a sentence handed back to the wrong article.
"""

from __future__ import annotations

import io
import json
import random
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import ctranslate2
import numpy as np
import sentencepiece
from ctranslate2 import specs

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "articles"


@dataclass(frozen=True)
class Shape:
    layers: int = 2
    d_model: int = 32
    heads: int = 2
    ffn: int = 64

    @classmethod
    def marian_base(cls) -> Shape:
        """The size of an OPUS-MT / Argos Translate base model: 6+6 layers, 512 wide, 8 heads, 2048 FFN."""
        return cls(layers=6, d_model=512, heads=8, ffn=2048)


def training_lines(count: int = 400, seed: int = 0) -> list[str]:
    """Lines of Arabic and English from the project's example articles, reshuffled into ``count`` lines."""
    text = " ".join(re.sub(r"<[^>]+>", " ", p.read_text(encoding="utf-8")) for p in sorted(EXAMPLES.glob("*.*")))
    words = re.findall(r"[^\W\d_]+", text)
    rng = random.Random(seed)
    return [" ".join(rng.choices(words, k=rng.randint(4, 20))) for _ in range(count)]


def train_sentencepiece(path: Path, lines: list[str], vocab_size: int) -> sentencepiece.SentencePieceProcessor:
    model = io.BytesIO()
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter(lines), model_writer=model, vocab_size=vocab_size,
        character_coverage=1.0, minloglevel=2,
    )  # fmt: skip
    path.write_bytes(model.getvalue())
    return sentencepiece.SentencePieceProcessor(model_file=str(path))


class RandomTransformer(ctranslate2.converters.Converter):
    """A pre-norm transformer of ``shape`` with random weights and a shared vocabulary. ``endless``: it never
    predicts the end of a sentence, so every translation is exactly the decoding limit long (benchmarks)."""

    def __init__(self, vocabulary: list[str], shape: Shape, seed: int = 0, endless: bool = False) -> None:
        self.vocabulary, self.shape, self.rng = vocabulary, shape, np.random.default_rng(seed)
        self.endless = endless

    def _weights(self, name: str) -> np.ndarray:
        dims = self._shape_of(name)
        # Cross-attention ten times louder than the rest: with plain scaled-normal weights the decoder mostly
        # ignores the source and most inputs come out the same (measured: 40 of 50 distinct outputs vs 2 of 50).
        gain = 10.0 if "decoder" in name and "/attention/" in name else 1.0
        return (gain * self.rng.standard_normal(dims) / np.sqrt(dims[-1])).astype(np.float32)

    def _shape_of(self, name: str) -> tuple[int, ...]:
        d, ffn, vocab = self.shape.d_model, self.shape.ffn, len(self.vocabulary)
        if name.endswith(("gamma", "beta")):
            return (d,)
        if "embeddings" in name or "projection" in name:
            return (vocab, d)
        if "/ffn/" in name:
            return (ffn, d) if name.endswith("linear_0/weight") else (d, ffn)
        fused = {"self_attention/linear_0": 3 * d, "/attention/linear_1": 2 * d}
        return next((rows for part, rows in fused.items() if part in name), d), d

    def _load(self) -> specs.TransformerSpec:
        spec = specs.TransformerSpec.from_config((self.shape.layers, self.shape.layers), self.shape.heads)
        for name, value in spec.variables().items():
            if value is None:
                self._set(spec, name, self._weights(name))
        if self.endless:
            spec.decoder.projection.weight[self.vocabulary.index("</s>")] = -1.0  # far below any other logit
        spec.register_source_vocabulary(self.vocabulary)
        spec.register_target_vocabulary(self.vocabulary)
        return spec

    def _set(self, spec: specs.TransformerSpec, name: str, value: np.ndarray) -> None:
        *path, leaf = name.split("/")
        node = spec
        for part in path:
            base, _, index = part.rpartition("_")
            indexed = index.isdigit() and isinstance(getattr(node, base, None), list)
            node = getattr(node, base)[int(index)] if indexed else getattr(node, part)
        setattr(node, leaf, value)


def build_model(folder: Path, shape: Shape = Shape(), quantization: str | None = None, lines: list[str] | None = None,
                tokenizer_vocabulary: int = 600, model_vocabulary: int = 0, endless: bool = False) -> Path:  # fmt: skip
    """An Argos-style model folder: ``sentencepiece.model`` and a CTranslate2 model in ``model/``. The model's
    vocabulary is the tokenizer's, padded to ``model_vocabulary`` entries (a realistic output layer size)."""
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer = train_sentencepiece(folder / "sentencepiece.model", lines or training_lines(), tokenizer_vocabulary)
    vocabulary = [tokenizer.id_to_piece(i) for i in range(tokenizer.get_piece_size())]
    vocabulary += [f"<unused{n}>" for n in range(model_vocabulary - len(vocabulary))]
    converter = RandomTransformer(vocabulary, shape, endless=endless)
    converter.convert(str(folder / "model"), quantization=quantization, force=True)
    return folder


def argos_package(destination: Path, model_folder: Path, source: str = "ar", target: str = "en",
                  version: str = "1.0") -> Path:  # fmt: skip
    """Zip a model folder as an .argosmodel: one top folder holding metadata.json, model/ and the tokenizer."""
    top = f"translate-{source}_{target}-{version.replace('.', '_')}"
    metadata = {"package_version": version, "from_code": source, "to_code": target, "from_name": source,
                "to_name": target, "package_type": "translate"}  # fmt: skip
    with zipfile.ZipFile(destination, "w") as archive:
        archive.writestr(f"{top}/metadata.json", json.dumps(metadata))
        for path in sorted(model_folder.rglob("*")):
            if path.is_file():
                archive.write(path, f"{top}/{path.relative_to(model_folder)}")
    return destination
