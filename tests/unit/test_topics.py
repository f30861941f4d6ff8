"""The topic classifier on the encoder's pooled vector: short stories written for these tests, and the rules of what
``classify`` keeps. Its quality on held-out corpora is benchmarks/results/topics.md."""

from __future__ import annotations

import numpy as np
import pytest

from newsflow.tagging.encoder import LAYERS, ArticleEncoder, pooled, shipped_adapter
from newsflow.tagging.topics import MAX_TOPICS, TopicClassifier

SPORT = "medtop:15000000"
STORIES = {
    ("en", SPORT): (
        "United snatch late winner to reach the cup final",
        "A header from the substitute striker in the 89th minute gave the home side a 2-1 win on Saturday.\n"
        "The manager praised his players after the match and said the team would rest before the final next month.",
    ),
    ("ar", SPORT): (
        "الترجي يفوز على النادي الصفاقسي ويتصدر البطولة",
        "فاز فريق الترجي على النادي الصفاقسي بهدفين مقابل هدف في مباراة الجولة العاشرة من بطولة الرابطة الأولى.\n"
        "وسجل المهاجم هدف الفوز في الدقائق الأخيرة من المباراة أمام جماهير غفيرة في الملعب.",
    ),
    ("en", "medtop:04000000"): (
        "Shares fall as the central bank raises interest rates again",
        "The bank raised its main rate by half a point to curb inflation, and the stock market fell sharply.\n"
        "Companies warned that higher borrowing costs would hit profits and investment this year.",
    ),
    ("ar", "medtop:11000000"): (
        "البرلمان يصادق على قانون الانتخابات الجديد",
        "صادق مجلس النواب بأغلبية أعضائه على مشروع قانون الانتخابات بعد نقاش طويل بين الكتل البرلمانية.\n"
        "وقال رئيس الحكومة إن القانون يضمن نزاهة الانتخابات التشريعية المقبلة.",
    ),
}


@pytest.fixture(scope="module")
def encoder(models_folder) -> ArticleEncoder:
    return ArticleEncoder(models_folder, layers=LAYERS, threads=1).warm()


@pytest.fixture(scope="module")
def classifier() -> TopicClassifier:
    return TopicClassifier()


def vector(encoder: ArticleEncoder, title: str, body: str) -> np.ndarray | None:
    return pooled(*encoder.encode([title, body]))


def test_the_weights_fit_the_tag_stages_encoder(classifier: TopicClassifier) -> None:
    assert classifier.layers == LAYERS, "newsflow/data/topics.json fits another layer count: make train-topics"
    assert classifier.adapter == shipped_adapter().digest, "topics.json fits another encoder adapter: make train-topics"
    assert classifier.weights.shape == (17, 384) and len(classifier.topics) == 17


@pytest.mark.parametrize(("language", "code"), list(STORIES))
def test_a_story_gets_its_topic_first(encoder: ArticleEncoder, classifier: TopicClassifier, language: str, code: str) -> None:  # fmt: skip
    topics = classifier.classify(vector(encoder, *STORIES[language, code]))
    assert topics[0].code == code, f"{language} story: {topics}"


@pytest.mark.parametrize("key", list(STORIES))
def test_scores_are_probabilities_best_first_at_most_three(encoder: ArticleEncoder, classifier: TopicClassifier,
                                                           key: tuple[str, str]) -> None:  # fmt: skip
    topics = classifier.classify(vector(encoder, *STORIES[key]))
    scores = [t.score for t in topics]
    assert 1 <= len(topics) <= MAX_TOPICS
    assert all(0 <= s <= 1 and s == round(s, 4) for s in scores) and scores == sorted(scores, reverse=True)
    assert all(t.score >= classifier.threshold for t in topics[1:])


def test_an_article_with_no_text_has_no_topics(encoder: ArticleEncoder, classifier: TopicClassifier) -> None:
    assert vector(encoder, "", "") is None
    assert classifier.classify(None) == []


def test_the_best_topic_is_kept_however_low_and_others_only_above_the_threshold() -> None:
    model = {"topics": [{"code": f"t{n}", "label": f"topic {n}"} for n in range(5)], "head": "ovr",
             "threshold": 0.5, "encoder": {"layers": LAYERS}, "weights": np.eye(5, 3).tolist(),
             "bias": [-3.0, -3.0, -3.0, 1.0, 2.0]}  # fmt: skip
    classifier = TopicClassifier(model)
    assert [t.code for t in classifier.classify(np.zeros(3))] == ["t4", "t3"]
    low = TopicClassifier({**model, "bias": [-3.0] * 5})
    assert [(t.code, t.score) for t in low.classify(np.array([0.5, 0.0, 0.0]))] == [("t0", 0.0759)]
