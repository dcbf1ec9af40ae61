"""One search hit as JSON, the same for the web API (``/api/search``) and ``vnsearch search
--json``, so that a script written against one reads the other.

It lives in ``indexer`` because the command line must not import Flask to print a result;
the site passes the address its router builds, the command line the one
``article_url`` builds (the same, for a site served at the root of its host).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

if TYPE_CHECKING:
    from .search import Hit


def article_url(article_id: str, q: str = "") -> str:
    """The article page's address, relative to the site's root, highlighting ``q``."""
    url = "/article/" + quote(article_id, safe="/")
    return f"{url}?{urlencode({'q': q})}" if q else url


def hit_json(hit: Hit, url: str) -> dict[str, Any]:
    """``hit`` as the API answers it; ``url`` is its article page (with the query)."""
    return {
        "id": hit.id,
        "path": hit.id,
        "title": hit.title,
        "url": url,
        "snippet": str(hit.snippet_html),
        "snippet_text": hit.snippet_text,
        "date": hit.date,
        "category": hit.category,
        "author": hit.author,
        "publisher": hit.publisher,
        "score": round(hit.score, 4),
    }
