"""indexer.cli: `vnsearch index | check | search | import | eval` output and exit codes."""

from __future__ import annotations

import gzip
import json
import re
import subprocess
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from helpers import (
    REPO,
    SEED_ID,
    SEED_TITLE,
    VNSEARCH,
    write_article,
    write_small_archive,
)
from indexer.articles import read_article, scan_archive
from indexer.cli import main
from indexer.lock import reindex_lock
from webapp import create_app
from webfixtures import build_index


def run(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def clean_archive(tmp_path):
    root = tmp_path / "archive"
    write_article(root, "thoi-su/bao.txt", "Bão số 3 đổ bộ", "Bão số 3 gây mưa lớn ở miền Trung.",
                  date="2024-09-07", author="Thu Trang")
    write_article(root, "kinh-te/vang.txt", "Giá vàng tăng", "Giá vàng trong nước tăng mạnh.",
                  date="2024-10-01")
    return root


@pytest.fixture(scope="module")
def small_index(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    archive = write_small_archive(root / "archive")
    result = run("index", "--archive", archive, "--index", root / "index", "--jobs", "1")
    assert result.exit_code == 0, result.output
    return root / "index"


def test_every_option_says_what_it_does():
    for name, command in main.commands.items():
        assert command.help, name
        for param in command.params:
            if isinstance(param, click.Option):
                assert param.help, f"vnsearch {name} {param.opts[0]} has no help text"


def test_help_names_the_environment_variables():
    assert "VNSEARCH_ARCHIVE" in run("--help").stdout
    out = " ".join(run("index", "--help").stdout.split())
    assert "env var: VNSEARCH_ARCHIVE" in out and "env var: VNSEARCH_INDEX" in out


# --------------------------------------------------------------------------- index


def test_index_summary_and_exit_0(clean_archive, tmp_path):
    index_root = tmp_path / "index"
    result = run("index", "--archive", clean_archive, "--index", index_root, "--jobs", "1")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert f"Indexed {clean_archive} into {index_root} (full rebuild)." in out
    assert re.search(r"^  added\s+2$", out, re.M)
    assert "    kinh-te/vang.txt" in out and "    thoi-su/bao.txt" in out
    assert re.search(r"^  rejected\s+0$", out, re.M)
    assert "the index holds 2 articles." in out

    # a second run is incremental and changes nothing
    result = run("index", "--archive", clean_archive, "--index", index_root, "--jobs", "1")
    assert result.exit_code == 0
    assert "(incremental update)" in result.stdout
    assert re.search(r"^  unchanged\s+2$", result.stdout, re.M)
    assert re.search(r"^  added\s+0$", result.stdout, re.M)

    # --full rebuilds
    result = run("index", "--archive", clean_archive, "--index", index_root, "--full", "--jobs", "1")
    assert result.exit_code == 0
    assert "(full rebuild)" in result.stdout


def test_index_reports_changes(clean_archive, tmp_path):
    index_root = tmp_path / "index"
    run("index", "--archive", clean_archive, "--index", index_root, "--jobs", "1")
    (clean_archive / "kinh-te/vang.txt").rename(clean_archive / "kinh-te/gia-vang.txt")
    (clean_archive / "thoi-su/bao.txt").unlink()
    write_article(clean_archive, "moi.txt", "Tin mới", "Nội dung tin mới.", date="2024-11-11")
    result = run("index", "--archive", clean_archive, "--index", index_root, "--jobs", "1")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "    kinh-te/vang.txt → kinh-te/gia-vang.txt" in out
    assert re.search(r"^  deleted\s+1\n    thoi-su/bao.txt$", out, re.M)
    assert re.search(r"^  added\s+1\n    moi.txt$", out, re.M)


def test_index_counts_duplicates_and_lists_them_with_verbose(clean_archive, tmp_path):
    write_article(clean_archive, "xa-hoi/bao.txt", "Bão số 3 đổ bộ",
                  "Bão số 3 gây mưa lớn ở miền Trung.")
    index_root = tmp_path / "index"
    result = run("index", "--archive", clean_archive, "--index", index_root, "--jobs", "1")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert re.search(r"^  duplicates 1 \(each text indexed once, as its first file, "
                     r"--verbose lists them\)$", out, re.M)
    assert " = " not in out
    assert "the index holds 2 articles." in out
    result = run("index", "--archive", clean_archive, "--index", index_root, "--jobs", "1", "-v")
    assert re.search(r"^  duplicates 1 \(each text indexed once, as its first file\)\n"
                     r"    thoi-su/bao.txt = xa-hoi/bao.txt$", result.stdout, re.M)


def test_index_exit_1_with_rejected_files(clean_archive, tmp_path):
    (clean_archive / "rong.txt").write_bytes(b"")
    result = run("index", "--archive", clean_archive, "--index", tmp_path / "index", "--jobs", "1")
    assert result.exit_code == 1
    assert re.search(r"^  rejected\s+1\n    rong.txt: empty file", result.stdout, re.M)
    assert "the index holds 2 articles." in result.stdout


def test_index_lists_ten_unless_verbose(tmp_path):
    archive = tmp_path / "archive"
    for i in range(12):
        write_article(archive, f"bai-{i:02d}.txt", f"Bài {i}", f"Nội dung bài số {i}.", date="2024-01-01")
    result = run("index", "--archive", archive, "--index", tmp_path / "i1", "--jobs", "1")
    assert result.exit_code == 0
    assert "… and 2 more (--verbose lists them all)" in result.stdout
    assert "bai-11.txt" not in result.stdout
    result = run("index", "--archive", archive, "--index", tmp_path / "i2", "--jobs", "1", "-v")
    assert "bai-11.txt" in result.stdout
    assert "more (--verbose" not in result.stdout


def test_index_exit_2_for_missing_archive(tmp_path):
    result = run("index", "--archive", tmp_path / "khong-co", "--index", tmp_path / "index")
    assert result.exit_code == 2
    assert "does not exist" in result.stderr
    assert not (tmp_path / "index" / "current").exists()


def test_index_exit_2_when_busy(clean_archive, tmp_path):
    index_root = tmp_path / "index"
    with reindex_lock(index_root):
        result = run("index", "--archive", clean_archive, "--index", index_root, "--jobs", "1")
    assert result.exit_code == 2
    assert "being updated by" in result.stderr and "pid" in result.stderr
    assert result.stdout == ""


def test_index_reads_environment_variables(clean_archive, tmp_path):
    index_root = tmp_path / "env-index"
    result = CliRunner().invoke(
        main, ["index", "--jobs", "1"],
        env={"VNSEARCH_ARCHIVE": str(clean_archive), "VNSEARCH_INDEX": str(index_root)},
    )
    assert result.exit_code == 0, result.output
    assert (index_root / "current").is_symlink()


def test_console_script_runs(clean_archive, tmp_path):
    if not VNSEARCH.exists():
        pytest.skip(f"{VNSEARCH} is not installed")
    index_root = tmp_path / "index"
    done = subprocess.run([str(VNSEARCH), "index", "--archive", str(clean_archive),
                           "--index", str(index_root), "--jobs", "1"],
                          capture_output=True, text=True, cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr
    done = subprocess.run([str(VNSEARCH), "search", "gia vang", "--index", str(index_root), "--json"],
                          capture_output=True, text=True, cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["hits"][0]["path"] == "kinh-te/vang.txt"


# --------------------------------------------------------------------------- check


def test_check_clean_archive_exit_0(clean_archive):
    result = run("check", "--archive", clean_archive)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert f"Checked 2 files in {clean_archive}: 2 articles are fine." in out
    assert re.search(r"^  rejected\s+0$", out, re.M)
    assert re.search(r"^  duplicates\s+0$", out, re.M)
    assert re.search(r"^  no date\s+0$", out, re.M)


def test_check_reports_rejected_duplicates_and_undated(clean_archive):
    (clean_archive / "rong.txt").write_bytes(b"")
    # the same title and text with other front matter is a copy; the same text under
    # another title is another article
    write_article(clean_archive, "ban-sao/bao.txt", "Bão số 3 đổ bộ",
                  "Bão số 3 gây mưa lớn ở miền Trung.", date="2024-09-08")
    write_article(clean_archive, "anh/bao.txt", "Ảnh: bão số 3",
                  "Bão số 3 gây mưa lớn ở miền Trung.", date="2024-09-07")
    write_article(clean_archive, "khong-ngay.txt", "Không có ngày", "Bài viết không ghi ngày đăng.")
    (clean_archive / ".an.txt").write_text("Ẩn\n\nẩn", encoding="utf-8")
    result = run("check", "--archive", clean_archive)
    assert result.exit_code == 1
    out = result.stdout
    assert "Checked 6 files" in out and "5 articles are fine." in out
    assert re.search(r"^  skipped\s+1 ", out, re.M)
    assert re.search(r"^  rejected\s+1\n    rong.txt: empty file", out, re.M)
    assert re.search(r"^  duplicates\s+1\n    ban-sao/bao.txt = thoi-su/bao.txt$", out, re.M)
    assert re.search(r"^  no date\s+1\n    khong-ngay.txt$", out, re.M)


def test_check_undated_only_is_exit_0(clean_archive):
    write_article(clean_archive, "khong-ngay.txt", "Không có ngày", "Bài viết không ghi ngày đăng.")
    result = run("check", "--archive", clean_archive)
    assert result.exit_code == 0
    assert re.search(r"^  no date\s+1$", result.stdout, re.M)


@pytest.mark.parametrize("name, text, reason", [
    ("abbreviations", "SGGP = Sài Gòn Giải Phóng\nCLB = = câu lạc bộ\nchỉ một dạng\n",
     "a form without letters"),
    ("categories", "thoi-su = Thời sự\nchinh-tri Chính trị\nthoi-su = Tin trong nước\n",
     "needs a folder name"),
])
def test_check_names_unusable_lines_of_the_archives_settings(clean_archive, name, text, reason):
    conf = clean_archive / f"{name}.conf"
    conf.write_text(text, encoding="utf-8")
    result = run("check", "--archive", clean_archive)
    assert result.exit_code == 1, result.output
    assert re.search(rf"^  {name}\s+2$", result.stdout, re.M)
    assert f"{conf}:2: {reason}" in result.stdout and f"{conf}:3:" in result.stdout
    assert f"{conf}:1:" not in result.stdout
    assert "Checked 2 files" in result.stdout  # the file is not read as an article


def test_check_lists_every_undated_article_with_verbose(tmp_path):
    archive = tmp_path / "archive"
    for i in range(12):
        write_article(archive, f"bai-{i:02d}.txt", f"Bài {i}", f"Nội dung bài số {i}.")
    out = run("check", "--archive", archive).stdout
    assert "… and 2 more (--verbose lists them all)" in out and "bai-11.txt" not in out
    result = run("check", "--archive", archive, "--verbose")
    assert result.exit_code == 0
    assert "bai-11.txt" in result.stdout and "more (--verbose" not in result.stdout


def test_check_missing_archive_exit_2(tmp_path):
    result = run("check", "--archive", tmp_path / "khong-co")
    assert result.exit_code == 2
    assert "does not exist" in result.stderr


# --------------------------------------------------------------------------- search


def test_search_text_output(small_index):
    result = run("search", "Đảng bộ Khối", "--index", small_index)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert re.fullmatch(r"1 result \(\d+\.\d\d s\)", lines[0])
    assert "Did you mean" not in result.stdout
    first = result.stdout.index("\n1. ")
    block = result.stdout[first:]
    assert "1. 70 năm truyền thống [Đảng bộ Khối] các cơ quan Trung ương  [" in block
    assert f"   {SEED_ID}" in block
    assert "<mark>" not in result.stdout


def test_search_text_suggestion_and_limit(small_index):
    result = run("search", "duong", "--index", small_index, "--limit", "2")
    assert result.exit_code == 0
    assert "Did you mean: đường" in result.stdout
    assert re.search(r"^\d+ results", result.stdout)
    assert "\n2. " in result.stdout and "\n3. " not in result.stdout


def test_search_json_output(small_index):
    result = run("search", "đường", "--index", small_index, "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["query"] == "đường"
    assert data["total"] == len(data["hits"]) >= 1
    assert data["suggestion"] is None
    first = data["hits"][0]
    assert set(first) == {"id", "path", "title", "url", "snippet", "snippet_text", "date",
                          "category", "author", "publisher", "score"}  # those of /api/search
    assert first["path"] == "giao-thong/con-duong-moi.txt"
    assert first["title"] == "Con đường mới về quê"
    assert "<mark>đường</mark>" in first["snippet"]
    assert isinstance(first["score"], float) and first["score"] > 0
    scores = [h["score"] for h in data["hits"]]
    assert scores == sorted(scores, reverse=True)
    assert "đường" in result.stdout  # ensure_ascii=False


def test_search_json_no_results(small_index):
    data = json.loads(run("search", "zzzqqq", "--index", small_index, "--json").stdout)
    assert data["total"] == 0 and data["hits"] == []


def test_search_without_index_exit_2_and_names_the_folder(tmp_path):
    folder = tmp_path / "khong-co"
    result = run("search", "bão", "--index", folder)
    assert result.exit_code == 2
    assert f"no search index in the folder '{folder}': run `vnsearch index`" in result.stderr


@pytest.fixture(scope="module")
def web_index(tmp_path_factory) -> tuple[Path, Path]:
    return build_index(tmp_path_factory.mktemp("json"))


@pytest.mark.parametrize("query", ["lúa gạo", "festival hue", "Đảng bộ Khối"])
def test_search_json_hits_are_the_apis(web_index, query):
    """A script written against /api/search reads `vnsearch search --json` as well."""
    archive, index = web_index
    client = create_app({"INDEX_ROOT": index, "ARCHIVE_ROOT": archive, "TESTING": True}
                        ).test_client()
    api = client.get("/api/search", query_string={"q": query}).get_json()
    result = run("search", query, "--index", index, "--archive", archive, "--json")
    assert result.exit_code == 0, result.output
    assert api["hits"], query
    assert json.loads(result.stdout)["hits"] == api["hits"]


# --------------------------------------------------------------------------- import


def _jsonl(path: Path, lines: list) -> Path:
    text = "\n".join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False) for x in lines)
    if path.name.endswith(".gz"):
        with gzip.open(path, "wt", encoding="utf-8") as fh:
            fh.write(text + "\n")
    else:
        path.write_text(text + "\n", encoding="utf-8")
    return path


GOOD = [
    {"id": "vne-1", "title": "Giá xăng giảm lần thứ ba",
     "body": "Giá xăng giảm lần thứ ba liên tiếp.\n\nNgười dân và doanh nghiệp vui mừng.",
     "category": "Kinh doanh", "date": "2024-05-01", "source": "VnExpress",
     "url": "https://vnexpress.net/gia-xang", "tags": ["xăng", "giá cả"], "ignored": 1},
    {"id": "tt-2", "title": "Họp bàn về giao thông", "body": "Thành phố họp bàn về giao thông.",
     "category": "Chính trị - Xã hội", "author": "Minh Anh"},
    {"id": "khong-muc", "title": "Bài không có chuyên mục", "body": "Nội dung bài không chuyên mục."},
]


def test_import_writes_files_named_by_id_into_category_folders(tmp_path):
    source = _jsonl(tmp_path / "ban-ghi.jsonl", GOOD + [
        {"id": "thieu-tieu-de", "body": "Không có tiêu đề."},
        "{ không phải JSON",
        {"id": "../thoat-ra", "title": "Đường dẫn xấu", "body": "Nội dung."},
        "",
        {"id": "vne-1", "title": "Trùng mã", "body": "Trùng."},
    ])
    into = tmp_path / "archive"
    result = run("import", source, "--into", into)
    assert result.exit_code == 1
    out = result.stdout
    assert f"Wrote 3 articles into {into}; 0 already existed" in out
    assert f"  rejected: {source}:4: missing 'title'" in out
    assert f"  rejected: {source}:5: invalid JSON" in out
    assert f"  rejected: {source}:6: unsafe id" in out
    assert f"  rejected: {source}:8: duplicate id 'vne-1' (first at {source}:1)" in out
    files = sorted(p.relative_to(into).as_posix() for p in into.rglob("*") if p.is_file())
    assert files == ["chinh-tri-xa-hoi/tt-2.txt", "khong-muc.txt", "kinh-doanh/vne-1.txt"]
    assert not (tmp_path / "thoat-ra.txt").exists()

    # the files read back as the records
    scan = scan_archive(into)
    assert scan.rejected == []
    articles = {a.id: a for a in (read_article(into, f) for f in scan.files)}
    vne = articles["kinh-doanh/vne-1.txt"]
    assert vne.title == "Giá xăng giảm lần thứ ba"
    assert vne.body == GOOD[0]["body"]
    assert vne.date == "2024-05-01"
    assert vne.category == "Kinh doanh"
    assert vne.source_url == "https://vnexpress.net/gia-xang"
    assert vne.tags == ("xăng", "giá cả")
    tt = articles["chinh-tri-xa-hoi/tt-2.txt"]
    assert tt.category == "Chính trị - Xã hội" and tt.author == "Minh Anh"
    assert articles["khong-muc.txt"].category is None


def test_import_all_good_exit_0_and_existing_files_kept(tmp_path):
    source = _jsonl(tmp_path / "ban-ghi.jsonl.gz", GOOD)
    into = tmp_path / "archive"
    result = run("import", source, "--into", into)
    assert result.exit_code == 0, result.output
    assert "Wrote 3 articles" in result.stdout
    target = into / "kinh-doanh" / "vne-1.txt"
    target.write_text("---\ntitle: Sửa tay\n---\nĐã sửa tay.\n", encoding="utf-8")

    result = run("import", source, "--into", into)
    assert result.exit_code == 0
    assert "Wrote 0 articles" in result.stdout and "3 already existed" in result.stdout
    assert "Sửa tay" in target.read_text(encoding="utf-8")

    result = run("import", source, "--into", into, "--overwrite")
    assert result.exit_code == 0
    assert "Wrote 3 articles" in result.stdout
    assert "Giá xăng giảm" in target.read_text(encoding="utf-8")
    assert not [p for p in into.rglob(".*")]  # no temporary files left


def test_import_missing_file_exit_2(tmp_path):
    result = run("import", tmp_path / "khong-co.jsonl", "--into", tmp_path / "archive")
    assert result.exit_code == 2
    assert "no such file" in result.stderr


def test_imported_archive_indexes_and_searches(tmp_path):
    source = _jsonl(tmp_path / "ban-ghi.jsonl", GOOD)
    into = tmp_path / "archive"
    assert run("import", source, "--into", into).exit_code == 0
    assert run("index", "--archive", into, "--index", tmp_path / "index", "--jobs", "1").exit_code == 0
    data = json.loads(run("search", "gia xang", "--index", tmp_path / "index", "--json").stdout)
    assert data["hits"][0]["path"] == "kinh-doanh/vne-1.txt"


# --------------------------------------------------------------------------- eval

QUERIES = [
    {"qid": "q1", "query": SEED_TITLE, "kind": "title",
     "relevant": ["70-nam-truyen-thong-dang-bo-khoi-cac-co-quan-trung-uong"]},
    {"qid": "q2", "query": "con duong moi ve que", "kind": "title",
     "relevant": ["con-duong-moi"]},
    {"qid": "q3", "query": "zzzqqq", "kind": "keyword", "relevant": ["ban-tin"]},
    {"qid": "q4", "query": "ngân hàng lãi suất", "kind": "keyword", "relevant": ["lai-suat"]},
]


@pytest.fixture
def query_file(tmp_path):
    return _jsonl(tmp_path / "queries.jsonl", QUERIES)


def test_eval_prints_mrr_table(small_index, query_file):
    result = run("eval", query_file, "--index", small_index)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split()[:4] == ["kind", "n", "MRR@10", "S@1"]
    rows = {line.split()[0]: line.split() for line in lines[1:] if line and not line.startswith(" ")}
    assert rows["title"][1:3] == ["2", "1.000"]
    assert rows["keyword"][1:3] == ["2", "0.500"]
    assert rows["all"][1:3] == ["4", "0.750"]
    assert rows["keyword"][5] == "1"  # one zero-result query
    assert "first:" not in result.stdout


def test_eval_json_and_failures(small_index, query_file):
    result = run("eval", query_file, "--index", small_index, "--json", "--failures", "3", "--k", "5")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["k"] == 5
    assert data["metrics"]["all"]["queries"] == 4
    assert data["metrics"]["all"]["mrr"] == pytest.approx(0.75)
    assert data["metrics"]["title"]["success@1"] == 1.0
    assert data["metrics"]["keyword"]["zero_results"] == 1
    assert [f["qid"] for f in data["failures"]] == ["q3"]
    assert data["failures"][0]["rank"] is None and data["failures"][0]["first"] is None
    # q2 was typed without diacritics: its restoration against the title is measured
    # (a tiny archive gives a noisy vocabulary, so only its range is checked)
    assert 0 < data["restoration_accuracy"] <= 1


def test_eval_text_failures(small_index, query_file):
    result = run("eval", query_file, "--index", small_index, "--failures", "2")
    assert result.exit_code == 0
    assert "  q3 [keyword] rank -: zzzqqq" in result.stdout
    assert "      first: None" in result.stdout


def test_eval_bad_query_file_exit_2(small_index, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"qid": "q1", "query": "x", "relevant": ["a"]}\n{"qid": "q2"}\n', encoding="utf-8")
    result = run("eval", bad, "--index", small_index)
    assert result.exit_code == 2
    assert "line 2" in result.stderr


def test_eval_without_index_exit_2(query_file, tmp_path):
    result = run("eval", query_file, "--index", tmp_path / "khong-co")
    assert result.exit_code == 2
    assert "vnsearch index" in result.stderr
