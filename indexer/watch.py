"""Keep the index in step with the archive while the site serves it (``serve --watch``).

Librarians drop, edit, rename and delete files; they should not have to remember to run
``vnsearch index`` afterwards. The watcher runs the very same incremental update
(``indexer.build.build``) whenever the archive changes, so the lock, the rejection rules and
the atomic commit are those of ``vnsearch index``, and a manual run at the same moment is
simply waited for.

- **File events** come from watchdog (inotify, FSEvents, ReadDirectoryChangesW). Events
  are batched: an update starts once the archive has been quiet for ``settle`` seconds, or
  ``max_delay`` seconds after the first event of a burst, so copying 500 files costs a
  handful of updates, not 500.
- **Events that are not archive changes** are ignored: hidden files, editor backups and
  swap files (the scan's own rule), other kinds of files, and files merely opened or read
  (the update itself reads every changed file).
- **Periodic scans** every ``scan_interval`` seconds catch what events miss: network
  shares report no changes made by other machines, and where events cannot be had at all
  (no inotify, or its watch limit reached) scanning is all there is.

The watcher runs as its own process next to the web server (``start``), so pyvi and the
writer's sub-processes never live in the server's process, and it stops by itself when the
server's process goes away, however it ended.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver

from .analysis import load_segmenter
from .articles import DEFAULT_MAX_BYTES, SUPPORTED_SUFFIXES
from .articles import _ignored as ignored_name  # the scan's own rule for editor leftovers
from .build import BuildReport, build
from .i18n import _, ngettext, number
from .lock import IndexBusy, watching

NOT_CHANGES = frozenset({"opened", "closed_no_write"})
"""Event types that say a file was read, not changed (the update reads files itself)."""

BUSY_RETRY = 1.0
"""Seconds before trying again when another run (``vnsearch index``) holds the index."""

Log = Callable[[str], None]


def _log(message: str) -> None:
    print(f"watch: {message}", flush=True)


class _Changes(FileSystemEventHandler):
    """Notes when relevant archive changes happened; the watcher's loop decides when to act."""

    def __init__(self, archive: Path, index_root: Path):
        self.archive = archive
        self.index_root = index_root
        self.lock = threading.Lock()
        self.first: float | None = None  # first event of the burst not yet indexed
        self.last = 0.0

    def relevant(self, path: str | bytes, is_directory: bool) -> bool:
        """Whether a change to ``path`` can change what the index holds."""
        path = Path(os.fsdecode(path))
        if path == self.index_root or self.index_root in path.parents:
            return False  # an index kept inside the archive must not trigger itself
        try:
            parts = path.relative_to(self.archive).parts
        except ValueError:
            return False
        if any(ignored_name(part) for part in parts):
            return False
        return is_directory or path.suffix.lower() in SUPPORTED_SUFFIXES

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in NOT_CHANGES:
            return
        if event.is_directory and event.event_type == "modified":
            return  # a folder's own timestamp: its files' events say what changed
        paths = [event.src_path] + ([event.dest_path] if event.dest_path else [])
        if any(self.relevant(p, event.is_directory) for p in paths):
            self.mark()

    def mark(self) -> None:
        now = time.monotonic()
        with self.lock:
            if self.first is None:
                self.first = now
            self.last = now

    def due(self, settle: float, max_delay: float) -> bool:
        """True (and the burst forgotten) when a burst is quiet or has waited long enough."""
        now = time.monotonic()
        with self.lock:
            if self.first is None:
                return False
            if now - self.last < settle and now - self.first < max_delay:
                return False
            self.first = None
            return True


