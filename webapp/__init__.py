"""The search website and JSON API over the live index.

``create_app`` is an application factory so that tests, the development server and every
gunicorn worker each build their own app, and with it their own ``ArchiveSearcher``: Whoosh
searchers must not be shared between processes, and one per process keeps the index open
between requests instead of re-opening it each time.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from flask import Flask, Response

from indexer import whoosh_internals
from indexer.search import ArchiveSearcher

from . import clients, errors, formatting, librarian
from .views import bp

DEFAULTS: dict[str, Any] = {
    "INDEX_ROOT": "index",
    "ARCHIVE_ROOT": "archive",
    "SEARCH_TIME_LIMIT": 3.0,
    "PUBLIC_URL": None,
    "SERVED_URL": None,
    "LIBRARIAN_NETWORKS": "",
    "TRUSTED_PROXIES": "",
}
"""Settings, overridden in turn by the VNSEARCH_CONFIG file, the environment and ``config``.

``PUBLIC_URL`` is the site's address as readers reach it (``https://tracuu.example.vn``),
for the few absolute URLs there are (opensearch.xml). They are never built from the
request's ``Host`` header, which any client can set: a cache in front of the site would
hand its answer to everyone. ``SERVED_URL`` is set by ``vnsearch serve`` to the address it
listens on, when that is a definite one, and stands in for an unset ``PUBLIC_URL``.

The librarian's page opens only for clients on this machine; ``LIBRARIAN_NETWORKS`` adds
networks whose clients may open it, and ``TRUSTED_PROXIES`` names the reverse proxies whose
``X-Forwarded-For`` says who the client is (``clients.py``).
"""

_ENVIRONMENT = {"VNSEARCH_INDEX": "INDEX_ROOT", "VNSEARCH_ARCHIVE": "ARCHIVE_ROOT",
                "VNSEARCH_PUBLIC_URL": "PUBLIC_URL",
                "VNSEARCH_LIBRARIAN_NETWORKS": "LIBRARIAN_NETWORKS",
                "VNSEARCH_TRUSTED_PROXIES": "TRUSTED_PROXIES"}

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
"""No inline script or style anywhere: highlighted article text is the only HTML we did not
write, and even if escaping ever failed, an injected script would not run."""

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}

SEARCHER_KEY = "vnsearch.searcher"


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: defaults → VNSEARCH_CONFIG file → environment → ``config`` (tests).

    Raises ``WhooshVersionError`` if the installed Whoosh is not the release vnsearch was
    written for."""
    whoosh_internals.check_version()
    app = Flask(__name__)
    app.config.from_mapping(DEFAULTS)
    config_file = os.environ.get("VNSEARCH_CONFIG")
    if config_file:
        app.config.from_pyfile(os.path.abspath(config_file))
    for variable, key in _ENVIRONMENT.items():
        if os.environ.get(variable):
            app.config[key] = os.environ[variable]
    if config:
        app.config.update(config)
    app.config["INDEX_ROOT"] = Path(app.config["INDEX_ROOT"])
    app.config["ARCHIVE_ROOT"] = Path(app.config["ARCHIVE_ROOT"])
    for key in ("PUBLIC_URL", "SERVED_URL"):
        app.config[key] = _base_url(key, app.config[key])
    for key in ("LIBRARIAN_NETWORKS", "TRUSTED_PROXIES"):
        app.config[key] = clients.networks(key, app.config[key])
    # "//" in a path would otherwise be answered with a redirect to an absolute URL built
    # from the Host header; such paths are simply not found.
    app.url_map.merge_slashes = False

    # Opening is lazy: a missing index becomes a 503 page per request, not a start-up crash,
    # and the site starts working as soon as `vnsearch index` has built one.
    app.extensions[SEARCHER_KEY] = ArchiveSearcher(
        app.config["INDEX_ROOT"], time_limit=float(app.config["SEARCH_TIME_LIMIT"]),
        archive_root=app.config["ARCHIVE_ROOT"],
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]
    formatting.register(app)
    errors.register(app)
    app.register_blueprint(bp)
    app.register_blueprint(librarian.bp)
    app.after_request(_security_headers)
    return app


def _base_url(key: str, value: str | None) -> str | None:
    """An http(s) address without a trailing slash; a ValueError naming the setting if not."""
    if not value:
        return None
    parts = urlsplit(str(value).strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"{key} must be the site's http(s) address, such as "
                         f"https://tracuu.example.vn, got {value!r}")
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def _security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response
