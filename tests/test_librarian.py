"""The librarian's page (``/quan-tri``, ``/api/quan-tri``): what the last indexing runs did
and rejected, duplicates, old addresses, whether the archive is watched, and who may open
it. The real server over HTTP where the run is the real thing; the Flask test client where
only the client's address differs (the address a proxy or another machine would have)."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest

from helpers import VNSEARCH, http_exchange, serving, write_article, write_plain
from indexer import runlog
from indexer.build import TooManyDeletions, build
from webapp import create_app

STORM = ("Bão số 3 đổ bộ miền Trung", "Cơn bão số 3 gây mưa lớn ở các tỉnh miền Trung.")
GOLD = ("Giá vàng tăng mạnh", "Giá vàng trong nước tăng mạnh theo giá thế giới.")


def small_archive(archive: Path) -> Path:
    write_article(archive, "thoi-su/bao.txt", *STORM, date="2024-09-07")
    write_article(archive, "xa-hoi/bao-ban-sao.txt", *STORM)
    write_article(archive, "kinh-te/vang.txt", *GOLD, category="Kinh tế")
    write_plain(archive, "rong.txt", "")
    write_plain(archive, "tab\there.txt", "Tiêu đề\n\nNội dung.\n")
    return archive


def get(port: int, path: str, **headers: str) -> tuple[int, dict[str, str], str]:
    status, response_headers, body = http_exchange(port, path, headers=headers)
    return status, response_headers, body.decode()


def until(condition, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "not seen in time"
        time.sleep(0.2)


@pytest.fixture
def watched(tmp_path):
    """A real `vnsearch serve --watch` over an archive indexed once by `vnsearch index`."""
    if not VNSEARCH.exists():
        pytest.skip(f"{VNSEARCH} is not installed")
    archive, index = small_archive(tmp_path / "archive"), tmp_path / "index"
    build(archive, index, jobs=1)
    with serving(index, archive, tmp_path / "serve.log", "--watch") as (port, _):
        yield archive, index, port


def test_the_page_shows_what_the_watcher_did_rejected_and_why(watched):
    archive, index, port = watched
    until(lambda: (runlog.read(index) or {}).get("last", {}).get("trigger") == "watch")
    os.rename(archive / "kinh-te/vang.txt", archive / "kinh-te/gia-vang.txt")
    until(lambda: runlog.read(index)["last"]["counts"]["renamed"] == 1)

    status, _, page = get(port, "/quan-tri")
    assert status == 200
    assert "Quản trị kho lưu trữ" in page
    assert "Đang theo dõi kho" in page
    assert "do tiến trình tự động theo dõi kho (--watch)" in page
    assert "<code>kinh-te/vang.txt</code> → <code>kinh-te/gia-vang.txt</code>" in page
    # rejected files, the odd name escaped as the command line shows it
    assert "<code>rong.txt</code></td><td>empty file" in page
    assert "<code>tab\\there.txt</code></td><td>file: the name contains a control" in page
    assert "tab\there" not in page
    assert "<code>xa-hoi/bao-ban-sao.txt</code>" in page  # a copy
    assert "Kinh tế" in page  # by category

    status, _, body = get(port, "/api/quan-tri")
    assert status == 200
    data = json.loads(body)
    assert data["watch"]["active"] is True and data["watch"]["scan_interval"] == 30
    last = data["last_run"]
    assert last["trigger"] == "watch" and last["full"] is False and last["error"] is None
    assert last["renamed"] == [["kinh-te/vang.txt", "kinh-te/gia-vang.txt"]]
    assert last["counts"] == {"added": 0, "updated": 0, "renamed": 1, "deleted": 0,
                              "unchanged": 2, "skipped": 0, "rejected": 2, "unreadable": 0,
                              "duplicates": 1}
    assert {(r["file"], r["reason"].split(" (")[0]) for r in last["rejected"]} == {
        ("rong.txt", "empty file"),
        ("tab\\there.txt", "file: the name contains a control character or line break; "
                           "rename it")}
    assert last["started"].endswith("+00:00") and last["seconds"] >= 0
    assert data["last_change"]["started"] == last["started"]
    assert data["index"]["documents"] == 2 and data["index"]["copies"] == 1
    assert data["index"]["size_bytes"] > 10_000
    assert data["duplicates"] == [["thoi-su/bao.txt", "xa-hoi/bao-ban-sao.txt"]]
    assert data["redirects"] == [{"from": "kinh-te/vang.txt", "to": "kinh-te/gia-vang.txt"}]
    assert {c["value"]: c["count"] for c in data["categories"]} == {"Kinh tế": 1, "thoi-su": 1}


def test_a_scan_that_changes_nothing_keeps_the_last_change_on_the_page(watched):
    archive, index, port = watched
    # The watcher's first run shows it is watching: a file written before could be left
    # to its next full scan, 30 s later.
    until(lambda: (runlog.read(index) or {}).get("last", {}).get("trigger") == "watch")
    write_article(archive, "the-thao/bong-da.txt", "Đội tuyển thắng đậm",
                  "Đội tuyển bóng đá thắng đậm trong trận giao hữu.")
    until(lambda: runlog.read(index)["last"]["counts"]["added"] == 1)
    added = runlog.read(index)["last"]["started"]
    os.utime(archive / "the-thao/bong-da.txt")  # a touch: the watcher runs, nothing changes
    until(lambda: runlog.read(index)["last"]["started"] != added)
    data = json.loads(get(port, "/api/quan-tri")[2])
    assert data["last_run"]["counts"]["added"] == 0
    assert data["last_change"]["added"] == ["the-thao/bong-da.txt"]
    page = get(port, "/quan-tri")[2]
    assert "Lần cập nhật có thay đổi gần nhất" in page


def test_the_page_says_when_nothing_watches_the_archive(tmp_path):
    archive, index = small_archive(tmp_path / "archive"), tmp_path / "index"
    build(archive, index, jobs=1)
    with serving(index, archive, tmp_path / "serve.log") as (port, _):
        status, _, page = get(port, "/quan-tri")
        assert status == 200 and "Không có tiến trình nào theo dõi kho" in page
        assert "bằng lệnh vnsearch index" in page
        assert json.loads(get(port, "/api/quan-tri")[2])["watch"] == {"active": False}
        # a request that went through a proxy nobody declared comes from 127.0.0.1 too
        status, _, body = get(port, "/api/quan-tri", **{"X-Forwarded-For": "203.0.113.9"})
        assert status == 403 and "Trang quản trị chỉ mở được" in json.loads(body)["error"]


def test_a_failed_run_is_shown_with_its_reason_and_the_last_change_kept(tmp_path):
    archive, index = small_archive(tmp_path / "archive"), tmp_path / "index"
    build(archive, index, jobs=1)
    shutil.rmtree(archive)
    archive.mkdir()
    with pytest.raises(TooManyDeletions):
        build(archive, index, jobs=1)
    client = create_app({"INDEX_ROOT": index, "ARCHIVE_ROOT": archive}).test_client()
    data = client.get("/api/quan-tri").get_json()
    assert "--allow-deletions" in data["last_run"]["error"]
    assert data["last_change"]["full"] is True and data["last_change"]["error"] is None
    page = client.get("/quan-tri").get_data(as_text=True)
    assert "Lần chạy không thành công, chỉ mục vẫn như trước" in page
    assert data["index"]["documents"] == 2  # unchanged


def test_the_page_opens_before_any_index_exists(tmp_path):
    client = create_app({"INDEX_ROOT": tmp_path / "index",
                         "ARCHIVE_ROOT": tmp_path / "archive"}).test_client()
    response = client.get("/quan-tri")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Chưa có chỉ mục dùng được" in page and "Chưa có lần chạy nào được ghi lại" in page
    data = client.get("/api/quan-tri").get_json()
    assert data["index"] is None and data["last_run"] is None


# --------------------------------------------------------------------------- who may open it


@pytest.fixture
def app_with(tmp_path):
    def make(**settings):
        return create_app({"INDEX_ROOT": tmp_path / "index", "ARCHIVE_ROOT": tmp_path,
                           **settings}).test_client()
    return make


def status_from(client, address: str, **headers: str) -> int:
    return client.get("/api/quan-tri", environ_base={"REMOTE_ADDR": address},
                      headers=headers).status_code


@pytest.mark.parametrize("address", ["127.0.0.1", "127.0.0.2", "::1", "::ffff:127.0.0.1"])
def test_the_page_opens_on_the_server_itself(app_with, address):
    assert status_from(app_with(), address) == 200


@pytest.mark.parametrize("address", ["192.168.1.7", "10.0.0.1", "2001:db8::1", "", "unknown"])
def test_other_machines_get_a_vietnamese_refusal(app_with, address):
    client = app_with()
    assert status_from(client, address) == 403
    response = client.get("/quan-tri", environ_base={"REMOTE_ADDR": address})
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "Trang chỉ dành cho người quản lý kho" in page and "LIBRARIAN_NETWORKS" in page


def test_librarian_networks_let_their_clients_in(app_with):
    client = app_with(LIBRARIAN_NETWORKS="192.168.1.0/24, 10.0.0.5")
    assert status_from(client, "192.168.1.7") == 200
    assert status_from(client, "10.0.0.5") == 200
    assert status_from(client, "10.0.0.6") == 403


def test_behind_a_declared_proxy_the_forwarded_client_decides(app_with):
    client = app_with(TRUSTED_PROXIES="127.0.0.1", LIBRARIAN_NETWORKS="192.168.1.0/24")
    assert status_from(client, "127.0.0.1", **{"X-Forwarded-For": "192.168.1.7"}) == 200
    assert status_from(client, "127.0.0.1", **{"X-Forwarded-For": "203.0.113.9"}) == 403
    # what the client itself wrote in the header does not count, only the proxy's last hop
    assert status_from(client, "127.0.0.1",
                       **{"X-Forwarded-For": "192.168.1.7, 203.0.113.9"}) == 403
    assert status_from(client, "127.0.0.1", **{"X-Forwarded-For": "not an address"}) == 403
    # the proxy's own machine, without forwarding, is local
    assert status_from(client, "127.0.0.1") == 200
    # a client that is not the proxy cannot claim an address
    assert status_from(client, "203.0.113.9", **{"X-Forwarded-For": "127.0.0.1"}) == 403


def test_without_a_declared_proxy_forwarded_requests_are_refused(app_with):
    client = app_with()
    for header in ("X-Forwarded-For", "X-Real-IP", "Forwarded", "Via"):
        assert status_from(client, "127.0.0.1", **{header: "127.0.0.1"}) == 403


@pytest.mark.parametrize("setting", ["LIBRARIAN_NETWORKS", "TRUSTED_PROXIES"])
def test_a_setting_that_is_not_addresses_is_a_clear_error(tmp_path, setting):
    with pytest.raises(ValueError, match=setting):
        create_app({"INDEX_ROOT": tmp_path, setting: "192.168.1.0/24, văn phòng"})


def test_settings_come_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("VNSEARCH_LIBRARIAN_NETWORKS", "192.168.1.0/24")
    client = create_app({"INDEX_ROOT": tmp_path / "index"}).test_client()
    assert status_from(client, "192.168.1.7") == 200
