"""One reindex at a time.

The lock is an ``flock`` on a file in the index folder: the kernel releases it when the
holding process dies, even by ``kill -9``, so a lock left behind never blocks the next run.
The holder's PID and start time are written into the file only to tell the next caller who
holds it.
"""

from __future__ import annotations

import fcntl
import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

LOCK_NAME = ".reindex.lock"


class IndexBusy(Exception):
    """Another process is updating this index."""


@contextmanager
def reindex_lock(root: Path) -> Iterator[None]:
    root.mkdir(parents=True, exist_ok=True)
    path = root / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "unknown"
            raise IndexBusy(
                f"the index in {root} is being updated by another vnsearch process ({holder}); "
                "try again when it has finished"
            ) from None
        os.ftruncate(fd, 0)
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        os.pwrite(fd, f"pid {os.getpid()}, started {stamp}\n".encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
