"""The Arabic tagger's names classifier over the fine-tuned encoder's states, and how the CRF reads it: a word the
encoder read carries the classifier's view, a word past the lead carries none."""

from __future__ import annotations

import numpy as np

from newsflow.tagging.encoder import LAYERS, shipped_adapter
from newsflow.tagging.ner import HEAD_LABELS, NameClassifier, features, likeliest, unread


def test_the_shipped_adapter_fits_the_stage_encoder_and_changes_every_linear_layer():
    adapter = shipped_adapter()
    assert adapter.layers == LAYERS
    for n in range(LAYERS):
        for name in ("q", "k", "v", "ao", "fi", "fo"):
            low, high = adapter.arrays[f"l{n}.{name}.a"], adapter.arrays[f"l{n}.{name}.b"]
            assert low.shape[0] == high.shape[1] and np.abs(high).max() > 0, f"l{n}.{name} is not adapted"


def test_the_shipped_classifier_gives_each_word_a_distribution_over_the_labels():
    head = NameClassifier.load()
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


def test_the_classifiers_own_label_is_its_likeliest_and_none_past_the_lead():
    head = unread(3)
    head[:2] = [[0.1, 0.02, 0.02, 0.8, 0.02, 0.02, 0.02], [0.7, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05]]
    assert likeliest(head) == ["B-ORG", "O", None]
