"""Write newsflow/data/language-means.json: the mean article vector of English and of Arabic news, which the cluster
stage takes out of each article's vector before comparing stories across languages (newsflow/stories/).

    .venv/bin/python scripts/build_language_means.py      (make language-means; about a minute)

The vectors are the tag stage's (newsflow/tagging/encoder.py: pooled title and lead) of 400 MasakhaNEWS English dev
articles and 400 of ANT's Arabic training part (../shared/data/topics); neither corpus is in the stories benchmark.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from newsflow.tagging.encoder import LAYERS, TOKENS, ArticleEncoder, pooled  # noqa: E402
from scripts.topic_corpora import ant, ant_training, masakhanews  # noqa: E402

OUTPUT = ROOT / "newsflow" / "data" / "language-means.json"
PER_LANGUAGE = 400


def main() -> None:
    encoder = ArticleEncoder(Path(tempfile.mkdtemp(prefix="newsflow-means-")), threads=1).warm()
    corpora = {"en": masakhanews("dev")[:PER_LANGUAGE], "ar": ant_training(ant())[:PER_LANGUAGE]}
    means = {}
    for language, docs in corpora.items():
        vectors = [pooled(*encoder.encode([doc.title, doc.body])) for doc in docs]
        means[language] = np.mean([v for v in vectors if v is not None], axis=0)
        print(f"{language}: {len(docs)} articles", file=sys.stderr)
    about = (f"Mean article vector per language (encoder: {LAYERS} layers, {TOKENS} tokens) of {PER_LANGUAGE} "
             "MasakhaNEWS English dev and ANT Arabic training articles; scripts/build_language_means.py")  # fmt: skip
    document = {"about": about, "means": {lang: [round(float(x), 6) for x in mean] for lang, mean in means.items()}}
    OUTPUT.write_text(json.dumps(document) + "\n")


if __name__ == "__main__":
    main()
