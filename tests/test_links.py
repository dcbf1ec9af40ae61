"""Exact duplicates shown once, and old addresses that keep leading to their article
(indexer.links through ``build``): real archives and indexes on disk, full and incremental
runs, read back through ``ArchiveSearcher`` as the site reads them."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from helpers import bump_mtime, wait_for_refresh, write_article
from indexer.build import build, verify
from indexer.checking import check_archive
from indexer.location import open_current
from indexer.search import ArchiveSearcher, SearchParams

STORM = ("Bão số 3 đổ bộ miền Trung", "Cơn bão số 3 gây mưa lớn ở các tỉnh miền Trung.")
GOLD = ("Giá vàng tăng mạnh", "Giá vàng trong nước tăng mạnh theo giá thế giới.")
FESTIVAL = ("Lễ hội mùa xuân", "Lễ hội mùa xuân thu hút hàng nghìn du khách.")


@pytest.fixture
def archive(tmp_path) -> Path:
    root = tmp_path / "archive"
    write_article(root, "thoi-su/bao.txt", *STORM, date="2024-09-07")
    write_article(root, "kinh-te/vang.txt", *GOLD)
    write_article(root, "van-hoa/le-hoi.txt", *FESTIVAL)
    return root


@pytest.fixture
def index_root(tmp_path) -> Path:
    return tmp_path / "index"


@pytest.fixture
def copied(archive, index_root) -> Path:
    """The archive indexed with a copy of the storm article, which sorts after it."""
    write_article(archive, "xa-hoi/bao.txt", *STORM)
    update(archive, index_root)
    return archive


@pytest.fixture
def site(index_root):
    """The index as the website reads it."""
    searcher = ArchiveSearcher(index_root)
    yield searcher
    searcher.close()


def found(site: ArchiveSearcher, q: str) -> list[str]:
    return [hit.id for hit in site.search(SearchParams(q=q, per_page=50)).hits]


def address(site: ArchiveSearcher, doc_id: str) -> str | None:
    """Where the site sends a reader asking for ``doc_id``: itself when it is an article,
    the article holding its text when it moved, None for a 404."""
    if site.article(doc_id, related=0) is not None:
        return doc_id
    return site.moved(doc_id)


def update(archive: Path, index_root: Path, **options):
    report = build(archive, index_root, jobs=1, **options)
    wait_for_refresh()
    return report


# --------------------------------------------------------------------------- duplicates


def test_exact_duplicates_are_one_result_and_the_first_files_page_names_the_copies(
        archive, index_root, site):
    # the same title and text; front matter (date, author) may differ
    write_article(archive, "xa-hoi/bao-ban-sao.txt", *STORM, author="Thu Trang")
    write_article(archive, "a-moi/bao.txt", *STORM)
    report = update(archive, index_root)
    assert report.duplicates == [["a-moi/bao.txt", "thoi-su/bao.txt", "xa-hoi/bao-ban-sao.txt"]]
    assert report.folded == 2
    assert report.documents == 3
    assert sorted(report.added) == sorted(["a-moi/bao.txt", "thoi-su/bao.txt",
                                           "xa-hoi/bao-ban-sao.txt", "kinh-te/vang.txt",
                                           "van-hoa/le-hoi.txt"])
    assert found(site, '"bão số 3"') == ["a-moi/bao.txt"]
    view = site.article("a-moi/bao.txt")
    assert view.copies == ["thoi-su/bao.txt", "xa-hoi/bao-ban-sao.txt"]
    assert address(site, "thoi-su/bao.txt") == "a-moi/bao.txt"
    assert address(site, "xa-hoi/bao-ban-sao.txt") == "a-moi/bao.txt"


def test_the_same_text_under_another_title_is_another_article(archive, index_root, site):
    write_article(archive, "anh/bao.txt", "Ảnh: bão số 3 đổ bộ", STORM[1])
    report = update(archive, index_root)
    assert report.duplicates == []
    assert sorted(found(site, '"bão số 3"')) == ["anh/bao.txt", "thoi-su/bao.txt"]


def test_check_and_index_list_the_same_duplicates(archive, index_root):
    write_article(archive, "xa-hoi/bao.txt", *STORM)
    write_article(archive, "kinh-te/vang-2.txt", *GOLD)
    report = update(archive, index_root)
    assert check_archive(archive, 5 * 1024 * 1024).duplicates == report.duplicates == [
        ["kinh-te/vang-2.txt", "kinh-te/vang.txt"], ["thoi-su/bao.txt", "xa-hoi/bao.txt"]]


def test_a_copy_added_later_is_folded_into_its_article(archive, index_root, site):
    update(archive, index_root)
    write_article(archive, "xa-hoi/bao.txt", *STORM)
    report = update(archive, index_root)
    assert not report.full
    assert report.added == ["xa-hoi/bao.txt"]
    assert report.duplicates == [["thoi-su/bao.txt", "xa-hoi/bao.txt"]]
    assert report.documents == 3
    assert found(site, '"bão số 3"') == ["thoi-su/bao.txt"]
    assert site.article("thoi-su/bao.txt").copies == ["xa-hoi/bao.txt"]
    assert address(site, "xa-hoi/bao.txt") == "thoi-su/bao.txt"


def test_a_copy_first_in_name_order_becomes_the_shown_file(archive, index_root, site):
    update(archive, index_root)
    write_article(archive, "a-moi/bao.txt", *STORM)
    report = update(archive, index_root)
    assert report.duplicates == [["a-moi/bao.txt", "thoi-su/bao.txt"]]
    assert found(site, '"bão số 3"') == ["a-moi/bao.txt"]
    assert address(site, "thoi-su/bao.txt") == "a-moi/bao.txt"


def test_when_the_shown_file_is_deleted_its_copy_is_shown_and_the_old_address_follows(
        copied, index_root, site):
    (copied / "thoi-su/bao.txt").unlink()
    report = update(copied, index_root)
    assert report.deleted == ["thoi-su/bao.txt"]
    assert report.added == report.renamed == [] and report.duplicates == []
    assert report.documents == 3
    assert found(site, '"bão số 3"') == ["xa-hoi/bao.txt"]
    assert site.article("xa-hoi/bao.txt").copies == []
    assert address(site, "thoi-su/bao.txt") == "xa-hoi/bao.txt"
    assert verify(copied, index_root).in_sync


def test_when_the_shown_file_is_edited_its_copy_becomes_an_article_of_its_own(
        copied, index_root, site):
    write_article(copied, "thoi-su/bao.txt", STORM[0], STORM[1] + " Hàng nghìn hộ dân phải sơ tán.")
    report = update(copied, index_root)
    assert report.updated == ["thoi-su/bao.txt"] and report.duplicates == []
    assert sorted(found(site, '"bão số 3"')) == ["thoi-su/bao.txt", "xa-hoi/bao.txt"]
    assert found(site, '"sơ tán"') == ["thoi-su/bao.txt"]
    assert address(site, "xa-hoi/bao.txt") == "xa-hoi/bao.txt"
    assert verify(copied, index_root).in_sync


def test_an_edited_copy_becomes_an_article_of_its_own(copied, index_root, site):
    write_article(copied, "xa-hoi/bao.txt", STORM[0], STORM[1] + " Cập nhật lúc 10 giờ.")
    report = update(copied, index_root)
    assert report.updated == ["xa-hoi/bao.txt"] and report.duplicates == []
    assert sorted(found(site, '"bão số 3"')) == ["thoi-su/bao.txt", "xa-hoi/bao.txt"]
    assert site.article("thoi-su/bao.txt").copies == []


def test_a_deleted_copy_is_no_longer_named_and_its_address_still_leads_to_the_article(
        copied, index_root, site):
    (copied / "xa-hoi/bao.txt").unlink()
    report = update(copied, index_root)
    assert report.deleted == ["xa-hoi/bao.txt"] and report.duplicates == []
    assert site.article("thoi-su/bao.txt").copies == []
    assert address(site, "xa-hoi/bao.txt") == "thoi-su/bao.txt"


def test_a_touched_copy_changes_nothing(copied, index_root):
    bump_mtime(copied / "xa-hoi/bao.txt")
    generation = open_current(index_root).latest_generation()
    report = update(copied, index_root)
    assert report.indexed == 0 and report.unchanged == 4
    assert report.duplicates == [["thoi-su/bao.txt", "xa-hoi/bao.txt"]]
    assert open_current(index_root).latest_generation() == generation


def test_verify_counts_copies_as_indexed_and_a_new_copy_as_missing(copied, index_root):
    assert verify(copied, index_root).in_sync
    write_article(copied, "xa-hoi/bao-2.txt", *STORM)
    assert verify(copied, index_root).missing == ["xa-hoi/bao-2.txt"]
    update(copied, index_root)
    assert verify(copied, index_root).in_sync


def test_incremental_runs_end_where_a_full_rebuild_does(archive, index_root, tmp_path):
    update(archive, index_root)
    write_article(archive, "xa-hoi/bao.txt", *STORM)
    write_article(archive, "a/vang.txt", *GOLD)
    update(archive, index_root)
    (archive / "thoi-su/bao.txt").unlink()
    write_article(archive, "z/le-hoi.txt", *FESTIVAL)
    write_article(archive, "a/vang.txt", GOLD[0], GOLD[1] + " Đã sửa.")
    update(archive, index_root)
    fresh = tmp_path / "fresh"
    update(archive, fresh)
    for root in (index_root, fresh):
        assert verify(archive, root).in_sync
    assert _articles(index_root) == _articles(fresh)


def _articles(index_root: Path) -> dict[str, tuple]:
    """Each indexed article's stored fields and copies (former ids depend on history)."""
    from indexer.links import Links

    with open_current(index_root).searcher() as searcher:
        reader = searcher.reader()
        links = reader.column_reader("links")
        return {fields["id"]: (fields, sorted(Links.decode(links[docnum]).copies))
                for docnum, fields in reader.iter_docs()}


