"""The librarian's page (``/quan-tri``) and its JSON twin (``/api/quan-tri``): the archive's
health in one place. What the last indexing run did and rejected, and why; the last run
that changed the index; exact duplicates; old addresses that redirect; articles by
category; the index's size; and whether ``serve --watch`` keeps the index up to date.

Only librarians may open them (``clients.py``): they name the server's files and folders.
The page works without an index too, since a failed first run is what it must explain.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template, request

from indexer import lock, runlog
from indexer.search import ArchiveSearcher, IndexMissing, IndexOverview

from . import clients
from .errors import error_response
from .formatting import timestamp

bp = Blueprint("librarian", __name__)

SHOWN = 100
"""Names listed per list on the page (the JSON has every name the report kept)."""

REFUSED = ("Trang quản trị chỉ mở được trên chính máy chủ chạy vnsearch, hoặc từ các mạng "
           "có trong LIBRARIAN_NETWORKS (qua máy chủ trung gian: TRUSTED_PROXIES).")


@bp.before_request
def librarians_only() -> Response | None:
    config = current_app.config
    if clients.is_librarian(request, config["LIBRARIAN_NETWORKS"], config["TRUSTED_PROXIES"]):
        return None
    return error_response(403, REFUSED)


@dataclass(frozen=True)
class Status:
    overview: IndexOverview | None
    """None when there is no usable index."""
    last: dict[str, Any] | None
    last_change: dict[str, Any] | None
    watcher: dict[str, Any] | None
    """The watcher's note (pid, since, scan interval), or None when nothing watches."""


def _status() -> Status:
    index_root = current_app.config["INDEX_ROOT"]
    searcher: ArchiveSearcher = current_app.extensions["vnsearch.searcher"]
    try:
        overview = searcher.overview()
    except IndexMissing:
        overview = None
    runs = runlog.read(index_root) or {}
    return Status(overview, runs.get("last"), runs.get("last_change"), lock.watcher(index_root))


@bp.get("/quan-tri")
def page() -> str:
    return render_template("librarian.html", status=_status(), shown=SHOWN)


@bp.get("/api/quan-tri")
def api() -> Response:
    status = _status()
    overview = status.overview
    return jsonify({
        "index": None if overview is None else {
            "documents": overview.documents,
            "copies": overview.copies,
            "redirects": len(overview.redirects),
            "undated": overview.undated,
            "size_bytes": overview.size_bytes,
            "generation": overview.generation,
            "last_reindex": timestamp(overview.last_reindex),
        },
        "categories": [] if overview is None else [
            {"value": c.value, "count": c.count} for c in overview.categories],
        "duplicates": [] if overview is None else overview.duplicates,
        "redirects": [] if overview is None else [
            {"from": old, "to": new} for old, new in overview.redirects],
        "watch": _watch_json(status.watcher),
        "last_run": _run_json(status.last),
        "last_change": _run_json(status.last_change),
    })


def _watch_json(note: dict[str, Any] | None) -> dict[str, Any]:
    if note is None:
        return {"active": False}
    return {"active": True, "since": timestamp(note.get("since")), "pid": note.get("pid"),
            "scan_interval": note.get("scan_interval"),
            "file_events": note.get("file_events")}


def _run_json(run: dict[str, Any] | None) -> dict[str, Any] | None:
    if not run:
        return None
    return {**run, "started": timestamp(run.get("started")),
            "finished": timestamp(run.get("finished"))}
