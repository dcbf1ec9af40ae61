"""indexer.build (+ location, lock): full and incremental builds on real Whoosh indexes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from whoosh import index as whoosh_index

from helpers import PYTHON, REPO, SEED_ID, bump_mtime, copy_seed, write_article
from indexer.build import BuildReport, build, verify
from indexer.location import (
    CURRENT,
    IndexIncompatible,
    IndexMissing,
    current_dir,
    generations,
    new_generation,
    open_current,
    publish,
)
from indexer.schema import build_schema
from indexer.lock import IndexBusy, reindex_lock
from indexer.search import ArchiveSearcher, SearchParams


def ids(index_root: Path) -> set[str]:
    searcher = ArchiveSearcher(index_root)
    try:
        return searcher.ids()
    finally:
        searcher.close()


def stored(index_root: Path, doc_id: str) -> dict:
    with open_current(index_root).searcher() as s:
        fields = s.document(id=doc_id)
        assert fields is not None, f"{doc_id} is not in the index"
        return fields


def index_files(index_root: Path) -> dict[str, int]:
    """Every file of the live generation with its mtime (ns): to prove nothing was written."""
    live = current_dir(index_root)
    return {p.name: p.stat().st_mtime_ns for p in live.iterdir()}


@pytest.fixture
def archive(tmp_path):
    root = tmp_path / "archive"
    write_article(root, "thoi-su/bao-so-3.txt", "Bão số 3 đổ bộ miền Trung",
                  "Cơn bão số 3 gây mưa lớn ở các tỉnh miền Trung.\n\nNhiều tuyến đường bị ngập.",
                  date="2024-09-07", author="Thu Trang")
    write_article(root, "kinh-te/gia-vang.txt", "Giá vàng tăng mạnh",
                  "Giá vàng trong nước tăng mạnh theo giá thế giới.", date="2024-10-01")
    write_article(root, "van-hoa/le-hoi.txt", "Lễ hội mùa xuân",
                  "Lễ hội mùa xuân thu hút hàng nghìn du khách đến tham quan.")
    return root


@pytest.fixture
def index_root(tmp_path):
    return tmp_path / "index"


def test_full_build_publishes_current(archive, index_root):
    report = build(archive, index_root, jobs=1)
    assert isinstance(report, BuildReport)
    assert report.full
    assert report.added == ["kinh-te/gia-vang.txt", "thoi-su/bao-so-3.txt", "van-hoa/le-hoi.txt"]
    assert report.updated == report.deleted == report.renamed == report.rejected == []
    assert report.documents == 3
    assert report.indexed == 3
    assert report.elapsed > 0
    link = index_root / CURRENT
    assert link.is_symlink()
    assert os.readlink(link) == "gen-000001"
    assert current_dir(index_root) == index_root / "gen-000001"
    assert ids(index_root) == set(report.added)
    doc = stored(index_root, "thoi-su/bao-so-3.txt")
    assert doc["title"] == "Bão số 3 đổ bộ miền Trung"
    assert doc["date"] == "2024-09-07"
    assert doc["year"] == "2024"
    assert doc["author"] == "Thu Trang"
    assert doc["category"] == "thoi-su"
    assert "Nhiều tuyến đường bị ngập." in doc["body"]


def test_missing_index_is_reported(index_root):
    assert current_dir(index_root) is None
    with pytest.raises(IndexMissing):
        open_current(index_root)
    with pytest.raises(IndexMissing):
        ArchiveSearcher(index_root).search(SearchParams(q="bão"))


@pytest.mark.parametrize("added", ["pair", "publisher"])
def test_index_with_other_fields_is_refused_then_rebuilt(archive, index_root, added):
    # an index written before a field was added: opening it must not silently miss matches
    old_schema = build_schema()
    old_schema.remove(added)
    generation = new_generation(index_root)
    whoosh_index.create_in(str(generation), old_schema).close()
    publish(index_root, generation)
    with pytest.raises(IndexIncompatible, match="vnsearch index --full"):
        open_current(index_root)
    with pytest.raises(IndexIncompatible):
        ArchiveSearcher(index_root).search(SearchParams(q="giá vàng"))
    report = build(archive, index_root, jobs=1)
    assert report.full and report.documents == 3
    assert ArchiveSearcher(index_root).search(SearchParams(q='"giá vàng tăng"')).total == 1


def test_index_with_older_posting_formats_is_refused(archive, index_root):
    from whoosh.formats import Frequency

    old_schema = build_schema()
    old_schema["syl"].format = Frequency()
    generation = new_generation(index_root)
    whoosh_index.create_in(str(generation), old_schema).close()
    publish(index_root, generation)
    with pytest.raises(IndexIncompatible):
        open_current(index_root)


def test_postings_keep_term_counts_as_weights_and_pairs_as_presence(tmp_path):
    archive = tmp_path / "archive"
    write_article(archive, "lap.txt", "Tin ngắn", "Mưa to, mưa to, mưa to suốt đêm.")
    build(archive, tmp_path / "index", jobs=1)
    with open_current(tmp_path / "index").searcher() as searcher:
        def weight(field, text):
            matcher = searcher.postings(field, text)
            return matcher.weight()

        assert weight("syl", "mưa") == 3.0  # BM25 sees the count
        assert weight("fold", "mua") == 3.0
        assert weight("syl", "đêm") == 1.0
        assert weight("pair", "mua_to") == 1.0  # pairs only select phrase candidates
        assert not searcher.postings("syl", "mưa").supports("frequency")


def test_title_column_follows_every_titles_edit(archive, index_root):
    def titles_by_column_and_stored() -> list[tuple[str, str]]:
        with open_current(index_root).searcher() as s:
            reader = s.reader()
            column = reader.column_reader("title_column")
            return [(column[d].decode("utf-8"), s.stored_fields(d)["title"])
                    for d in reader.all_doc_ids()]

    build(archive, index_root, jobs=1)
    write_article(archive, "kinh-te/gia-vang.txt", "Giá vàng giảm sâu", "Giá vàng giảm.")
    write_article(archive, "kinh-te/lai-suat.txt", "Lãi suất ổn định", "Lãi suất giữ nguyên.")
    build(archive, index_root, jobs=1)
    pairs = titles_by_column_and_stored()
    assert len(pairs) == 4
    assert all(column == title for column, title in pairs)
    assert ("Giá vàng giảm sâu", "Giá vàng giảm sâu") in pairs


def test_incremental_add_edit_touch_rename_delete(archive, index_root):
    build(archive, index_root, jobs=1)

    # add
    write_article(archive, "the-thao/bong-da.txt", "Đội tuyển thắng đậm",
                  "Đội tuyển bóng đá thắng đậm trong trận giao hữu.")
    report = build(archive, index_root, jobs=1)
    assert not report.full
    assert report.added == ["the-thao/bong-da.txt"]
    assert report.updated == report.deleted == report.renamed == []
    assert report.unchanged == 3
    assert report.documents == 4
    assert "the-thao/bong-da.txt" in ids(index_root)

    # edit: new content
    write_article(archive, "kinh-te/gia-vang.txt", "Giá vàng giảm sâu",
                  "Giá vàng trong nước giảm sâu sau nhiều phiên tăng.", date="2024-10-02")
    report = build(archive, index_root, jobs=1)
    assert report.updated == ["kinh-te/gia-vang.txt"]
    assert report.added == report.deleted == report.renamed == []
    assert report.unchanged == 3
    doc = stored(index_root, "kinh-te/gia-vang.txt")
    assert doc["title"] == "Giá vàng giảm sâu"
    assert doc["date"] == "2024-10-02"
    assert report.documents == 4
    assert len(ids(index_root)) == 4  # replaced, not duplicated

    # touch only: mtime changes, content does not
    bump_mtime(archive / "van-hoa/le-hoi.txt")
    before = index_files(index_root)
    report = build(archive, index_root, jobs=1)
    assert report.indexed == 0
    assert report.unchanged == 4
    assert report.added == report.updated == report.deleted == report.renamed == []
    assert index_files(index_root) == before

    # rename
    os.rename(archive / "thoi-su/bao-so-3.txt", archive / "thoi-su/bao-yagi.txt")
    report = build(archive, index_root, jobs=1)
    assert report.renamed == [("thoi-su/bao-so-3.txt", "thoi-su/bao-yagi.txt")]
    assert report.added == report.deleted == report.updated == []
    assert ids(index_root) == {"thoi-su/bao-yagi.txt", "kinh-te/gia-vang.txt",
                               "van-hoa/le-hoi.txt", "the-thao/bong-da.txt"}
    assert stored(index_root, "thoi-su/bao-yagi.txt")["title"] == "Bão số 3 đổ bộ miền Trung"

    # delete
    (archive / "the-thao/bong-da.txt").unlink()
    report = build(archive, index_root, jobs=1)
    assert report.deleted == ["the-thao/bong-da.txt"]
    assert report.added == report.updated == report.renamed == []
    assert report.documents == 3
    assert ids(index_root) == {"thoi-su/bao-yagi.txt", "kinh-te/gia-vang.txt", "van-hoa/le-hoi.txt"}
    # still the same generation: incremental updates never swap
    assert os.readlink(index_root / CURRENT) == "gen-000001"


def test_edit_with_same_size_is_detected(archive, index_root):
    build(archive, index_root, jobs=1)
    path = archive / "kinh-te/gia-vang.txt"
    data = path.read_bytes()
    changed = data.replace("tăng mạnh theo".encode(), "mạnh tăng theo".encode())
    assert len(changed) == len(data) and changed != data
    path.write_bytes(changed)
    bump_mtime(path)
    report = build(archive, index_root, jobs=1)
    assert report.updated == ["kinh-te/gia-vang.txt"]
    assert "mạnh tăng theo" in stored(index_root, "kinh-te/gia-vang.txt")["body"]


def test_nothing_changed_touches_nothing(archive, index_root):
    build(archive, index_root, jobs=1)
    generation = open_current(index_root).latest_generation()
    before = index_files(index_root)
    report = build(archive, index_root, jobs=1)
    assert not report.full
    assert report.indexed == 0
    assert report.unchanged == 3
    assert report.added == report.updated == report.deleted == report.renamed == []
    assert report.documents == 3
    assert index_files(index_root) == before
    assert open_current(index_root).latest_generation() == generation


def test_rejected_files_are_reported_and_the_rest_indexed(archive, index_root):
    (archive / "rong.txt").write_bytes(b"   \n\n  ")
    (archive / "nhi-phan.txt").write_bytes(bytes(range(256)) * 4)
    (archive / "chi-tieu-de.txt").write_text("Chỉ có tiêu đề\n", encoding="utf-8")
    (archive / ".an.txt").write_text("Tệp ẩn\n\nkhông phải bài", encoding="utf-8")
    (archive / "ghi-chu.txt~").write_text("Bản sao lưu\n\nkhông phải bài", encoding="utf-8")
    (archive / "anh.jpg").write_bytes(b"\xff\xd8\xff")
    report = build(archive, index_root, jobs=1)
    rejected = {err.id: err.reason for err in report.rejected}
    assert set(rejected) == {"rong.txt", "nhi-phan.txt", "chi-tieu-de.txt"}
    assert all(reason for reason in rejected.values())
    assert "empty" in rejected["rong.txt"]
    assert all(str(err) == f"{err.id}: {err.reason}" for err in report.rejected)
    assert report.skipped == 3
    assert ids(index_root) == {"thoi-su/bao-so-3.txt", "kinh-te/gia-vang.txt", "van-hoa/le-hoi.txt"}
    assert report.documents == 3


def test_indexed_file_that_becomes_invalid_is_removed(archive, index_root):
    build(archive, index_root, jobs=1)
    path = archive / "van-hoa/le-hoi.txt"
    path.write_bytes(b"")
    report = build(archive, index_root, jobs=1)
    assert [err.id for err in report.rejected] == ["van-hoa/le-hoi.txt"]
    assert "van-hoa/le-hoi.txt" not in ids(index_root)
    assert report.documents == 2
    # a later run still reports it, and the index stays without it
    report = build(archive, index_root, jobs=1)
    assert [err.id for err in report.rejected] == ["van-hoa/le-hoi.txt"]
    assert ids(index_root) == {"thoi-su/bao-so-3.txt", "kinh-te/gia-vang.txt"}
    # fixed again: indexed again
    write_article(archive, "van-hoa/le-hoi.txt", "Lễ hội mùa thu", "Lễ hội mùa thu ở làng.")
    report = build(archive, index_root, jobs=1)
    assert report.rejected == []
    assert "van-hoa/le-hoi.txt" in ids(index_root)


def test_full_rebuild_swaps_generations_and_keeps_only_the_previous(archive, index_root):
    build(archive, index_root, jobs=1)
    assert [g.name for g in generations(index_root)] == ["gen-000001"]

    write_article(archive, "moi.txt", "Bài mới", "Một bài viết mới được thêm vào.")
    report = build(archive, index_root, full=True, jobs=1)
    assert report.full
    assert report.documents == 4
    assert os.readlink(index_root / CURRENT) == "gen-000002"
    assert [g.name for g in generations(index_root)] == ["gen-000001", "gen-000002"]
    assert "moi.txt" in ids(index_root)

    (archive / "moi.txt").unlink()
    report = build(archive, index_root, full=True, jobs=1)
    assert os.readlink(index_root / CURRENT) == "gen-000003"
    assert [g.name for g in generations(index_root)] == ["gen-000002", "gen-000003"]
    assert "moi.txt" not in ids(index_root)
    assert report.added == sorted(ids(index_root))


def test_leftover_of_a_killed_full_rebuild_is_discarded(archive, index_root):
    build(archive, index_root, jobs=1)
    leftover = index_root / "gen-000007"
    leftover.mkdir()
    (leftover / "half-written.seg").write_bytes(b"x")
    build(archive, index_root, jobs=1)
    assert not leftover.exists()
    assert os.readlink(index_root / CURRENT) == "gen-000001"
    report = build(archive, index_root, full=True, jobs=1)
    assert report.full
    assert os.readlink(index_root / CURRENT) == "gen-000002"


def test_worker_pool_build_matches_serial(tmp_path):
    archive = tmp_path / "archive"
    for i in range(12):
        write_article(archive, f"muc-{i % 3}/bai-{i:02d}.txt", f"Bài số {i} về nông nghiệp",
                      f"Nông dân xã {i} thu hoạch lúa sớm.\n\nSản lượng năm nay tăng {i} phần trăm.")
    (archive / "hong.txt").write_bytes(b"")
    serial = build(archive, tmp_path / "serial", jobs=1)
    seen = []

    def progress(items):
        for item in items:
            seen.append(item)
            yield item

    pooled = build(archive, tmp_path / "pooled", jobs=2, progress=progress)
    assert pooled.added == serial.added
    assert len(pooled.added) == 12
    assert [e.id for e in pooled.rejected] == [e.id for e in serial.rejected] == ["hong.txt"]
    assert len(seen) == 13  # the progress wrapper sees every file, rejected ones too
    assert ids(tmp_path / "pooled") == ids(tmp_path / "serial")


def test_seed_article_is_indexed_with_author_and_clean_body(tmp_path):
    archive = tmp_path / "archive"
    copy_seed(archive)
    build(archive, tmp_path / "index", jobs=1)
    doc = stored(tmp_path / "index", SEED_ID)
    assert doc["title"] == "70 năm truyền thống Đảng bộ Khối các cơ quan Trung ương"
    assert doc["author"] == "Quỳnh Hoa"
    assert doc["category"] == "chinh-tri"
    assert "Phản hồi" not in doc["body"]
    assert "Xem nhiều nhất" not in doc["body"]
    assert doc["body"].rstrip().endswith("phải hoàn thành.")


# --------------------------------------------------------------------------- one writer at a time


def test_second_concurrent_build_is_refused(archive, index_root):
    build(archive, index_root, jobs=1)
    before = index_files(index_root)
    write_article(archive, "moi.txt", "Bài mới", "Một bài viết mới.")
    with reindex_lock(index_root):
        with pytest.raises(IndexBusy) as info:
            build(archive, index_root, jobs=1)
        assert f"pid {os.getpid()}" in str(info.value)
    assert index_files(index_root) == before
    # the lock was released: the next run works
    report = build(archive, index_root, jobs=1)
    assert report.added == ["moi.txt"]


def test_first_build_is_refused_while_locked(archive, index_root):
    with reindex_lock(index_root):
        with pytest.raises(IndexBusy):
            build(archive, index_root, jobs=1)
    assert current_dir(index_root) is None
    assert build(archive, index_root, jobs=1).documents == 3


_HOLDER = """
import sys, time
from pathlib import Path
from indexer.lock import reindex_lock
with reindex_lock(Path(sys.argv[1])):
    print("locked", flush=True)
    time.sleep(120)
