"""The archive shipped in ``archive/`` and the script that picked it (bench/demo_archive.py).

A fresh clone's ``make run`` indexes and serves this archive, so these tests build a real
index of it and ask a real ``vnsearch serve`` what a first-time user would: the seed
article and everyday queries must find what they should.
"""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from helpers import (
    PYTHON,
    REPO,
    SEED_ID,
    VNSEARCH,
    copy_seed,
    http_get,
    serving,
    write_plain,
)

from indexer.analysis import folded_match_form
from indexer.articles import read_article, scan_archive
from indexer.build import build
from indexer.checking import check_archive
from indexer.importer import category_slug

ARCHIVE = REPO / "archive"
VNTC_CATEGORIES = {
    "Chính trị - Xã hội", "Đời sống", "Khoa học", "Kinh doanh", "Pháp luật", "Sức khỏe",
    "Thế giới", "Thể thao", "Văn hóa", "Vi tính",
}


def _front_matter(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n"), path
    return yaml.safe_load(text[4:text.index("\n---\n")])


def test_the_archive_is_the_seed_and_hundreds_of_related_articles():
    report = check_archive(ARCHIVE, 5 * 1024 * 1024)
    assert report.rejected == [] and report.duplicates == []
    assert report.skipped == 1  # archive/README, which says where the articles come from
    demo = sorted(ARCHIVE.rglob("vntc-*.txt"))
    assert report.valid == len(demo) + 1 >= 301
    assert (ARCHIVE / SEED_ID).is_file()
    categories: Counter = Counter()
    for path in demo:
        meta = _front_matter(path)
        assert set(meta) == {"title", "category", "publisher"}, path
        assert meta["category"] in VNTC_CATEGORIES, path
        assert meta["publisher"] in {"VnExpress", "Tuổi Trẻ"}, path
        assert path.parent == ARCHIVE / category_slug(meta["category"])
        categories[meta["category"]] += 1
    assert set(categories) == VNTC_CATEGORIES  # the spread: every category has articles
    assert categories["Chính trị - Xã hội"] >= 200  # the seed's neighbours, mostly


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[int]:
    """A real server on an index of the shipped archive; yields its port."""
    if not VNSEARCH.exists():
        pytest.skip(f"{VNSEARCH} is not installed")
    root = tmp_path_factory.mktemp("shipped")
    report = build(ARCHIVE, root / "index")
    assert report.rejected == []
    with serving(root / "index", ARCHIVE, root / "serve.log") as (port, _):
        yield port


def _search(port: int, query: str) -> dict:
    status, body = http_get(port, "/api/search?" + urllib.parse.urlencode({"q": query}))
    assert status == 200, body
    return json.loads(body)


def test_dang_bo_khoi_finds_the_seed_first(served):
    assert _search(served, "dang bo khoi")["hits"][0]["id"] == SEED_ID


@pytest.mark.parametrize("query", ["kinh te", "giao duc", "bóng đá"])
def test_everyday_queries_find_related_articles(served, query):
    """Several articles, and the best ones hold the query's words side by side."""
    data = _search(served, query)
    assert data["total"] >= 5 and not data["relaxed"]
    files = {f.id: f for f in scan_archive(ARCHIVE).files}
    for hit in data["hits"][:3]:
        article = read_article(ARCHIVE, files[hit["id"]])
        assert folded_match_form(query) in folded_match_form(f"{article.title} {article.body}")


def test_every_category_can_be_browsed(served):
    """The category facet's links (a filter without a query) list each category whole."""
    want = Counter(_front_matter(p)["category"] for p in ARCHIVE.rglob("vntc-*.txt"))
    for category, count in want.items():
        status, body = http_get(served, "/api/search?" + urllib.parse.urlencode(
            {"category": category}))
        assert status == 200 and json.loads(body)["total"] == count, category


# --------------------------------------------------------------------------- the script


def _record(n: int, category: str, body: str) -> dict:
    code = {"Chính trị - Xã hội": "xh", "Thể thao": "tt", "Khoa học": "kh"}[category]
    return {"id": f"vntc-train-{code}-vne-{n}", "title": f"Bài số {n}", "body": body,
            "category": category, "source": "VnExpress"}


def _fake_corpus(corpus: Path) -> None:
    """Made-up articles: some about the seed's subject, the rest about anything else."""
    related = "Đảng bộ Khối các cơ quan Trung ương tổ chức hội nghị cán bộ, đảng viên."
    other = {"Chính trị - Xã hội": "Người dân xếp hàng làm thủ tục hành chính buổi sáng.",
             "Thể thao": "Đội bóng đá giành chiến thắng trong trận cầu cuối tuần.",
             "Khoa học": "Các nhà khoa học quan sát sao chổi bằng kính thiên văn."}
    records = [_record(n, "Chính trị - Xã hội", f"{related} Tin số {n}.") for n in range(4)]
    records += [_record(10 + n, category, f"{body} Tin số {n}.")
                for n in range(3) for category, body in other.items()]
    corpus.mkdir()
    with gzip.open(corpus / "vntc-core-000.jsonl.gz", "wt", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")


def _run_script(corpus: Path, archive: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(PYTHON), str(REPO / "bench" / "demo_archive.py"), "--corpus", str(corpus),
         "--archive", str(archive), "--related", "3", "--per-category", "2"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )


def _contents(archive: Path) -> dict[str, bytes]:
    return {p.relative_to(archive).as_posix(): p.read_bytes()
            for p in archive.rglob("*") if p.is_file()}


def test_demo_script_picks_neighbours_and_a_spread_and_reruns_the_same(tmp_path):
    if not PYTHON.exists():
        pytest.skip(f"{PYTHON} is not installed")
    corpus, archive = tmp_path / "corpus", tmp_path / "archive"
    _fake_corpus(corpus)
    copy_seed(archive)
    write_plain(archive, "rieng/bai-cua-toi.txt", "Bài của tôi\n\nKhông được xoá.\n")
    write_plain(archive, "cu/vntc-train-xh-vne-99.txt", "Bài demo cũ\n\nSẽ bị thay.\n")

    done = _run_script(corpus, archive)
    assert done.returncode == 0, done.stderr
    first = _contents(archive)
    demo = sorted(name for name in first if "/vntc-" in name)
    assert demo == sorted(
        [f"chinh-tri-xa-hoi/vntc-train-xh-vne-{n}.txt" for n in (0, 1, 2)]  # most related
        + ["khoa-hoc/vntc-train-kh-vne-10.txt", "khoa-hoc/vntc-train-kh-vne-11.txt",
           "the-thao/vntc-train-tt-vne-10.txt", "the-thao/vntc-train-tt-vne-11.txt"])
    assert "rieng/bai-cua-toi.txt" in first and SEED_ID in first
    assert _front_matter(archive / demo[-1]) == {
        "title": "Bài số 11", "category": "Thể thao", "publisher": "VnExpress"}

    shutil.rmtree(archive / "the-thao")
    assert _run_script(corpus, archive).returncode == 0
    assert _contents(archive) == first
