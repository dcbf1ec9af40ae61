"""Bulk conversion of JSON Lines into archive files (indexer.importer)."""

from __future__ import annotations

import gzip
import json
import os
import stat
import time
from pathlib import Path

import pytest
import yaml

from indexer.articles import read_article, scan_archive
from indexer.importer import category_slug, import_jsonl

RECORDS = [
    {
        "id": "vntc-train-xh-vne-1",
        "title": "Quốc hội thảo luận dự án luật đất đai",
        "body": "Sáng nay, các đại biểu thảo luận ở tổ.\n\nNhiều ý kiến đề nghị làm rõ giá đất.",
        "category": "Chính trị - Xã hội",
        "source": "VnExpress",
        "url": "https://example.vn/luat-dat-dai.html",
        "date": "2004-11-02",
        "author": "Minh Châu",
        "tags": ["quốc hội", "đất đai"],
    },
    {
        "id": "vntc-test-ds-tt-2",
        "title": "Đời sống: yes",
        "body": "Một đoạn văn duy nhất, có dấu “ngoặc kép” và # dấu thăng.",
        "category": "Đời sống",
        "source": "Tuổi Trẻ",
    },
    {
        "id": "khong-chuyen-muc",
        "title": "---",
        "body": "---\n\nThân bài bắt đầu bằng dấu gạch.",
        "tags": "a, b",
    },
]


def write_jsonl(path: Path, lines: list[str]) -> Path:
    data = "".join(line + "\n" for line in lines).encode("utf-8")
    if path.name.endswith(".gz"):
        data = gzip.compress(data)
    path.write_bytes(data)
    return path


def dumps(record: dict) -> str:
    return json.dumps(record, ensure_ascii=False)


def read_back(into: Path) -> dict:
    scan = scan_archive(into)
    assert scan.rejected == [] and scan.skipped == 0
    return {Path(f.id).stem: read_article(into, f) for f in scan.files}


@pytest.mark.parametrize("name", ["ban.jsonl", "ban.jsonl.gz"])
def test_round_trip(tmp_path, name):
    source = write_jsonl(tmp_path / name, [dumps(r) for r in RECORDS])
    into = tmp_path / "archive"
    report = import_jsonl([source], into)
    assert (report.written, report.skipped_existing, report.errors) == (3, 0, [])
    assert (into / "chinh-tri-xa-hoi" / "vntc-train-xh-vne-1.txt").is_file()
    assert (into / "doi-song" / "vntc-test-ds-tt-2.txt").is_file()
    assert (into / "khong-chuyen-muc.txt").is_file()

    articles = read_back(into)
    first = articles["vntc-train-xh-vne-1"]
    assert first.title == RECORDS[0]["title"]
    assert first.body == RECORDS[0]["body"]
    assert first.category == "Chính trị - Xã hội"
    assert first.date == "2004-11-02"
    assert first.author == "Minh Châu"
    assert first.source_url == "https://example.vn/luat-dat-dai.html"
    assert first.tags == ("quốc hội", "đất đai")
    second = articles["vntc-test-ds-tt-2"]
    assert (second.title, second.body, second.category) == (
        "Đời sống: yes", RECORDS[1]["body"], "Đời sống",
    )
    third = articles["khong-chuyen-muc"]
    assert (third.title, third.body, third.category, third.tags) == (
        "---", RECORDS[2]["body"], None, ("a", "b"),
    )


def test_front_matter_layout(tmp_path):
    source = write_jsonl(tmp_path / "a.jsonl", [dumps(RECORDS[0])])
    import_jsonl([source], tmp_path / "out")
    text = (tmp_path / "out" / "chinh-tri-xa-hoi" / "vntc-train-xh-vne-1.txt").read_text("utf-8")
    assert text.startswith("---\ntitle: Quốc hội thảo luận dự án luật đất đai\n")
    front, body = text[4:].split("---\n", 1)
    assert yaml.safe_load(front)["publisher"] == "VnExpress"
    assert yaml.safe_load(front)["source"] == "https://example.vn/luat-dat-dai.html"
    assert body == RECORDS[0]["body"] + "\n"


