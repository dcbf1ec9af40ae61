"""Run the website with a production WSGI server: gunicorn where it exists, else waitress.

gunicorn runs sync worker processes, each creating its own app (``preload_app=False``) and
therefore its own index searcher: Whoosh searchers are not shared across processes, and a
slow query then holds up one worker, not the whole site. Windows has no gunicorn, so
waitress (threads in one process, searches serialized by the searcher's lock) serves there.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from flask import Flask

from indexer.search import ArchiveSearcher, IndexMissing

from . import create_app


def app_factory(index_root: Path, archive: Path):
    """A zero-argument factory, so every worker process builds its own app."""

    def factory() -> Flask:
        return create_app({"INDEX_ROOT": index_root, "ARCHIVE_ROOT": archive})

    return factory


def bind_address(host: str, port: int) -> str:
    """host:port for gunicorn, with an IPv6 address in brackets."""
    return f"[{host}]:{port}" if ":" in host and not host.startswith("[") else f"{host}:{port}"


def default_workers() -> int:
    return os.cpu_count() or 1


def gunicorn_options(host: str, port: int, workers: int | None) -> dict[str, Any]:
    return {
        "bind": bind_address(host, port),
        "workers": workers or default_workers(),
        "worker_class": "sync",
        "preload_app": False,
        "timeout": 60,
        "graceful_timeout": 10,
        "accesslog": "-",
        "errorlog": "-",
        "proc_name": "vnsearch",
        # Recent gunicorn opens a control socket under ~/.gunicorn by default; we never use it.
        "control_socket_disable": True,
    }


def run(index_root: Path, archive: Path, host: str, port: int, workers: int | None) -> None:
    """Serve until interrupted; a missing index only makes pages answer 503 until it exists."""
    factory = app_factory(Path(index_root).resolve(), Path(archive).resolve())
    print(f"Serving on http://{bind_address(host, port)}/ (index: {index_root}; "
          "press Ctrl-C to stop)", flush=True)
    problem = _index_problem(Path(index_root))
    if problem:
        print(problem, file=sys.stderr, flush=True)
    try:
        server = _gunicorn(factory, gunicorn_options(host, port, workers))
    except ImportError:
        _waitress(factory(), host, port, workers or default_workers())
        return
    server.run()


def _index_problem(index_root: Path) -> str | None:
    """Why the index cannot serve yet, for the operator; the server starts regardless."""
    searcher = ArchiveSearcher(index_root)
    try:
        searcher.info()
    except IndexMissing:
        return f"No index in {index_root} yet: pages answer 503 until `vnsearch index` builds it."
    except Exception as err:  # e.g. an index written by an incompatible version
        return (f"The index in {index_root} cannot be opened ({type(err).__name__}: {err}); "
                "rebuild it with `vnsearch index --full`.")
    finally:
        searcher.close()
    return None


def _gunicorn(factory, options: dict[str, Any]):
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):
        def load_config(self) -> None:
            for key, value in options.items():
                if key in self.cfg.settings:  # older gunicorn lacks some settings
                    self.cfg.set(key, value)

        def load(self) -> Flask:
            return factory()

    return Server()


def _waitress(app: Flask, host: str, port: int, threads: int) -> None:
    from waitress import serve

    try:
        serve(app, host=host, port=port, threads=threads)
    except KeyboardInterrupt:
        print("Stopped.", flush=True)
