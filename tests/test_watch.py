"""Watching the archive (indexer.watch, ``vnsearch serve --watch``).

The end-to-end test runs the real server with ``--watch`` and a librarian's edits on disk;
the 10-second budget is the one the feature promises. The other tests run a ``Watcher`` in
a thread of this process against a real archive and index, to see what it does and does
not react to.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from helpers import (
    VNSEARCH,
    http_get,
    serving,
    write_article,
    write_plain,
    write_small_archive,
)

from indexer import runlog
from indexer.build import build
from indexer.location import open_current
from indexer.lock import reindex_lock, watcher
from indexer.watch import Watcher

BUDGET = 10.0  # seconds from a change on disk to the site answering with it
MARKER = '"khinh khí cầu"'  # a phrase: plain words would also find articles with any of them
EDITED = '"phan thiet"'


def _hits(port: int, query: str) -> list[str]:
    """The articles holding the phrase (none when the site falls back to its words)."""
    status, body = http_get(port, "/api/search?" + urllib.parse.urlencode({"q": query}))
    assert status == 200, body
    data = json.loads(body)
    return [] if data["relaxed"] else [hit["id"] for hit in data["hits"]]


def _within(budget: float, condition, what: str) -> float:
    """Poll ``condition`` until true; fails after ``budget`` seconds. Returns the time taken."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < budget, f"{what} not seen within {budget:g} s"
        time.sleep(0.2)
    return time.monotonic() - started


def _children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as fh:
        return [int(p) for p in fh.read().split()]


def _cmdline(pid: int) -> str:
    with open(f"/proc/{pid}/cmdline", "rb") as fh:
        return fh.read().replace(b"\0", b" ").decode()


@contextmanager
def _serving(archive: Path, index: Path, log: Path) -> Iterator[tuple[int, subprocess.Popen]]:
    if not VNSEARCH.exists():
        pytest.skip(f"{VNSEARCH} is not installed")
    with serving(index, archive, log, "--watch") as running:
        yield running


def test_serve_watch_shows_drops_edits_renames_and_deletions_within_10_s(tmp_path):
    archive, index = write_small_archive(tmp_path / "archive"), tmp_path / "index"
    build(archive, index, jobs=1)
    with _serving(archive, index, tmp_path / "serve.log") as (port, _):
        assert _hits(port, MARKER) == []

        path = write_article(archive, "khoa-hoc/khinh-khi-cau.txt", "Bay bằng khinh khí cầu",
                             "Lễ hội khinh khí cầu mở cửa đón khách tại Đà Lạt.")
        _within(BUDGET, lambda: _hits(port, MARKER) == ["khoa-hoc/khinh-khi-cau.txt"],
                "a dropped file")

        write_article(archive, "khoa-hoc/khinh-khi-cau.txt", "Bay bằng khinh khí cầu",
                      "Lễ hội khinh khí cầu dời sang Phan Thiết vì gió mùa.")
        _within(BUDGET, lambda: _hits(port, EDITED) == ["khoa-hoc/khinh-khi-cau.txt"],
                "an edit")

        path.rename(archive / "khoa-hoc" / "le-hoi-bay.txt")
        _within(BUDGET, lambda: _hits(port, MARKER) == ["khoa-hoc/le-hoi-bay.txt"],
                "a rename")

        (archive / "khoa-hoc" / "le-hoi-bay.txt").unlink()
        _within(BUDGET, lambda: _hits(port, MARKER) == [], "a deletion")
    log = (tmp_path / "serve.log").read_text(errors="replace")
    assert "watch: index updated" in log and "1 renamed" in log, log


def test_watcher_stops_when_the_server_is_killed(tmp_path):
    """`kill -9` of the server leaves no watcher behind to update the index forever."""
    archive, index = write_small_archive(tmp_path / "archive"), tmp_path / "index"
    build(archive, index, jobs=1)
    with _serving(archive, index, tmp_path / "serve.log") as (_, proc):
        [watcher] = [p for p in _children(proc.pid) if "indexer.watch" in _cmdline(p)]
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        _within(BUDGET, lambda: not os.path.exists(f"/proc/{watcher}")
                or open(f"/proc/{watcher}/stat").read().split(") ")[1][0] == "Z",
                "the watcher's exit")


@contextmanager
def _watching(archive: Path, index: Path, **options) -> Iterator[tuple[Watcher, list[str]]]:
    """A Watcher running in a thread; yields it and its log once the first scan is done."""
    log: list[str] = []
    watcher = Watcher(archive, index, log=log.append, **options)
    stop = threading.Event()
    thread = threading.Thread(target=watcher.run, args=(stop,))
    thread.start()
    try:
        _within(60, lambda: watcher.updates >= 1, "the first scan")
        yield watcher, log
    finally:
        stop.set()
        thread.join(60)


def _ids(index: Path) -> set[str]:
    ix = open_current(index)
    try:
        with ix.searcher() as searcher:
            return {fields["id"] for fields in searcher.all_stored_fields()}
    finally:
        ix.close()


def test_first_scan_builds_a_missing_index(tmp_path):
    archive, index = write_small_archive(tmp_path / "archive"), tmp_path / "index"
    with _watching(archive, index, scan_interval=3600):
        assert _ids(index) == {p.relative_to(archive).as_posix()
                               for p in archive.rglob("*.txt")}


