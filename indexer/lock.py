"""One reindex at a time.

The lock is a POSIX record lock (``lockf``) on a file in the index folder: the kernel
releases it when the holding process dies, even by ``kill -9``, so a lock left behind
never blocks the next run. Unlike ``flock``, it is not inherited by child processes, so
the writer's sub-processes, which may outlive a killed parent, never hold it. Record locks
do not exclude the process that holds them (and closing any descriptor of the file drops
them), so a second attempt from the same process is refused before the file is opened.
The holder's PID and start time are written into the file only to tell the next caller who
holds it: on a full disk that note is left out, since the run that follows must be able to
start and remove the leftovers that fill the disk.

A second lock says that a watcher (``serve --watch``) keeps the index up to date, for the
librarian's page. It is an ``flock``, which belongs to the open file rather than to the
process: the site tests it by trying to share it, and a test that runs a watcher in a
thread can ask the same question without releasing the watcher's lock.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from .i18n import _

LOCK_NAME = ".reindex.lock"
WATCH_LOCK_NAME = ".watch.lock"
WATCH_LOCK_TRIES = 20
"""Attempts, 50 ms apart, to take the watcher's lock while the site is testing it."""


class IndexBusy(Exception):
    """Another process is updating this index."""


_held_here: set[Path] = set()
_held_here_guard = threading.Lock()


@contextmanager
def reindex_lock(root: Path) -> Iterator[None]:
    root.mkdir(parents=True, exist_ok=True)
    key = root.resolve()
    with _held_here_guard:
        if key in _held_here:
            raise IndexBusy(_("the index in {folder} is already being updated by this "
                              "process (pid {pid})").format(folder=root, pid=os.getpid()))
        _held_here.add(key)
    try:
        with _locked_file(root):
            yield
    finally:
        with _held_here_guard:
            _held_here.discard(key)


def lock_is_free(root: Path) -> bool:
    """Whether a reindex could start now: after a crash, proof that no stale lock remains."""
    try:
        with reindex_lock(root):
            return True
    except IndexBusy:
        return False


@contextmanager
def _locked_file(root: Path) -> Iterator[None]:
    fd = os.open(root / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "unknown"
            raise IndexBusy(
                _("the index in {folder} is being updated by another vnsearch process "
                  "({holder}); try again when it has finished").format(folder=root,
                                                                       holder=holder)
            ) from None
        os.ftruncate(fd, 0)
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        try:
            os.pwrite(fd, f"pid {os.getpid()}, started {stamp}\n".encode(), 0)
        except OSError as err:
            if err.errno not in (errno.ENOSPC, errno.EDQUOT):
                raise
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.lockf(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextmanager
def watching(root: Path, note: dict) -> Iterator[bool]:
    """Hold the watcher's lock of ``root`` (with ``note`` in it) while a watcher runs.

    Yields False when another watcher holds it: both may watch, and the page already says
    that the index is watched. The kernel releases the lock when the process ends.
    """
    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(root / WATCH_LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        held = False
        for _ in range(WATCH_LOCK_TRIES):
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                held = True
                break
            except BlockingIOError:
                time.sleep(0.05)
        if held:
            os.ftruncate(fd, 0)
            try:
                os.pwrite(fd, json.dumps(note, ensure_ascii=False).encode(), 0)
            except OSError as err:
                if err.errno not in (errno.ENOSPC, errno.EDQUOT):
                    raise
        try:
            yield held
        finally:
            if held:
                os.ftruncate(fd, 0)
    finally:
        os.close(fd)


def watcher(root: Path) -> dict | None:
    """The note of the watcher keeping ``root`` up to date (empty if it has none), or None
    when no watcher runs."""
    try:
        fd = os.open(root / WATCH_LOCK_NAME, os.O_RDONLY)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            try:
                note = json.loads(os.pread(fd, 4096, 0) or b"{}")
            except ValueError:
                note = {}
            return note if isinstance(note, dict) else {}
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)