"""


def test_lock_is_released_when_the_holder_is_killed(archive, index_root):
    build(archive, index_root, jobs=1)
    holder = subprocess.Popen(
        [str(PYTHON if PYTHON.exists() else sys.executable), "-c", _HOLDER, str(index_root)],
        cwd=REPO, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(IndexBusy) as info:
            build(archive, index_root, jobs=1)
        assert f"pid {holder.pid}" in str(info.value)
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(timeout=10)
        assert holder.returncode == -signal.SIGKILL
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
        holder.stdout.close()
    write_article(archive, "sau-khi-kill.txt", "Sau khi dừng", "Chỉ mục vẫn cập nhật được.")
    report = build(archive, index_root, jobs=1)
    assert report.added == ["sau-khi-kill.txt"]


def test_second_build_process_is_refused(archive, index_root, tmp_path):
    """A real second process: `vnsearch index` while this process holds the lock."""
    build(archive, index_root, jobs=1)
    script = (
        "import sys; from pathlib import Path; from indexer.build import build; "
        "from indexer.lock import IndexBusy\n"
        "try:\n    build(Path(sys.argv[1]), Path(sys.argv[2]), jobs=1)\n"
        "except IndexBusy as e:\n    print('busy', e); sys.exit(3)\n"
    )
    with reindex_lock(index_root):
        started = time.monotonic()
        done = subprocess.run(
            [str(PYTHON if PYTHON.exists() else sys.executable), "-c", script,
             str(archive), str(index_root)],
            cwd=REPO, capture_output=True, text=True, timeout=60,
        )
    assert done.returncode == 3, done.stderr
    assert "busy" in done.stdout
    assert time.monotonic() - started < 30  # refused, not waiting for the lock


def test_verify_reports_missing_stale_and_orphaned_documents(tmp_path):
    archive, index_root = tmp_path / "archive", tmp_path / "index"
    write_article(archive, "a/mot.txt", "Bài một", "Nội dung bài một.")
    write_article(archive, "a/hai.txt", "Bài hai", "Nội dung bài hai.")
    write_article(archive, "a/ba.txt", "Bài ba", "Nội dung bài ba.")
    build(archive, index_root, jobs=1)
    assert verify(archive, index_root).in_sync

    write_article(archive, "a/bon.txt", "Bài bốn", "Nội dung bài bốn.")
    write_article(archive, "a/hai.txt", "Bài hai", "Nội dung bài hai, đã sửa.")
    (archive / "a/ba.txt").unlink()
    report = verify(archive, index_root)
    assert (report.missing, report.stale, report.orphaned) == (["a/bon.txt"], ["a/hai.txt"], ["a/ba.txt"])
    assert not report.in_sync

    build(archive, index_root, jobs=1)
    assert verify(archive, index_root).in_sync


def test_a_parallel_build_leaves_nothing_in_the_temp_folder(tmp_path):
    """Each sub-writer loads pyvi's model, which unpickles into a temporary file; sub-writers
    end through os._exit, so a file left there would pile up with every build."""
    archive = tmp_path / "archive"
    for i in range(6):
        write_article(archive, f"bai-{i}.txt", f"Bài số {i} về giao thông",
                      f"Đường cao tốc số {i} thông xe trước Tết.")
    temp = tmp_path / "temp"
    temp.mkdir()
    script = (
        "import sys; from pathlib import Path; import indexer.build as b\n"
        "b.PARALLEL_MIN_FILES = 1\n"
        "report = b.build(Path(sys.argv[1]), Path(sys.argv[2]), jobs=2)\n"
        "print(len(report.added))\n"
    )
    done = subprocess.run(
        [str(PYTHON if PYTHON.exists() else sys.executable), "-c", script,
         str(archive), str(tmp_path / "index")],
        cwd=REPO, capture_output=True, text=True, timeout=120,
        env={**os.environ, "TMPDIR": str(temp)},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["6"]
    assert sorted(p.name for p in temp.iterdir()) == []


def reports_alike(report: BuildReport) -> tuple:
    return (report.full, report.unchanged, report.documents, report.duplicates,
            report.added, report.updated, report.deleted, report.renamed)


def test_a_run_that_finds_the_archive_as_recorded_reports_what_comparing_each_file_does(
        archive, index_root):
    """A run that changes nothing trusts the digest of the last commit; the report must be
    the one a file-by-file comparison gives, copies included."""
    write_article(archive, "ban-sao/le-hoi.txt", "Lễ hội mùa xuân",
                  "Lễ hội mùa xuân thu hút hàng nghìn du khách đến tham quan.")
    build(archive, index_root, jobs=1)
    fingerprint = current_dir(index_root) / "archive-fingerprint.json"
    assert fingerprint.exists()
    trusted = build(archive, index_root, jobs=1)
    fingerprint.unlink()
    compared = build(archive, index_root, jobs=1)
    assert reports_alike(trusted) == reports_alike(compared)
    assert trusted.duplicates == [["ban-sao/le-hoi.txt", "van-hoa/le-hoi.txt"]]
    assert trusted.unchanged == 4 and trusted.indexed == 0
    assert fingerprint.exists()  # written again by the run that compared


def test_a_commit_the_digest_did_not_see_makes_it_stale(archive, index_root):
    """An index changed by anything but a vnsearch run that records its digest (an
    interrupted run, an older version) is compared file by file, which finds the gap."""
    build(archive, index_root, jobs=1)
    ix = open_current(index_root)
    writer = ix.writer()
    writer.delete_by_term("id", "kinh-te/gia-vang.txt")
    writer.commit()
    report = build(archive, index_root, jobs=1)
    assert report.added == ["kinh-te/gia-vang.txt"]
    assert "kinh-te/gia-vang.txt" in ids(index_root)


@pytest.mark.parametrize("damage", [b"", b"{not json", b'{"generation": "x"}', b"[]"])
def test_a_damaged_digest_only_costs_the_comparison(archive, index_root, damage):
    build(archive, index_root, jobs=1)
    (current_dir(index_root) / "archive-fingerprint.json").write_bytes(damage)
    write_article(archive, "the-thao/bong-da.txt", "Đội tuyển thắng đậm",
                  "Đội tuyển bóng đá thắng đậm trong trận giao hữu.")
    assert build(archive, index_root, jobs=1).added == ["the-thao/bong-da.txt"]
    assert build(archive, index_root, jobs=1).unchanged == 4
