"""The translate stage: title and body into the target language, sentence by sentence, or a reason why not."""

from __future__ import annotations

from newsflow.schema import Article, TranslatedSentence, Translation
from newsflow.segment import segment
from newsflow.translation.service import TranslationService


def _untranslated(target: str, reason: str) -> Translation:
    return Translation(status="untranslated", quality="none", target_language=target, reason=reason)


def translate_article(article: Article, service: TranslationService, target: str) -> Article:
    """The article with its translation block filled in: one translated paragraph per source paragraph, built
    from its sentences, each with its offsets in the source."""
    if article.language == target:
        block = Translation(status="passthrough", quality="original", target_language=target,
                            title=article.title, body=article.body)  # fmt: skip
        return article.model_copy(update={"translation": block})
    if article.language is None:
        return article.model_copy(update={"translation": _untranslated(target, "source language unknown")})
    sentences = segment(article.body)
    titled = [article.title] if article.title else []
    done = service.translate([*titled, *(s.text(article.body) for s in sentences)], article.language, target)
    if done is None:
        reason = f"no translation backend serves {article.language}-{target} (backends: {service.describe()})"
        return article.model_copy(update={"translation": _untranslated(target, reason)})
    texts, memory = done.texts[len(titled) :], done.from_memory[len(titled) :]
    paragraphs: list[list[str]] = [[] for _ in article.body]
    for sentence, text in zip(sentences, texts, strict=True):
        paragraphs[sentence.paragraph].append(text)
    block = Translation(
        status="translated",
        quality=done.route.translator.quality,
        target_language=target,
        backend=done.route.translator.name,
        model=done.route.model,
        title=done.texts[0] if titled else None,
        body=[" ".join(p) for p in paragraphs],
        sentences=[
            TranslatedSentence(paragraph=s.paragraph, start=s.start, end=s.end, text=text, from_memory=hit)
            for s, text, hit in zip(sentences, texts, memory, strict=True)
        ],  # fmt: skip
    )
    return article.model_copy(update={"translation": block})


def counters(article: Article) -> dict[str, float]:
    """Provenance counters: how many sentences, and what share of them the translation memory answered."""
    sentences = article.translation.sentences if article.translation else []
    if not sentences:
        return {}
    hits = sum(s.from_memory for s in sentences)
    return {"sentences": len(sentences), "memory_hits": hits, "memory_hit_ratio": round(hits / len(sentences), 4)}
