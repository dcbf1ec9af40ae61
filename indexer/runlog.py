"""What the last indexing runs did, kept for the librarian's page.

Every run of ``build`` (``vnsearch index``, and each update of ``serve --watch``) ends by
writing ``last-run.json`` in the index folder: the run itself (``last``, whether it changed
anything or failed) and the last run that changed the index (``last_change``), since the
watcher's periodic scans mostly change nothing and would otherwise hide what did. The file
is replaced atomically under the reindex lock, so the site reads either the old or the new
report, never half of one.

File names are stored escaped (``articles.printable``): a name may hold control characters
or bytes that are not UTF-8, and the report is read by a web page and by JSON clients.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .articles import printable

if TYPE_CHECKING:
    from .build import BuildReport

FILE_NAME = "last-run.json"
LISTED = 1000
"""Names kept per list (a full rebuild adds every file); the counts are always whole."""


def record(index_root: Path, report: "BuildReport", *, trigger: str, started: float,
           error: str | None = None) -> None:
    """Save this run as the last one (and as the last change, if it changed anything).

    A report that cannot be written (a full disk) is given up silently: it must never
    turn a finished run into a failed one; the page then shows the run before.
    """
    run = _summary(report, trigger, started, error)
    previous = read(index_root) or {}
    changed = run["full"] or any(run["counts"][name] for name in
                                 ("added", "updated", "renamed", "deleted"))
    data = {"last": run, "last_change": run if changed and not error
            else previous.get("last_change")}
    path = index_root / FILE_NAME
    temporary = index_root / f".{FILE_NAME}.{os.getpid()}"
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            json.dump(data, out, ensure_ascii=False, indent=1)
        os.replace(temporary, path)
    except OSError:
        try:
            temporary.unlink()
        except OSError:
            pass


def read(index_root: Path) -> dict[str, Any] | None:
    """The saved report, or None when no run has saved one (or it cannot be read)."""
    try:
        with open(index_root / FILE_NAME, encoding="utf-8") as source:
            data = json.load(source)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _names(items: list[str]) -> list[str]:
    return [printable(item) for item in items[:LISTED]]


def _summary(report: "BuildReport", trigger: str, started: float, error: str | None
             ) -> dict[str, Any]:
    return {
        "started": started,
        "finished": time.time(),
        "seconds": round(report.elapsed, 3),
        "full": report.full,
        "trigger": trigger,
        "error": printable(error) if error else None,
        "documents": report.documents,
        "counts": {
            "added": len(report.added), "updated": len(report.updated),
            "renamed": len(report.renamed), "deleted": len(report.deleted),
            "unchanged": report.unchanged, "skipped": report.skipped,
            "rejected": len(report.rejected), "unreadable": len(report.unreadable),
            "duplicates": report.folded,
        },
        "added": _names(report.added),
        "updated": _names(report.updated),
        "renamed": [[printable(old), printable(new)] for old, new in report.renamed[:LISTED]],
        "deleted": _names(report.deleted),
        "rejected": [{"file": printable(err.id), "reason": printable(err.reason)}
                     for err in report.rejected[:LISTED]],
        "unreadable": _names(report.unreadable),
        "duplicates": [[printable(doc_id) for doc_id in group]
                       for group in report.duplicates[:LISTED]],
    }
