"""Progress of a long index run as plain lines, for output that is not a terminal.

On a terminal ``vnsearch index`` shows a progress bar; in a log file, a pipe or a service
journal a bar is unreadable, and without anything a 10-minute run looks hung until it
ends. There, a line every few seconds says how far it is, how fast and how long is left.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator, Sequence
from typing import TextIO, TypeVar

from .i18n import _, ngettext, number

Item = TypeVar("Item")

EVERY = 5.0
"""Seconds between lines: often enough to see it move, rare enough for a log."""


def progress_lines(
    items: Sequence[Item],
    every: float = EVERY,
    stream: TextIO | None = None,
) -> Iterator[Item]:
    """Yield ``items``, writing a progress line to ``stream`` (stderr) every ``every`` s.

    A run shorter than ``every`` prints nothing, and the first line comes only once there
    is a rate to tell.
    """
    total = len(items)
    started = last = time.monotonic()
    for done, item in enumerate(items):
        now = time.monotonic()
        if now - last >= every:
            last = now
            print(progress_line(done, total, now - started), file=stream or sys.stderr,
                  flush=True)
        yield item


def progress_line(done: int, total: int, elapsed: float) -> str:
    """"Indexing: 1,200 of 5,000 files (24%), 130 files/s, about 29 s left"."""
    rate = done / elapsed if elapsed > 0 else 0.0
    line = ngettext("Indexing: {done} of {total} file ({percent}%)",
                    "Indexing: {done} of {total} files ({percent}%)", total).format(
        done=number(done), total=number(total), percent=done * 100 // max(total, 1))
    if not rate:
        return line
    return _("{progress}, {rate} files/s, about {duration} left").format(
        progress=line, rate=number(rate), duration=_duration((total - done) / rate))


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return _("{seconds} s").format(seconds=seconds)
    if seconds < 3600:
        return _("{minutes} min {seconds:02d} s").format(minutes=seconds // 60,
                                                         seconds=seconds % 60)
    return _("{hours} h {minutes:02d} min").format(hours=seconds // 3600,
                                                   minutes=seconds % 3600 // 60)