# --------------------------------------------------------------------------- addresses


def test_a_renamed_files_old_address_leads_to_the_new_one(archive, index_root, site):
    update(archive, index_root)
    os.rename(archive / "kinh-te/vang.txt", archive / "kinh-te/gia-vang.txt")
    report = update(archive, index_root)
    assert report.renamed == [("kinh-te/vang.txt", "kinh-te/gia-vang.txt")]
    assert address(site, "kinh-te/vang.txt") == "kinh-te/gia-vang.txt"
    assert address(site, "kinh-te/gia-vang.txt") == "kinh-te/gia-vang.txt"
    assert address(site, "kinh-te/khong-co.txt") is None


def test_a_moved_and_edited_file_still_leads_from_its_old_address(archive, index_root, site):
    update(archive, index_root)
    (archive / "kinh-te/vang.txt").unlink()
    write_article(archive, "thi-truong/vang.txt", *GOLD, author="Quốc Bảo")  # other bytes
    report = update(archive, index_root)
    assert report.deleted == ["kinh-te/vang.txt"] and report.added == ["thi-truong/vang.txt"]
    assert address(site, "kinh-te/vang.txt") == "thi-truong/vang.txt"


def test_renames_in_a_row_lead_straight_to_the_last_name(archive, index_root, site):
    update(archive, index_root)
    names = ["kinh-te/vang.txt", "kinh-te/vang-2.txt", "kinh-te/vang-3.txt"]
    for old, new in zip(names, names[1:]):
        os.rename(archive / old, archive / new)
        update(archive, index_root)
    assert site.moved(names[0]) == site.moved(names[1]) == names[2]
    assert site.moved(names[2]) is None


