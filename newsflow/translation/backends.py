"""The configured translation backends, built once per worker process (models load here, at start-up)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from config import Settings
from newsflow.batching import Batching
from newsflow.errors import PermanentError
from newsflow.models import installed
from newsflow.tagging.phrases import PhraseTable
from newsflow.translation import Translator
from newsflow.translation.batching import BatchedTranslator

log = logging.getLogger("newsflow.translate")


class BackendConfigError(PermanentError):
    """A translation backend is configured in a way that cannot work (a worker refuses to start with it)."""


def _ctranslate2(settings: Settings) -> Translator | None:
    from newsflow.translation.ct2 import CTranslate2Backend, Decoding

    folder = settings.models_dir.expanduser()
    backend = CTranslate2Backend.load(
        installed(folder) if folder.is_dir() else [],
        settings.target_language,
        settings.translate_device,
        settings.translate_compute_type,
        settings.translate_threads,
        Decoding(settings.translate_batch_size, settings.translate_max_tokens),
    )
    if not backend.models:
        if settings.translate_backends == ("ctranslate2",):
            raise BackendConfigError(f"no translation model into {settings.target_language} is installed in {folder} "
                                     "(`newsflow models install FILE`)")  # fmt: skip
        log.warning(
            "ctranslate2: no model into %s in %s; the next backend translates", settings.target_language, folder
        )
        return None
    return backend


def _libretranslate(settings: Settings) -> Translator:
    from newsflow.translation.libretranslate import LibreTranslateBackend

    if not settings.libretranslate_url:
        raise BackendConfigError("the libretranslate backend needs NEWSFLOW_LIBRETRANSLATE_URL")
    key = settings.libretranslate_api_key.get_secret_value() if settings.libretranslate_api_key else None
    return LibreTranslateBackend(settings.libretranslate_url, key, settings.libretranslate_timeout_s,
                                 settings.libretranslate_retries)  # fmt: skip


def build_translators(settings: Settings, name_tables: Callable[[], list[PhraseTable]],
                      observe_batch: Callable[[int, int], None] | None = None) -> list[Translator]:  # fmt: skip
    """The backends in preference order; model backends behind one cross-article batcher each."""
    from newsflow.translation.gloss import GlossBackend

    translators: list[Translator] = []
    batching = Batching(
        settings.translate_batch_size, settings.translate_batch_wait_ms / 1000, settings.task_time_limit_s
    )
    for name in settings.translate_backends:
        if name == "gloss":
            translators.append(GlossBackend.load(name_tables()))
            continue
        backend = _ctranslate2(settings) if name == "ctranslate2" else _libretranslate(settings)
        if backend is not None:
            translators.append(BatchedTranslator(backend, batching, observe_batch))
    return translators
