"""The ``ctranslate2`` backend: installed CTranslate2 models with their SentencePiece tokenizers.

Every installed model whose target is the configured target language is loaded when the worker process starts;
a model that cannot be loaded stops the worker there, with the model's folder and the reason. Sentences go to the
model in one ``translate_batch`` call, which CTranslate2 cuts into batches of ``batch_size`` sorted by length.
"""

from __future__ import annotations

from dataclasses import dataclass

import ctranslate2
import sentencepiece

from newsflow.models import InstalledModel, ModelPackageError
from newsflow.translation import Quality

# NLLB-200's language tokens for the ISO 639-1 codes the language identifier reports most in news.
NLLB_CODES = {
    "ar": "arb_Arab", "de": "deu_Latn", "en": "eng_Latn", "es": "spa_Latn", "fa": "pes_Arab", "fr": "fra_Latn",
    "he": "heb_Hebr", "hi": "hin_Deva", "id": "ind_Latn", "it": "ita_Latn", "ja": "jpn_Jpan", "ko": "kor_Hang",
    "nl": "nld_Latn", "pl": "pol_Latn", "pt": "por_Latn", "ru": "rus_Cyrl", "tr": "tur_Latn", "uk": "ukr_Cyrl",
    "ur": "urd_Arab", "zh": "zho_Hans",
}  # fmt: skip


def language_token(family: str, language: str) -> str | None:
    """The token a multilingual model expects for ``language``; None for single-pair families."""
    if family == "nllb":
        return NLLB_CODES[language]
    if family == "m2m100":
        return f"__{language}__"
    return None


@dataclass(frozen=True)
class Decoding:
    batch_size: int
    max_tokens: int


class LoadedModel:
    def __init__(self, installed: InstalledModel, device: str, compute_type: str, threads: int) -> None:
        installed.check()
        layout = installed.layout
        try:
            self.translator = ctranslate2.Translator(
                str(installed.path / layout.model), device=device, compute_type=compute_type, intra_threads=threads
            )
            self.source_tokenizer = sentencepiece.SentencePieceProcessor(
                model_file=str(installed.path / layout.source_tokenizer)
            )
            self.target_tokenizer = sentencepiece.SentencePieceProcessor(
                model_file=str(installed.path / layout.target_tokenizer)
            )
        except (RuntimeError, OSError, ValueError) as exc:
            raise ModelPackageError(f"cannot load the model in {installed.path}: {exc}") from None
        self.installed = installed

    def serves(self, source: str, target: str) -> bool:
        family = self.installed.family
        return self.installed.serves(source, target) and (
            family != "nllb" or (source in NLLB_CODES and target in NLLB_CODES)
        )

    def _source_tokens(self, text: str, source: str, limit: int) -> list[str]:
        tokens = self.source_tokenizer.encode(text, out_type=str)[: limit - 2]
        family = self.installed.family
        if family == "argos":  # OpenNMT-py models: no end-of-sentence token on the source side
            return tokens
        token = language_token(family, source)
        return [*([token] if token else []), *tokens, "</s>"]

    def translate(self, texts: list[str], source: str, target: str, decoding: Decoding) -> list[str]:
        tokens = [self._source_tokens(text, source, decoding.max_tokens) for text in texts]
        prefix = language_token(self.installed.family, target)
        results = self.translator.translate_batch(
            tokens,
            target_prefix=[[prefix]] * len(tokens) if prefix else None,
            max_batch_size=decoding.batch_size,
            beam_size=1,
            max_decoding_length=decoding.max_tokens,
        )
        skip = 1 if prefix else 0
        return [self.target_tokenizer.decode(result.hypotheses[0][skip:]) for result in results]


class CTranslate2Backend:
    name = "ctranslate2"
    quality: Quality = "nmt"

    def __init__(self, models: list[LoadedModel], decoding: Decoding) -> None:
        self.models, self.decoding = models, decoding

    @classmethod
    def load(cls, installed: list[InstalledModel], target: str, device: str, compute_type: str, threads: int,
             decoding: Decoding) -> CTranslate2Backend:  # fmt: skip
        if device == "auto":
            device = "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
        wanted = [m for m in installed if m.target in (target, "mul")]
        return cls([LoadedModel(m, device, compute_type, threads) for m in wanted], decoding)

    def _model(self, source: str, target: str) -> LoadedModel | None:
        return next((m for m in self.models if m.serves(source, target)), None)

    def model_for(self, source: str, target: str) -> str | None:
        model = self._model(source, target)
        return model.installed.name if model else None

    def translate(self, texts: list[str], source: str, target: str) -> list[str]:
        model = self._model(source, target)
        if model is None:
            raise ModelPackageError(f"no installed model translates {source}-{target}")
        return model.translate(texts, source, target, self.decoding)
