"""indexer.categories: categories shown by their Vietnamese names, from the built-in list and
the archive's categories.conf, in results, facets, filters and the article page."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from helpers import write_article
from indexer.build import build
from indexer.categories import (
    DEFAULT,
    DEFAULT_NAMES,
    LIBRARIAN_FILE,
    CategoryNames,
    CategorySource,
)
from indexer.search import ArchiveSearcher, SearchParams

BODY = "Bài viết về giá lúa gạo năm nay."


def write(path: Path, text: str, mtime_step: float = 0.0) -> None:
    path.write_text(text, encoding="utf-8")
    if mtime_step:
        stamp = time.time() + mtime_step
        os.utime(path, (stamp, stamp))


def test_common_news_sections_have_their_names_built_in():
    assert DEFAULT.shown("chinh-tri") == "Chính trị"
    assert DEFAULT.shown("the-thao") == "Thể thao"
    assert DEFAULT.shown("Suc-Khoe") == "Sức khỏe"  # a folder's case does not matter
    assert all(name.strip() and name[0].isupper() for name in DEFAULT_NAMES.values())


def test_a_category_without_a_name_is_shown_as_written():
    # "moi" could be "mới", "mồi" or "môi": better shown as it is than wrongly
    assert DEFAULT.shown("moi") == "moi"
    assert DEFAULT.shown("Chính trị - Xã hội") == "Chính trị - Xã hội"
    assert DEFAULT.shown(None) is None


def test_the_file_names_folders_and_reports_each_line_it_cannot_use():
    names, problems = CategoryNames.parse(
        "# tên chuyên mục\n"
        "moi = Tin mới   # the site's 'new' section\n"
        "chinh-tri = Chính trị - Xã hội\n"
        "thoi su\n"
        "a = b = c\n"
        " = Không tên\n"
        "xa-hoi/ha-noi = Hà Nội\n"
        "moi = Tin mới\n"
        "MOI = Mới nhất\n",
        "categories.conf")
    assert names.shown("moi") == "Tin mới"
    assert names.shown("chinh-tri") == "Chính trị - Xã hội"
    assert [p.split(":")[1] for p in problems] == ["4", "5", "6", "7", "9"]
    assert "already named 'Tin mới' on line 2" in problems[-1]
    assert all(p.startswith("categories.conf:") for p in problems)


def test_names_merge_with_the_built_in_ones():
    local, _ = CategoryNames.parse("kinh-te = Kinh tế - Tài chính\nmoi = Tin mới\n", "x")
    merged = DEFAULT.merged(local)
    assert merged.shown("kinh-te") == "Kinh tế - Tài chính"
    assert merged.shown("moi") == "Tin mới"
    assert merged.shown("the-thao") == "Thể thao"


def test_a_filter_by_name_or_by_slug_stands_for_every_category_with_that_name():
    indexed = ["kinh-te", "Kinh tế", "the-thao", "moi"]
    assert DEFAULT.categories("Kinh tế", indexed) == ["Kinh tế", "kinh-te"]
    assert DEFAULT.categories("kinh-te", indexed) == ["Kinh tế", "kinh-te"]
    assert DEFAULT.categories("moi", indexed) == ["moi"]
    assert DEFAULT.categories("Không có", indexed) == []


def test_the_librarians_file_is_read_again_after_an_edit(tmp_path):
    conf = tmp_path / LIBRARIAN_FILE
    write(conf, "\ufeffmoi = Tin mới\nkhông có dấu bằng\n")  # as Windows editors save it
    source = CategorySource(tmp_path)
    assert source.current().shown("moi") == "Tin mới"
    assert len(source.problems) == 1 and source.problems[0].startswith(f"{conf}:2: ")
    write(conf, "moi = Mới cập nhật\n", mtime_step=10)
    source._checked = float("-inf")  # look at the file again now rather than in a second
    assert source.current().shown("moi") == "Mới cập nhật"
    assert source.problems == []
    conf.unlink()
    source._checked = float("-inf")
    assert source.current() is DEFAULT
    assert CategorySource(None).current() is DEFAULT


# --------------------------------------------------------------------------- search


@pytest.fixture()
def archive_searcher(tmp_path):
    archive = tmp_path / "archive"
    write_article(archive, "kinh-te/gao.txt", "Giá gạo tăng", BODY)
    write_article(archive, "tong-hop/lua.txt", "Giá lúa tăng", BODY, category="Kinh tế")
    write_article(archive, "moi/gia-ca.txt", "Giá cả thị trường", BODY)
    build(archive, tmp_path / "index", jobs=1)
    searcher = ArchiveSearcher(tmp_path / "index", archive_root=archive)
    yield archive, searcher
    searcher.close()


def facet(results) -> dict[str, int]:
    return {f.value: f.count for f in results.facets["category"]}


def test_results_and_facets_show_names_and_count_a_folder_with_its_name(archive_searcher):
    _, searcher = archive_searcher
    results = searcher.search(SearchParams(q="giá"))
    assert facet(results) == {"Kinh tế": 2, "moi": 1}
    assert {h.id: h.category for h in results.hits} == {
        "kinh-te/gao.txt": "Kinh tế", "tong-hop/lua.txt": "Kinh tế", "moi/gia-ca.txt": "moi"}
    assert searcher.article("kinh-te/gao.txt").category == "Kinh tế"


@pytest.mark.parametrize("asked", ["Kinh tế", "kinh-te", "Kinh-Te"])
def test_filtering_by_a_name_finds_the_folder_and_the_front_matter_alike(archive_searcher, asked):
    _, searcher = archive_searcher
    results = searcher.search(SearchParams(q="giá", category=asked))
    assert {h.id for h in results.hits} == {"kinh-te/gao.txt", "tong-hop/lua.txt"}
    assert results.params.category == "Kinh tế"  # what the chip and the facet show
    browsed = searcher.search(SearchParams(category=asked))
    assert browsed.total == 2


def test_a_name_in_the_librarians_file_shows_without_reindexing(archive_searcher):
    archive, searcher = archive_searcher
    assert searcher.search(SearchParams(q="giá", category="Tin mới")).total == 0
    write(archive / LIBRARIAN_FILE, "moi = Tin mới\n")
    searcher.categories._checked = float("-inf")  # look at the file at the next search
    results = searcher.search(SearchParams(q="giá"))
    assert facet(results) == {"Kinh tế": 2, "Tin mới": 1}
    filtered = searcher.search(SearchParams(q="giá", category="Tin mới"))
    assert [h.id for h in filtered.hits] == ["moi/gia-ca.txt"]
