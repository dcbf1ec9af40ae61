"""Pages and their JSON twins: every page is a plain URL with plain query parameters.

``/search`` and ``/api/search`` read the same parameters (see ``params.py``) and render the
same ``SearchResults``; the article page and ``/api/article`` likewise share one lookup.

An article's old address (a renamed file, a copy of another file) answers a permanent
redirect to the article now holding its text, the page to the page and the API to the API.
Browsers are told not to keep it: a file renamed back, or a copy edited into an article of
its own, makes the old address an article again, and a remembered redirect would loop.
"""

from __future__ import annotations

from importlib import metadata

from flask import (
    Blueprint, Response, abort, current_app, jsonify, redirect, render_template, request,
    url_for,
)

from indexer.hitjson import hit_json
from indexer.search import (
    MAX_PAGE, MAX_PER_PAGE, MAX_QUERY_CHARS, ArchiveSearcher, ArticleView, FacetValue,
    IndexMissing, SearchParams, SearchResults,
)

from . import formatting
from .links import FACET_NAMES, FILTER_LABELS, SORT_LABELS, SearchLinks, page_window
from .opensearch import description_xml
from .params import BadParameter, clean_text, is_plausible_id, search_params

bp = Blueprint("views", __name__)

FACETS_SHOWN = 8
"""Facet values listed before "Xem thêm"; the rest fold away so the sidebar stays short."""


def searcher() -> ArchiveSearcher:
    return current_app.extensions["vnsearch.searcher"]


def version() -> str:
    try:
        return metadata.version("vnsearch")
    except metadata.PackageNotFoundError:
        return "unknown"


@bp.get("/")
def index() -> str:
    info = searcher().info()
    return render_template("index.html", info=info)


@bp.get("/search")
def search() -> Response | str:
    params = search_params(request.args, strict=False)
    links = SearchLinks(params.bounded())
    if not params.q and not _filtered(params):
        return render_template("search.html", results=None, links=links, q="")
    results = searcher().search(params)
    if results.total and results.params.page > results.pages:
        return redirect(SearchLinks(results.params).page(results.pages))
    links = SearchLinks(results.params)
    return render_template(
        "search.html",
        results=results,
        links=links,
        q=results.params.q,
        window=page_window(results.params.page, results.pages),
        facets=_display_facets(results.facets),
        facet_names=FACET_NAMES,
        facet_labels=FILTER_LABELS,
        facets_shown=FACETS_SHOWN,
        sort_labels=SORT_LABELS,
        query_limit=MAX_QUERY_CHARS,
    )


def _filtered(params: SearchParams) -> bool:
    """A filter alone lists its articles (newest first), so facets can be browsed."""
    return any((params.category, params.author, params.publisher, params.year,
                params.date_from, params.date_to))


def _display_facets(facets: dict[str, list[FacetValue]]) -> dict[str, list[FacetValue]]:
    """Years read best newest first, as a timeline; other facets keep the most common first."""
    shown = dict(facets)
    if "year" in shown:
        shown["year"] = sorted(shown["year"], key=lambda f: f.value, reverse=True)
    return shown


def _article_or_404(article_id: str, q: str) -> ArticleView | str:
    """The article, or the id its address now leads to; a 404 when neither.

    The id is only looked up in the index (never opened as a file), and anything
    path-like that could escape is a 404 before any lookup."""
    if not is_plausible_id(article_id):
        abort(404)
    view = searcher().article(article_id, q=q)
    if view is not None:
        return view
    moved_to = searcher().moved(article_id)
    if moved_to is None:
        abort(404)
    return moved_to


def _moved(response: Response, location: str) -> Response:
    """``response`` as a permanent redirect to ``location`` that browsers do not keep."""
    response.status_code = 301
    response.headers["Location"] = location
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/article/<path:article_id>", merge_slashes=False)
def article(article_id: str) -> Response | str:
    q = clean_text(request.args.get("q"), MAX_QUERY_CHARS)
    view = _article_or_404(article_id, q)
    if isinstance(view, str):
        location = url_for("views.article", article_id=view, **({"q": q} if q else {}))
        return _moved(redirect(location), location)
    return render_template("article.html", article=view, q=q)


@bp.get("/api/search")
def api_search() -> Response:
    params = search_params(request.args, strict=True)
    if not params.q and not _filtered(params):
        raise BadParameter("q", "'q' (the search text) is required unless a filter is given")
    results = searcher().search(params)
    return jsonify(_results_json(results))


def _results_json(results: SearchResults) -> dict:
    params = results.params
    return {
        "query": params.q,
        "total": results.total,
        "page": params.page,
        "per_page": params.per_page,
        "pages": results.pages,
        "took_ms": round(results.took_ms, 2),
        "hits": [hit_json(hit, url_for("views.article", article_id=hit.id, q=params.q))
                 for hit in results.hits],
        "facets": {
            name: [{"value": f.value, "count": f.count} for f in values]
            for name, values in results.facets.items()
        },
        "dated": results.dated,
        "suggestion": results.suggestion,
        "corrected": results.corrected,
        "expansions": [{"typed": typed, "also": forms} for typed, forms in results.expansions],
        "relaxed": results.relaxed,
        "truncated": results.truncated,
        "timed_out": results.timed_out,
        "limits": {"max_page": MAX_PAGE, "max_per_page": MAX_PER_PAGE},
    }


@bp.get("/api/article/<path:article_id>", merge_slashes=False)
def api_article(article_id: str) -> Response:
    view = _article_or_404(article_id, "")
    if isinstance(view, str):
        location = url_for("views.api_article", article_id=view)
        return _moved(jsonify({"moved_to": view, "url": location}), location)
    return jsonify({
        "id": view.id,
        "path": view.id,
        "title": view.title,
        "body": view.body,
        "date": view.date,
        "author": view.author,
        "category": view.category,
        "publisher": view.publisher,
        "source_url": formatting.web_url(view.source_url),  # as the page shows it
        "tags": view.tags,
        "url": url_for("views.article", article_id=view.id),
        "related": [
            {"id": r.id, "title": r.title, "url": url_for("views.article", article_id=r.id)}
            for r in view.related
        ],
        "copies": view.copies,
    })


@bp.get("/healthz")
def healthz() -> Response | tuple[Response, int]:
    try:
        info = searcher().info()
    except IndexMissing:
        return jsonify({"status": "no index", "error": "no index yet: run `vnsearch index`",
                        "documents": 0,
                        "last_reindex": None, "version": version()}), 503
    return jsonify({
        "status": "ok",
        "documents": info["documents"],
        "last_reindex": formatting.timestamp(info["last_reindex"]),
        "generation": info["generation"],
        "version": version(),
    })


@bp.get("/opensearch.xml")
def opensearch() -> Response:
    return Response(description_xml(), mimetype="application/opensearchdescription+xml")