def test_bad_records_are_reported_with_file_and_line(tmp_path):
    good = dumps(RECORDS[1])
    lines = [
        good,
        "{not json",
        dumps({"id": "x1", "body": "thân bài"}),
        dumps({"id": "x2", "title": "tiêu đề"}),
        dumps({"id": "../thoat", "title": "t", "body": "b"}),
        dumps({"id": "a/b", "title": "t", "body": "b"}),
        dumps({"id": ".an", "title": "t", "body": "b"}),
        dumps({"id": "co dau cach", "title": "t", "body": "b"}),
        "[1, 2]",
        dumps({"id": "x3", "title": "t", "body": "b", "date": "ngày mai"}),
        good,
        "",
        dumps({"title": "không có id", "body": "b"}),
    ]
    source = write_jsonl(tmp_path / "loi.jsonl", lines)
    report = import_jsonl([source], tmp_path / "out")
    assert report.written == 1
    by_line = {int(e.split(":")[1]): e for e in report.errors}
    assert sorted(by_line) == [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13]
    assert all(e.startswith(f"{source}:") for e in report.errors)
    assert "invalid JSON" in by_line[2]
    assert "missing 'title'" in by_line[3]
    assert "missing 'body'" in by_line[4]
    for line in (5, 6, 7, 8):
        assert "unsafe id" in by_line[line]
    assert "JSON object" in by_line[9]
    assert "'date'" in by_line[10]
    assert "duplicate id" in by_line[11] and f"{source}:1" in by_line[11]
    assert "missing 'id'" in by_line[13]
    assert not list((tmp_path / "out").rglob("thoat*"))


def test_existing_files_are_kept_unless_overwrite(tmp_path):
    first = write_jsonl(tmp_path / "a.jsonl", [dumps(RECORDS[2])])
    into = tmp_path / "out"
    import_jsonl([first], into)
    changed = dict(RECORDS[2], title="Tiêu đề mới")
    second = write_jsonl(tmp_path / "b.jsonl", [dumps(changed)])

    report = import_jsonl([second], into)
    assert (report.written, report.skipped_existing) == (0, 1)
    assert read_back(into)["khong-chuyen-muc"].title == "---"

    report = import_jsonl([second], into, overwrite=True)
    assert (report.written, report.skipped_existing) == (1, 0)
    assert read_back(into)["khong-chuyen-muc"].title == "Tiêu đề mới"
    assert [p.name for p in into.iterdir()] == ["khong-chuyen-muc.txt"]


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_files_get_the_usual_permissions(tmp_path, umask, mode):
    """Other librarians of a shared archive can read what one of them imported."""
    source = write_jsonl(tmp_path / "a.jsonl", [dumps(r) for r in RECORDS])
    old = os.umask(umask)
    try:
        import_jsonl([source], tmp_path / "out")
    finally:
        os.umask(old)
    modes = {stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "out").rglob("*.txt")}
    assert modes == {mode}


def test_unreadable_source_is_reported(tmp_path):
    broken = tmp_path / "hong.jsonl.gz"
    broken.write_bytes(gzip.compress(b'{"id": "a"}\n')[:-12])
    report = import_jsonl([tmp_path / "khong-co.jsonl", broken], tmp_path / "out")
    assert report.written == 0
    assert len(report.errors) == 2
    assert report.errors[0].startswith(f"{tmp_path / 'khong-co.jsonl'}: cannot read")
    assert report.errors[1].startswith(f"{broken}")


@pytest.mark.parametrize(
    "category, slug",
    [
        ("Chính trị - Xã hội", "chinh-tri-xa-hoi"),
        ("Đời sống", "doi-song"),
        ("Sức khỏe", "suc-khoe"),
        ("  Vi tính!! ", "vi-tinh"),
        ("Thể thao/Bóng đá", "the-thao-bong-da"),
    ],
)
def test_category_slug(category, slug):
    assert category_slug(category) == slug


def test_many_records_are_fast(tmp_path):
    body = "Nội dung bài báo thử nghiệm với đủ dấu tiếng Việt.\n\nĐoạn thứ hai."
    lines = [
        dumps({"id": f"bai-{n}", "title": f"Bài số {n}", "body": body,
               "category": ["Kinh doanh", "Thể thao"][n % 2]})
        for n in range(2_000)
    ]
    source = write_jsonl(tmp_path / "nhieu.jsonl.gz", lines)
    started = time.perf_counter()
    report = import_jsonl([source], tmp_path / "out")
    elapsed = time.perf_counter() - started
    assert (report.written, report.errors) == (2_000, [])
    assert elapsed < 10  # 50,000 records in well under a minute
    assert not list((tmp_path / "out").rglob(".*"))
