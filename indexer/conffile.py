"""A settings file the librarian keeps in the archive folder, read again when it changes.

Librarians tune the site with plain-text files next to the articles (``abbreviations.conf``,
``categories.conf``): an edit applies within a second, without a restart or a reindex,
and a line that cannot be used is skipped and reported (``vnsearch check`` lists them)
instead of taking the rest of the file away. The indexer never reads ``.conf`` files as
articles.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Generic, TypeVar

from .i18n import _

RECHECK_SECONDS = 1.0
"""How often the file is stat()ed at most: edits show within a second, and a busy server
does not stat the file for every query."""

T = TypeVar("T")


def content_lines(text: str) -> Iterator[tuple[int, str]]:
    """(line number, text) of each line that says something: "#" starts a comment."""
    for number, line in enumerate(text.splitlines(), 1):
        content = line.split("#", 1)[0].strip()
        if content:
            yield number, content


class LibrarianFile(Generic[T]):
    """The shipped table plus the librarian's file ``NAME`` in the archive folder, re-read
    when the file's mtime or size changes, checked at most once per ``RECHECK_SECONDS``.

    Subclasses say what the shipped table is and how the file's text is read.
    """

    NAME: str

    def __init__(self, archive_dir: Path | None) -> None:
        self.path = archive_dir / self.NAME if archive_dir is not None else None
        self.problems: list[str] = []
        """The file's unusable lines, as "path:line: reason", from its last reading."""
        self._table = self.shipped()
        self._signature: tuple[int, int] | None = None
        self._checked = float("-inf")

    def shipped(self) -> T:
        raise NotImplementedError

    def parse(self, text: str, source: str) -> tuple[T, list[str]]:
        """The table with the file's lines applied, and the reasons lines were skipped."""
        raise NotImplementedError

    def current(self) -> T:
        """The table to use now, reading the librarian's file again if it changed."""
        now = time.monotonic()
        if self.path is None or now - self._checked < RECHECK_SECONDS:
            return self._table
        self._checked = now
        try:
            info = self.path.stat()
            signature: tuple[int, int] | None = (info.st_mtime_ns, info.st_size)
        except FileNotFoundError:
            signature = None
        if signature != self._signature:
            self._signature = signature
            self._table, self.problems = self._read()
        return self._table

    def _read(self) -> tuple[T, list[str]]:
        """The shipped table with the file applied; an unreadable file leaves it as shipped."""
        try:
            # utf-8-sig: editors on Windows start the file with a byte-order mark.
            text = self.path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            return self.shipped(), []
        except (OSError, UnicodeDecodeError) as error:
            return self.shipped(), [_("{file}: cannot be read: {error}").format(
                file=self.path, error=error)]
        return self.parse(text, str(self.path))
