"""The live index of a long-running process: opened once, reopened when a run publishes a
new generation or commits to it, dropped when it disappears.

Whoosh searchers are not meant to be shared between threads, so every use holds one lock;
a server gets parallelism from worker processes, each with its own ``LiveIndex``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from . import arraysearch, spelling
from .bm25 import LENGTHS_MEMO, ListedLengthBM25F
from .engine import BM25
from .location import IndexMissing, current_dir, open_current
from .whoosh_internals import reader_folder

REFRESH_INTERVAL_SECONDS = 1.0


class LiveIndex:
    def __init__(self, index_root: Path):
        self.index_root = Path(index_root)
        self._lock = threading.RLock()
        self._searcher = None
        self._generation_dir: Path | None = None
        self._checked = 0.0

    @contextmanager
    def use(self) -> Iterator:
        """The searcher of the live index, for the caller's exclusive use until it exits."""
        with self._lock:
            yield self._fresh()

    def _fresh(self):
        """That the live index still exists is checked on every call (one ``readlink``);
        new commits at most once a second. When the index is gone or cannot be opened, the
        old searcher is dropped rather than kept: it would answer from files being deleted
        (500s) and call itself healthy. Every call then raises ``IndexMissing`` (a 503) and
        tries again, so the site recovers without a restart once an index exists again.
        """
        live = current_dir(self.index_root)
        if live is None:
            self._drop()
            raise IndexMissing.absent(self.index_root)
        now = time.monotonic()
        if (self._searcher is not None and live == self._generation_dir
                and now - self._checked < REFRESH_INTERVAL_SECONDS):
            return self._searcher
        self._checked = now
        try:
            if (self._searcher is None or live != self._generation_dir
                    or not self._searcher.up_to_date()):
                # Reopen rather than Searcher.refresh(): whoosh3's refresh reuses the old
                # reader of every segment whose id did not change, with its old deletions,
                # so articles deleted or replaced by an incremental run stayed visible.
                self._open(live)
        except IndexMissing:
            self._drop()
            raise
        except OSError as err:  # the index's files vanishing while it is read
            self._drop()
            raise IndexMissing.unreadable(self.index_root, err.strerror or err) from err
        return self._searcher

    def _open(self, live: Path) -> None:
        searcher = open_current(self.index_root).searcher(weighting=ListedLengthBM25F(**BM25))
        if self._searcher is not None:
            _carry_over(self._searcher, searcher)
            self._searcher.close()
        self._searcher, self._generation_dir = searcher, live

    def _drop(self) -> None:
        """Forget the open index; closing may fail when its files are already gone."""
        if self._searcher is not None:
            try:
                self._searcher.close()
            except OSError:
                pass
        self._searcher = self._generation_dir = None

    def close(self) -> None:
        with self._lock:
            self._drop()

    def info(self) -> dict:
        """Document count and last reindex time, for health checks and the home page."""
        with self._lock:
            searcher = self._fresh()
            live = self._generation_dir
            toc_times = [p.stat().st_mtime for p in live.glob("_MAIN_*.toc")] if live else []
            return {
                "documents": searcher.doc_count(),
                "last_reindex": max(toc_times) if toc_times else None,
                "generation": live.name if live else None,
            }

    def ids(self) -> set[str]:
        with self._lock:
            reader = self._fresh().reader()
            column = reader.column_reader("id")
            return {column[d] for d in reader.all_doc_ids()}


SEGMENT_MEMOS = (*arraysearch.SEGMENT_MEMOS, LENGTHS_MEMO, spelling.SEGMENT_WRITTEN_KEY)


def _carry_over(old, new) -> None:
    """Give the reopened index what the old one had made of the segments both hold, and
    what a warmed worker had made of the rest (``warmup``).

    An incremental run's commit reopens the index in every worker. The first search after
    it paid for what each segment reader makes once (the facet columns, the field lengths,
    the sidecar's map) for every segment, not only the new ones; and a server worker lost
    the written forms its warm-up had read, so that each query without diacritics after a
    reindex went back to looking up every spelling of its syllables."""
    kept = {(reader_folder(leaf), leaf.segment().segment_id()): leaf
            for leaf, _ in old.reader().leaf_readers()}
    for leaf, _ in new.reader().leaf_readers():
        prior = kept.get((reader_folder(leaf), leaf.segment().segment_id()))
        if prior is not None:
            for key in SEGMENT_MEMOS:
                if key in prior.__dict__:
                    leaf.__dict__.setdefault(key, prior.__dict__[key])
    arraysearch.warm_sidecars(new)
    if spelling.WRITTEN_KEY in old.reader().__dict__:
        spelling.read_written_forms(new.reader())
