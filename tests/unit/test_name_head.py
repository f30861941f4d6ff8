"""The Arabic tagger's encoder head and how the CRF reads it: a word the encoder read carries the head's view, a word
past the lead carries none."""

from __future__ import annotations

import numpy as np

from newsflow.tagging.ner import HEAD_LABELS, NameHead, features, in_context, unread


def test_each_word_is_read_between_its_neighbours_and_zeros_at_the_ends():
    states = np.arange(6, dtype=np.float32).reshape(3, 2)
    np.testing.assert_array_equal(in_context(states), [[0, 0, 0, 1, 2, 3], [0, 1, 2, 3, 4, 5], [2, 3, 4, 5, 0, 0]])


def test_the_shipped_head_gives_each_word_a_distribution_over_the_labels():
    head = NameHead.load()
    probabilities = head.probabilities(np.random.default_rng(0).normal(size=(5, 384)).astype(np.float32))
    assert probabilities.shape == (5, len(HEAD_LABELS))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, rtol=1e-5)


def test_the_crf_reads_the_heads_view_only_where_the_encoder_read_the_word():
    tokens, tables = ["قال", "بلينكن", "اليوم"], ["O", "B-person", "O"]
    head = unread(3)
    head[:2] = [[0.1, 0.8, 0.02, 0.02, 0.02, 0.02, 0.02], [0.1, 0.02, 0.8, 0.02, 0.02, 0.02, 0.02]]
    said, blinken, today = features(tokens, tables, head)
    assert said["h=B-PER"] == 1 and said["hp=B-PER"] == np.float32(0.8) and said["h+1=I-PER"] == 1
    assert blinken["h-1=B-PER"] == 1 and blinken["tab=B-person"] == 1
    assert not any(name.startswith(("h=", "hp=", "h-1", "h+1")) for name in today)
    assert features(tokens, tables, unread(3))[0].keys() == {
        k for k in said if not k.startswith(("h=", "hp=", "h-1", "h+1"))
    }
