"""Reading articles from files: encodings, JSON shapes, and clear errors for what is not an article."""

import pytest

from newsflow.errors import InvalidSubmission
from newsflow.state.ingest import parse_submission
from workers.cli.files import read_inputs

ARABIC = '<html><head><meta charset="windows-1256"></head><body><p>أعلنت الحكومة اليوم عن خطة جديدة للنقل العام في العاصمة.</p></body></html>'


def test_every_kind_of_file(tmp_path):
    (tmp_path / "a.html").write_bytes(ARABIC.encode("cp1256"))
    (tmp_path / "b.txt").write_text("A story in plain text.", encoding="utf-8")
    (tmp_path / "c.json").write_text('[{"text": "one"}, {"html": "<p>two</p>"}]')
    (tmp_path / "d.jsonl").write_text('{"text": "three"}\n\nnot json\n{"title": "no body"}\n')
    (tmp_path / "e.png").write_bytes(b"skipped: unknown suffix")
    items = list(read_inputs([tmp_path, tmp_path / "missing.txt"]))
    assert [i.raw.body_kind for i in items if i.raw] == ["html", "text", "text", "html", "text"]
    errors = [i.error for i in items if i.error]
    assert len(errors) == 3
    assert "d.jsonl:3: invalid JSON" in errors[0]
    assert "d.jsonl:4" in errors[1] and "exactly one of `html` or `text`" in errors[1]
    assert "no such file" in errors[2]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"{not json", "invalid JSON"),
        (b"[1, 2]", "JSON object"),
        (b'{"text": "\xff\xfe"}', "invalid JSON"),
        (b'{"url": "https://x.org/a"}', "exactly one of"),
        ('{"text": "\\ud800"}', "surrogate"),
        ({"text": "\ud800"}, "lone surrogate"),
        (b'{"text": "ok", "published_at": "yesterday"}', "published_at"),
    ],
)
def test_parse_submission_says_what_is_wrong(data, message):
    with pytest.raises(InvalidSubmission, match=message):
        parse_submission(data)