def test_renaming_back_makes_the_old_address_an_article_again_without_a_loop(
        archive, index_root, site):
    update(archive, index_root)
    os.rename(archive / "kinh-te/vang.txt", archive / "kinh-te/vang-2.txt")
    update(archive, index_root)
    os.rename(archive / "kinh-te/vang-2.txt", archive / "kinh-te/vang.txt")
    report = update(archive, index_root)
    assert report.renamed == [("kinh-te/vang-2.txt", "kinh-te/vang.txt")]
    assert address(site, "kinh-te/vang.txt") == "kinh-te/vang.txt"
    assert site.moved("kinh-te/vang.txt") is None
    assert address(site, "kinh-te/vang-2.txt") == "kinh-te/vang.txt"


def test_a_new_article_at_an_old_address_is_shown_not_redirected(archive, index_root, site):
    update(archive, index_root)
    os.rename(archive / "kinh-te/vang.txt", archive / "kinh-te/gia-vang.txt")
    update(archive, index_root)
    write_article(archive, "kinh-te/vang.txt", "Giá vàng hôm nay", "Bảng giá vàng sáng nay.")
    update(archive, index_root)
    assert address(site, "kinh-te/vang.txt") == "kinh-te/vang.txt"
    assert site.article("kinh-te/vang.txt").title == "Giá vàng hôm nay"
    # and when it goes again, the address is no longer led anywhere
    (archive / "kinh-te/vang.txt").unlink()
    update(archive, index_root)
    assert address(site, "kinh-te/vang.txt") is None


def test_a_deleted_articles_address_is_not_found(archive, index_root, site):
    update(archive, index_root)
    (archive / "van-hoa/le-hoi.txt").unlink()
    update(archive, index_root)
    assert address(site, "van-hoa/le-hoi.txt") is None


def test_a_full_rebuild_keeps_the_old_addresses_and_learns_renames_since(
        archive, index_root, site):
    update(archive, index_root)
    os.rename(archive / "kinh-te/vang.txt", archive / "kinh-te/vang-2.txt")
    update(archive, index_root)
    os.rename(archive / "thoi-su/bao.txt", archive / "thoi-su/bao-2.txt")  # not indexed yet
    report = update(archive, index_root, full=True)
    assert report.full
    assert address(site, "kinh-te/vang.txt") == "kinh-te/vang-2.txt"
    assert address(site, "thoi-su/bao.txt") == "thoi-su/bao-2.txt"
    # and the next full rebuild still has them
    update(archive, index_root, full=True)
    assert address(site, "kinh-te/vang.txt") == "kinh-te/vang-2.txt"


def test_a_full_rebuild_into_an_empty_index_folder_knows_no_old_addresses(
        archive, index_root, site):
    update(archive, index_root)
    os.rename(archive / "kinh-te/vang.txt", archive / "kinh-te/vang-2.txt")
    update(archive, index_root)
    shutil.rmtree(index_root)
    update(archive, index_root, full=True)
    assert address(site, "kinh-te/vang.txt") is None
    assert address(site, "kinh-te/vang-2.txt") == "kinh-te/vang-2.txt"