def test_a_burst_of_files_is_one_update(tmp_path):
    archive, index = write_small_archive(tmp_path / "archive"), tmp_path / "index"
    build(archive, index, jobs=1)
    with _watching(archive, index, scan_interval=3600, settle=1.0, max_delay=30) as (w, log):
        for n in range(40):
            write_article(archive, f"tin-vat/ban-tin-{n:02d}.txt", f"Bản tin số {n}",
                          f"Bản tin thời tiết số {n} cho các tỉnh miền núi phía Bắc.")
        _within(BUDGET, lambda: w.updates >= 2, "the burst's update")
        time.sleep(1.5)  # any further update would start by now
    assert w.updates == 2, log  # the first scan, then one for all 40 files
    assert len([n for n in _ids(index) if n.startswith("tin-vat/")]) == 40
    assert any("40 added" in line for line in log), log


def test_editor_leftovers_and_other_files_do_not_trigger_updates(tmp_path):
    archive, index = write_small_archive(tmp_path / "archive"), tmp_path / "index"
    build(archive, index, jobs=1)
    with _watching(archive, index, scan_interval=3600, settle=0.2) as (w, _):
        for name in (".bai-moi.txt.swp", "bai-moi.txt~", "#bai-moi.txt#", ".an.txt",
                     "4913", "anh.jpg", ".git/config"):
            write_plain(archive / "kinh-te", name, "Giá vàng\n\nGiá vàng tăng.\n")
        (archive / "kinh-te" / "lai-suat.txt").read_bytes()  # reading is not changing
        time.sleep(1.5)
        assert w.updates == 1
        write_plain(archive / "kinh-te", "bai-moi.txt", "Giá bạc\n\nGiá bạc tăng.\n")
        _within(BUDGET, lambda: w.updates == 2, "the article's update")
    assert "kinh-te/bai-moi.txt" in _ids(index)


def test_periodic_scan_works_without_file_events(tmp_path):
    """Where events are not available (or never arrive, as on network shares)."""
    archive, index = write_small_archive(tmp_path / "archive"), tmp_path / "index"
    build(archive, index, jobs=1)
    with _watching(archive, index, scan_interval=1, events=False) as (_, log):
        write_article(archive, "moi/chia-se.txt", "Thư mục chia sẻ", "Bài viết trên ổ mạng.")
        _within(BUDGET, lambda: "moi/chia-se.txt" in _ids(index), "the scanned file")
    assert "no file events" in log[0]


def test_rejections_are_reported_once_and_a_busy_index_is_waited_for(tmp_path):
    archive, index = write_small_archive(tmp_path / "archive"), tmp_path / "index"
    build(archive, index, jobs=1)
    with _watching(archive, index, scan_interval=0.5) as (w, log):
        write_plain(archive, "hong/mot-dong.txt", "Chỉ có tiêu đề\n")
        _within(BUDGET, lambda: w.updates >= 4, "several scans")
        assert [line for line in log if "hong/mot-dong.txt" in line] == [
            "rejected hong/mot-dong.txt: no body: the file has a title but no article text "
            "after it"]
        with reindex_lock(index):  # as `vnsearch index` would hold it
            write_article(archive, "moi/cho.txt", "Bài chờ", "Bài này chờ lượt cập nhật.")
            time.sleep(1.5)
            assert "moi/cho.txt" not in _ids(index)
        _within(BUDGET, lambda: "moi/cho.txt" in _ids(index), "the update after the lock")


def test_the_index_says_it_is_watched_only_while_a_watcher_runs(tmp_path):
    archive, index = write_small_archive(tmp_path / "archive"), tmp_path / "index"
    build(archive, index, jobs=1)
    assert watcher(index) is None
    with _watching(archive, index, scan_interval=45):
        note = watcher(index)
        assert note is not None and note["pid"] == os.getpid()
        assert note["scan_interval"] == 45 and note["file_events"] is True
        assert watcher(index) is not None  # asking does not take the watcher's lock away
        with _watching(archive, index, scan_interval=45):  # a second watcher, as well
            assert watcher(index)["scan_interval"] == 45
        assert watcher(index) is not None
    assert watcher(index) is None


def test_watched_updates_are_saved_for_the_librarians_page(tmp_path):
    archive, index = write_small_archive(tmp_path / "archive"), tmp_path / "index"
    build(archive, index, jobs=1)
    assert runlog.read(index)["last"]["trigger"] == "index"
    with _watching(archive, index, scan_interval=3600, settle=0.2) as (w, _):
        write_article(archive, "moi/tin.txt", "Tin mới", "Nội dung tin mới.")
        _within(BUDGET, lambda: w.updates == 2, "the article's update")
    last = runlog.read(index)["last"]
    assert last["trigger"] == "watch" and last["added"] == ["moi/tin.txt"]


def test_serve_watch_needs_an_existing_archive(tmp_path):
    from click.testing import CliRunner

    from indexer.cli import main

    result = CliRunner().invoke(main, ["serve", "--watch", "--archive", str(tmp_path / "nope"),
                                       "--index", str(tmp_path / "index")])
    assert result.exit_code == 2
    assert "archive folder" in result.output and "does not exist" in result.output
