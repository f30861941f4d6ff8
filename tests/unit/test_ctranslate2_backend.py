"""The ctranslate2 backend on a tiny model the tests build: a SentencePiece model trained here and a random-weight
transformer converted to CTranslate2, installed the ways a deployment installs real ones."""

import shutil

import pytest

from config import Settings
from newsflow.models import ModelPackageError, install, install_converted, installed
from newsflow.translation.backends import BackendConfigError, build_translators
from newsflow.translation.batching import BatchedTranslator
from newsflow.translation.ct2 import CTranslate2Backend, Decoding, LoadedModel
from tests.modelkit import argos_package, build_model, training_lines

DECODING = Decoding(batch_size=4, max_tokens=12)
LINES = training_lines(12, seed=7)


@pytest.fixture(scope="session")
def model_folder(tmp_path_factory):
    return build_model(tmp_path_factory.mktemp("tiny") / "model")


@pytest.fixture()
def store(tmp_path, model_folder):
    store = tmp_path / "models"
    install(argos_package(tmp_path / "tiny.argosmodel", model_folder), store)
    return store


def load(store, target="en"):
    return CTranslate2Backend.load(installed(store), target, "cpu", "default", 1, DECODING)


def test_an_installed_argos_package_loads_and_translates_its_pair_only(store):
    backend = load(store)
    assert backend.model_for("ar", "en") == "ar-en-1.0" and backend.model_for("fr", "en") is None
    out = backend.translate(LINES[:3], "ar", "en")
    assert len(out) == 3 and all(isinstance(t, str) and t for t in out)
    assert load(store, target="fr").models == []  # only models into the target language load


def test_batched_translation_equals_one_sentence_at_a_time(store):
    backend = load(store)
    together = backend.translate(LINES, "ar", "en")
    assert together == [backend.translate([line], "ar", "en")[0] for line in LINES]
    assert len(set(together)) > len(LINES) // 2  # the tiny model's output depends on its input


def test_decoding_stops_at_max_tokens(store):
    model = load(store).models[0]
    long = " ".join(LINES)
    out = model.translate([long], "ar", "en", Decoding(batch_size=4, max_tokens=8))[0]
    assert 0 < len(out.split()) <= 8  # a word is at least one token


def test_a_corrupt_model_is_a_load_error_naming_its_folder(store):
    model_bin = installed(store)[0].path / "model" / "model.bin"
    model_bin.write_bytes(model_bin.read_bytes()[:1000])
    with pytest.raises(ModelPackageError, match=f"cannot load the model in {model_bin.parent.parent}"):
        load(store)


def test_a_missing_tokenizer_is_a_load_error(store):
    (installed(store)[0].path / "sentencepiece.model").unlink()
    with pytest.raises(ModelPackageError, match="missing sentencepiece.model"):
        load(store)


@pytest.mark.parametrize(("family", "source_token", "target_token"),
                         [("nllb", "arb_Arab", "eng_Latn"), ("m2m100", "__ar__", "__en__")])  # fmt: skip
def test_multilingual_families_get_language_tokens(tmp_path, model_folder, family, source_token, target_token):
    converted = tmp_path / "converted"
    shutil.copytree(model_folder / "model", converted)
    shutil.copy(model_folder / "sentencepiece.model", converted / "sentencepiece.bpe.model")
    model = install_converted(converted, tmp_path / "models", family)
    loaded = LoadedModel(model, "cpu", "default", 1)
    assert loaded.serves("ar", "en") and loaded.serves("en", "fr")
    tokens = loaded._source_tokens("مرحبا", "ar", 12)
    assert tokens[0] == source_token and tokens[-1] == "</s>"
    assert len(loaded.translate(["مرحبا"], "ar", "en", DECODING)) == 1  # the target token is the prefix, then cut
    assert [(m.family, m.source, m.target) for m in installed(tmp_path / "models")] == [(family, "mul", "mul")]


def test_an_opus_mt_folder_installs_for_its_pair(tmp_path, model_folder):
    converted = tmp_path / "opus"
    shutil.copytree(model_folder / "model", converted)
    for name in ("source.spm", "target.spm"):
        shutil.copy(model_folder / "sentencepiece.model", converted / name)
    with pytest.raises(ModelPackageError, match="one pair"):
        install_converted(converted, tmp_path / "models", "opus-mt")
    model = install_converted(converted, tmp_path / "models", "opus-mt", "ar", "en")
    backend = CTranslate2Backend.load([model], "en", "cpu", "default", 1, DECODING)
    assert backend.model_for("ar", "en") == "opus-mt-ar-en-1" and len(backend.translate(["مرحبا"], "ar", "en")) == 1


def test_configured_backends_put_models_behind_the_batcher_and_gloss_last(store):
    settings = Settings(models_dir=store, translate_backends="ctranslate2,gloss", translate_max_tokens=12)
    translators = build_translators(settings, name_tables=lambda: [])
    assert [t.name for t in translators] == ["ctranslate2", "gloss"] and isinstance(translators[0], BatchedTranslator)


def test_ctranslate2_alone_with_no_model_refuses_to_start(tmp_path):
    with pytest.raises(BackendConfigError, match="no translation model into en is installed"):
        build_translators(Settings(models_dir=tmp_path, translate_backends="ctranslate2"), name_tables=lambda: [])
