"""Shared helpers for the indexer tests: write small Vietnamese archives into tmp_path.

Every fixture text here is written for the tests (no corpus text). The one real article,
our user's seed article, is read from the repository's ``archive/`` folder.
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SEED_ID = "chinh-tri/70-nam-truyen-thong-dang-bo-khoi-cac-co-quan-trung-uong.txt"
SEED_PATH = REPO / "archive" / SEED_ID
SEED_TITLE = "70 năm truyền thống Đảng bộ Khối các cơ quan Trung ương"
VNSEARCH = REPO / ".venv" / "bin" / "vnsearch"
PYTHON = REPO / ".venv" / "bin" / "python"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_get(port: int, path: str, timeout: float = 15) -> tuple[int, bytes]:
    """(status, body) of one GET to a server on 127.0.0.1."""
    status, _, body = http_exchange(port, path, timeout=timeout)
    return status, body


def http_exchange(port: int, path: str, headers: dict[str, str] | None = None,
                  timeout: float = 15) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) of one GET to a server on 127.0.0.1; redirects are not
    followed."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def wait_until_healthy(proc, port: int, log: Path, seconds: float = 60) -> None:
    """Wait until a server started as ``proc`` answers /healthz with 200; fail with its
    log if it exits first or never answers."""
    deadline = time.monotonic() + seconds
    while True:
        assert proc.poll() is None, f"server exited:\n{log.read_text(errors='replace')}"
        assert time.monotonic() < deadline, f"no /healthz:\n{log.read_text(errors='replace')}"
        try:
            if http_get(port, "/healthz", timeout=2)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)


@contextmanager
def serving(index: Path, archive: Path, log: Path, *options: str, workers: int = 1
            ) -> Iterator[tuple[int, subprocess.Popen]]:
    """A real ``vnsearch serve`` on a free port, its output in ``log``: (port, process)
    once /healthz answers; stopped with its whole process group afterwards."""
    port = free_port()
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [str(VNSEARCH), "serve", *options, "--index", str(index), "--archive", str(archive),
             "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
            cwd=REPO, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        wait_until_healthy(proc, port, log)
        yield port, proc
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(20)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def seed_text() -> str:
    return SEED_PATH.read_text(encoding="utf-8")


def write_article(
    root: Path,
    rel: str,
    title: str,
    body: str,
    *,
    date: str | None = None,
    author: str | None = None,
    category: str | None = None,
    tags: list[str] | None = None,
) -> Path:
    """Write one article file with YAML front matter; returns its path."""
    path = Path(root) / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["---", f'title: "{title}"']
    if date:
        lines.append(f"date: {date}")
    if author:
        lines.append(f'author: "{author}"')
    if category:
        lines.append(f'category: "{category}"')
    if tags:
        lines.append("tags: [" + ", ".join(f'"{t}"' for t in tags) + "]")
    lines.append("---")
    path.write_text("\n".join(lines) + "\n" + body + "\n", encoding="utf-8")
    return path


def write_plain(root: Path, rel: str, text: str) -> Path:
    """Write a plain text file: first line title, the rest body."""
    path = Path(root) / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def copy_seed(archive: Path) -> Path:
    target = Path(archive) / SEED_ID
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SEED_PATH, target)
    return target


def bump_mtime(path: Path, seconds: float = 5.0) -> None:
    """Move a file's mtime forward without touching its content."""
    info = path.stat()
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns + int(seconds * 1e9)))


def wait_for_refresh() -> None:
    """ArchiveSearcher re-checks the live index at most once per REFRESH_INTERVAL (1 s)."""
    time.sleep(1.1)


# A small archive with known contents, used by the search and CLI tests.
SMALL_ARCHIVE: dict[str, dict] = {
    "giao-thong/con-duong-moi.txt": dict(
        title="Con đường mới về quê",
        body=(
            "Con đường bê tông nối hai xã vừa hoàn thành sau một năm thi công.\n\n"
            "Người dân vui mừng vì đường đi lại thuận tiện, xe chở nông sản không còn "
            "sa lầy mỗi khi mưa."
        ),
        date="2021-03-05",
        author="Minh Anh",
    ),
    "moi-truong/dai-duong.txt": dict(
        title="Bảo vệ đại dương xanh",
        body=(
            "Rác thải nhựa trôi ra đại dương ngày càng nhiều trong năm qua.\n\n"
            "Các nhà khoa học kêu gọi bảo vệ môi trường biển và giảm túi ni lông."
        ),
        date="2019-07-01",
        author="Lan Hương",
    ),
    "moi-truong/truong-hoc.txt": dict(
        title="Giờ học ngoài trời",
        body=(
            "Ở trường làng, học sinh học về môi sinh, còn buổi chiều năm nay các em "
            "trồng cây quanh sân trường."
        ),
        date="2020-09-15",
        author="Lan Hương",
    ),
    "kinh-te/lai-suat.txt": dict(
        title="Ngân hàng giảm lãi suất cho vay",
        body=(
            "Nhiều ngân hàng thương mại giảm lãi suất cho vay để hỗ trợ doanh nghiệp "
            "nhỏ trong năm tài chính mới.\n\n"
            "Doanh nghiệp kỳ vọng vốn rẻ giúp mở rộng sản xuất trên đường phục hồi."
        ),
        date="2023-01-10",
        author="Quốc Bảo",
    ),
    "kinh-te/ban-tin.txt": dict(
        title="Lãi suất",
        body="Bản tin ngắn về thị trường tiền tệ trong năm, cập nhật mỗi sáng thứ hai.",
        date="2022-06-01",
        author="Quốc Bảo",
    ),
    "van-hoa/hoa-binh.txt": dict(
        title="Lễ hội hoà bình ở Thuỵ Khuê",
        body=(
            "Uỷ ban phường tổ chức lễ hội hoà bình mỗi năm một lần.\n\n"
            "Người cao tuổi đến dự đều khoẻ mạnh và vui vẻ."
        ),
        date=None,
        author=None,
    ),
}


def write_small_archive(archive: Path, with_seed: bool = True) -> Path:
    archive.mkdir(parents=True, exist_ok=True)
    for rel, meta in SMALL_ARCHIVE.items():
        write_article(archive, rel, meta["title"], meta["body"], date=meta.get("date"),
                      author=meta.get("author"))
    if with_seed:
        copy_seed(archive)
    return archive
