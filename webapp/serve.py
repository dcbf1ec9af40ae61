"""Run the website with a production WSGI server: gunicorn where it exists, else waitress.

gunicorn manages worker processes (started, restarted if they die or hang, stopped
gracefully), each creating its own app (``preload_app=False``) and therefore its own index
searcher: Whoosh searchers are not shared across processes, and a slow query then holds up
one worker, not the whole site.

Inside each worker, waitress serves (``BufferingWorker``) rather than gunicorn's own
workers, because of slow clients. A ``sync`` worker is tied to one connection until the
request has arrived, so two connections that send half a request blocked both workers
until the 60-second timeout; ``gthread`` has the same problem per thread (a thread reads
the rest of a started request with a blocking read and no deadline). waitress reads every
request completely in its event loop, for any number of connections at once, and only
then hands it to a thread that runs the app: an idle or slow client costs a socket, never
a worker. Connections that stay silent are closed after ``CHANNEL_TIMEOUT_S``.

Windows has no gunicorn, so waitress alone (threads in one process, searches serialized by
the searcher's lock) serves there.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

from flask import Flask

from indexer.i18n import _
from indexer.search import ArchiveSearcher, IndexMissing
from indexer.warmup import warm

from . import SEARCHER_KEY, create_app

try:  # Windows has no gunicorn
    from gunicorn.workers.base import Worker
except ImportError:
    Worker = None


def app_factory(index_root: Path, archive: Path, served_url: str | None = None):
    """A zero-argument factory, so every worker process builds its own app."""

    def factory() -> Flask:
        app = create_app({"INDEX_ROOT": index_root, "ARCHIVE_ROOT": archive,
                          "SERVED_URL": served_url})
        # A worker starts accepting only once its app is built: warmed here, its first
        # queries do not wait for what every worker makes once (``indexer.warmup``).
        warm(app.extensions[SEARCHER_KEY])
        return app

    return factory


def served_url(host: str, port: int) -> str | None:
    """The address the server listens on, if it is one a browser can use: not a wildcard
    such as 0.0.0.0, which means "every address of this machine"."""
    if host in ("", "0.0.0.0", "::", "[::]"):
        return None
    return f"http://{bind_address(host, port)}"


def bind_address(host: str, port: int) -> str:
    """host:port for gunicorn, with an IPv6 address in brackets."""
    return f"[{host}]:{port}" if ":" in host and not host.startswith("[") else f"{host}:{port}"


def default_workers() -> int:
    return os.cpu_count() or 1


THREADS_PER_WORKER = 4
"""Threads that run the app in each worker. Searches in one process take turns on its
searcher anyway; the other threads answer health checks, pages and static files meanwhile."""
CONNECTIONS_PER_WORKER = 1000
"""Open connections one worker holds (idle or slow ones included) before it stops accepting
and leaves new ones to the other workers and the kernel's queue; each costs only a socket."""
CHANNEL_TIMEOUT_S = 30
"""A connection silent for this long without a request being answered is closed."""
WAITRESS_OPTIONS: dict[str, Any] = {"clear_untrusted_proxy_headers": False}
"""Forwarding headers reach the app as sent: waitress would drop ``X-Forwarded-For`` from a
proxy it was not told about, and the librarian's page must see it to refuse a request that
came through such a proxy (``clients.py``). Nothing else reads them."""


def gunicorn_options(host: str, port: int, workers: int | None) -> dict[str, Any]:
    return {
        "bind": bind_address(host, port),
        "workers": workers or default_workers(),
        "worker_class": "webapp.serve.BufferingWorker",
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
    factory = app_factory(Path(index_root).resolve(), Path(archive).resolve(),
                          served_url(host, port))
    print(_("Serving on {url} (index: {index}; press Ctrl-C to stop)").format(
        url=f"http://{bind_address(host, port)}/", index=index_root), flush=True)
    problem = _index_problem(Path(index_root))
    if problem:
        print(problem, file=sys.stderr, flush=True)
    try:
        server = gunicorn_server(factory, gunicorn_options(host, port, workers))
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
        return _("No search index in the folder '{folder}' yet: pages answer 503 until "
                 "`vnsearch index` builds it.").format(folder=index_root)
    except Exception as err:  # e.g. an index written by an incompatible version
        return _("The index in {folder} cannot be opened ({error}); rebuild it with "
                 "`vnsearch index --full`.").format(folder=index_root,
                                                     error=f"{type(err).__name__}: {err}")
    finally:
        searcher.close()
    return None


def gunicorn_server(factory, options: dict[str, Any]):
    """gunicorn running the app each worker gets from ``factory``, with ``options``."""
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
        serve(app, host=host, port=port, threads=threads, **WAITRESS_OPTIONS)
    except KeyboardInterrupt:
        print(_("Stopped."), flush=True)


if Worker is not None:

    class BufferingWorker(Worker):
        """A gunicorn worker process whose connections waitress reads (see the module
        docstring): gunicorn keeps managing the process, waitress serves inside it."""

        def run(self) -> None:
            from waitress import create_server
            from waitress.wasyncore import loop

            connections: dict = {}
            server = create_server(
                self.wsgi, map=connections, sockets=[listener.sock for listener in self.sockets],
                threads=THREADS_PER_WORKER, connection_limit=CONNECTIONS_PER_WORKER,
                channel_timeout=CHANNEL_TIMEOUT_S, cleanup_interval=5, ident="vnsearch",
                **WAITRESS_OPTIONS,
            )
            while self.alive and self.ppid == os.getppid():
                self.notify()  # the arbiter's heartbeat: a hung loop gets the worker restarted
                loop(timeout=1.0, map=connections, count=1)
            # Stopping: accept nothing new, finish and send what was asked (within gunicorn's
            # graceful timeout), then let the app threads go.
            for dispatcher in list(connections.values()):
                dispatcher.accepting = False
            deadline = time.monotonic() + self.cfg.graceful_timeout
            while time.monotonic() < deadline and any(
                    getattr(channel, "requests", None) or getattr(channel, "total_outbufs_len", 0)
                    for channel in list(connections.values())):
                loop(timeout=0.1, map=connections, count=1)
            server.task_dispatcher.shutdown(timeout=1)