class Watcher:
    """Updates ``index_root`` from ``archive`` on file events and on a periodic scan.

    ``events=False`` scans only, as where the operating system offers no file events.
    """

    def __init__(
        self,
        archive: Path,
        index_root: Path,
        *,
        scan_interval: float = 30.0,
        settle: float = 0.5,
        max_delay: float = 3.0,
        max_bytes: int = DEFAULT_MAX_BYTES,
        events: bool = True,
        log: Log = _log,
    ):
        self.archive = Path(os.path.abspath(archive))
        self.index_root = Path(os.path.abspath(index_root))
        self.scan_interval = scan_interval
        self.settle = settle
        self.max_delay = max_delay
        self.max_bytes = max_bytes
        self.events = events
        self.log = log
        self.changes = _Changes(self.archive, self.index_root)
        self.updates = 0  # updates that ran (a busy index does not count)
        self._rejected: dict[str, str] = {}

    def run(self, stop: threading.Event) -> None:
        """Bring the index up to date, then keep it so until ``stop`` is set."""
        observer = self._observe() if self.events else None
        if observer:
            self.log(_("watching {archive} (file events, and a full scan every {seconds} "
                       "s)").format(archive=self.archive, seconds=f"{self.scan_interval:g}"))
        else:
            self.log(_("watching {archive} (no file events: a full scan every {seconds} "
                       "s)").format(archive=self.archive, seconds=f"{self.scan_interval:g}"))
        load_segmenter()  # pyvi's model now rather than on the first change (~4 s)
        next_scan = 0.0  # the first pass is a scan: changes made while nobody watched
        note = {"pid": os.getpid(), "since": time.time(), "archive": str(self.archive),
                "scan_interval": self.scan_interval, "file_events": observer is not None}
        try:
            with watching(self.index_root, note):
                while not stop.wait(0.1):
                    if not (self.changes.due(self.settle, self.max_delay)
                            or time.monotonic() >= next_scan):
                        continue
                    next_scan = time.monotonic() + (
                        self.scan_interval if self._update() else BUSY_RETRY)
        finally:
            if observer is not None:
                observer.stop()
                observer.join()

    def _observe(self) -> BaseObserver | None:
        """A started observer, or None where file events are not available."""
        observer = Observer()
        try:
            observer.schedule(self.changes, str(self.archive), recursive=True)
            observer.start()
        except OSError as err:  # no inotify, watch limit reached, archive missing
            self.log(_("file events are not available ({problem}); scanning every "
                       "{seconds} s instead").format(problem=err.strerror or err,
                                                     seconds=f"{self.scan_interval:g}"))
            return None
        return observer

    def _update(self) -> bool:
        """One incremental update; False when another run holds the index (try again soon)."""
        try:
            report = build(self.archive, self.index_root, max_bytes=self.max_bytes,
                           trigger="watch")
        except IndexBusy:
            return False
        except Exception as err:  # one failed update must not end watching: the next retries
            self.log(_("could not update the index: {error}").format(
                error=f"{type(err).__name__}: {err}"))
            return True
        self.updates += 1
        self._report(report)
        return True

    def _report(self, report: BuildReport) -> None:
        """Say what changed, and each rejection once (a periodic scan finds them again)."""
        changed = [(_("added"), _("{count} added"), report.added),
                   (_("updated"), _("{count} updated"), report.updated),
                   (_("renamed"), _("{count} renamed"),
                    [f"{a} → {b}" for a, b in report.renamed]),
                   (_("deleted"), _("{count} deleted"), report.deleted)]
        if any(items for label, counted, items in changed):
            summary = ", ".join(counted.format(count=len(items))
                                for label, counted, items in changed if items)
            self.log(ngettext("index updated in {seconds} s: {summary}; {count} article",
                              "index updated in {seconds} s: {summary}; {count} articles",
                              report.documents).format(seconds=number(report.elapsed, 1),
                                                       summary=summary,
                                                       count=number(report.documents)))
            for label, counted, items in changed:
                for item in items[:10]:
                    self.log(f"  {label} {item}")
        rejected = {err.id: err.reason for err in report.rejected}
        for doc_id, reason in rejected.items():
            if self._rejected.get(doc_id) != reason:
                self.log(_("rejected {id}: {reason}").format(id=doc_id, reason=reason))
        self._rejected = rejected


def start(archive: Path, index_root: Path, scan_interval: float) -> subprocess.Popen:
    """The watcher as a child process of the caller (the web server), sharing its output."""
    return subprocess.Popen([
        sys.executable, "-m", "indexer.watch", str(archive), str(index_root),
        "--scan-interval", str(scan_interval), "--parent", str(os.getpid()),
    ])


def stop(process: subprocess.Popen) -> None:
    """Stop a watcher from ``start``; an update in progress is abandoned as on Ctrl-C."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _stop_when_orphaned(parent: int, stop_event: threading.Event) -> None:
    """The server was killed without stopping us (``kill -9``): stop rather than linger."""
    while not stop_event.wait(1.0):
        if os.getppid() != parent:
            stop_event.set()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m indexer.watch",
                                     description="Keep an index up to date with its archive.")
    parser.add_argument("archive", type=Path)
    parser.add_argument("index", type=Path)
    parser.add_argument("--scan-interval", type=float, default=30.0)
    parser.add_argument("--parent", type=int, default=None,
                        help="stop when this process is no longer our parent")
    args = parser.parse_args(argv)
    stop_event = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if args.parent is not None:
        threading.Thread(target=_stop_when_orphaned, args=(args.parent, stop_event),
                         daemon=True).start()
    try:
        Watcher(args.archive, args.index, scan_interval=args.scan_interval).run(stop_event)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
