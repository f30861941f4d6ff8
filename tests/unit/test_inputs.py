"""Reading articles from files: encodings, JSON shapes, and clear errors for what is not an article."""

import gzip
from pathlib import Path

import pytest

from newsflow.errors import InvalidSubmission
from newsflow.state.ingest import parse_article, parse_submission, submissions
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
        (b'{"text": "ok", "published_at": "yesterday"}', "published_at"),
    ],
)
def test_parse_submission_says_what_is_wrong(data, message):
    with pytest.raises(InvalidSubmission, match=message):
        parse_submission(data)


@pytest.mark.parametrize(
    ("item", "message"),
    [({"text": "\ud800"}, "lone surrogate"), ("{}", "JSON object, not a string"), (None, "not null"),
     ([{"text": "x"}], "not an array"), (True, "not a boolean")],
)  # fmt: skip
def test_a_decoded_item_that_is_not_an_article_says_what_it_is(item, message):
    with pytest.raises(InvalidSubmission, match=message):
        parse_article(item)


@pytest.mark.parametrize(
    ("data", "message"), [("x", "not a string"), (3.5, "not a number"), ([], "an empty batch"), ([{}] * 4, "over the limit of 3")]
)  # fmt: skip
def test_a_submission_is_an_article_or_a_bounded_batch(data, message):
    with pytest.raises(InvalidSubmission, match=message):
        submissions(data, limit=3)
    assert submissions({"text": "x"}, limit=3) == [{"text": "x"}] and len(submissions([{}] * 3, limit=3)) == 3


def test_suffixes_in_any_case_and_gzipped_files_are_read(tmp_path):
    (tmp_path / "STORY.HTML").write_text("<html><body><p>Upper-case suffix.</p></body></html>")
    (tmp_path / "feed.jsonl.gz").write_bytes(gzip.compress(b'{"text": "one"}\n{"text": "two"}\n'))
    (tmp_path / "note.TXT.GZ").write_bytes(gzip.compress("نص مضغوط".encode()))
    items = list(read_inputs([tmp_path]))
    assert [(Path(i.origin).name, i.raw.body) for i in items] == [
        ("STORY.HTML", "<html><body><p>Upper-case suffix.</p></body></html>"),
        ("feed.jsonl.gz:1", "one"), ("feed.jsonl.gz:2", "two"), ("note.TXT.GZ", "نص مضغوط")]  # fmt: skip


def test_a_folder_lists_what_it_skips_and_a_named_file_of_another_type_says_so(tmp_path):
    (tmp_path / "scan.pdf").write_bytes(b"%PDF-1.7")
    (tmp_path / "story.txt").write_text("A story.")
    skipped = [i.skipped for i in read_inputs([tmp_path]) if i.skipped]
    assert len(skipped) == 1 and "scan.pdf: not an article file" in skipped[0]
    (named,) = read_inputs([tmp_path / "scan.pdf"])
    assert named.raw is None and "not a file newsflow reads" in named.error and "UTF-8" not in named.error


def test_broken_gzip_a_gzip_bomb_and_a_list_of_numbers_are_errors_not_crashes(tmp_path, monkeypatch):
    (tmp_path / "broken.txt.gz").write_bytes(b"not gzip at all")
    (tmp_path / "big.txt.gz").write_bytes(gzip.compress(b"x" * 10_000))
    (tmp_path / "numbers.json").write_text("[1, 2]")
    monkeypatch.setattr("workers.cli.files.MAX_UNPACKED_BYTES", 1_000)
    errors = [i.error for i in read_inputs([tmp_path])]
    assert "not a readable gzip file" in errors[1] and "unpacks to more than 1,000 bytes" in errors[0]
    assert errors[2:] == [f"{tmp_path}/numbers.json[{n}]: a raw article is a JSON object, not a number" for n in (1, 2)]
