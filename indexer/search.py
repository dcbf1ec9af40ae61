"""Search the archive: read the query into a plan, match, rank, page, present and suggest,
every stage following the same plan and the same deadline.

The stages, each in its own module: ``live`` keeps the live index open; ``query`` reads
the query once, as Vietnamese words, against the archive's own statistics (typos and
wrong tone marks corrected, missing diacritics restored, abbreviations expanded);
``engine`` turns the plan into scored candidates (recall-safe: spellings are evidence,
never filters); ``rerank`` re-scores the best with title likeness; ``present`` marks what
the plan matched in titles, snippets and the article page and counts facets; ``suggest``
restores diacritics for "Có phải bạn muốn tìm" from the best matches' own text.
"""

from __future__ import annotations

import re
import time
from bisect import bisect_right
from dataclasses import replace
from pathlib import Path

from whoosh.query import And, Or, Query, Term, TermRange

# Importing intersect applies whoosh_internals' patches.
from . import arraysearch, engine, intersect, present
from . import suggest as suggester
from .abbreviations import AbbreviationSource
from .analysis import load_segmenter
from .categories import CategorySource
from .highlight import marks_for
from .links import addresses, links_of
from .live import LiveIndex
from .location import IndexIncompatible, IndexMissing
from .overview import overview as index_overview
from .query import MAX_QUERY_CHARS, QueryPlan, build_plan, segments
from .rerank import RERANK_DEPTH, rerank
from .results import (
    DEFAULT_PER_PAGE, MAX_PAGE, MAX_PER_PAGE, SORTS, ArticleView, FacetValue, Hit,
    IndexOverview, RelatedArticle, SearchParams, SearchResults,
)
from .spelling import Vocabulary

TIME_LIMIT_SECONDS = 3.0
SPELLING_SHARE = 0.2
"""Of each search's time budget, what correcting misspelt words may take."""
SUGGEST_FROM = 3
"""Diacritics are restored from the text of this many best matches."""
SUGGEST_CHARS = 3000
"""Of each best match's body, how much diacritics are restored from: a query's words
that an article holds at all stand in its first pages."""


def _filter(params: SearchParams, categories: list[str] | None = None) -> Query | None:
    """The query the filters of ``params`` make; ``categories`` are the indexed categories
    the category filter's name stands for (``params.category`` itself when not given)."""
    parts: list[Query] = []
    if params.category:
        parts.append(Or([Term("category", c) for c in categories or [params.category]]))
    for name in ("author", "publisher", "year"):
        value = getattr(params, name)
        if value:
            parts.append(Term(name, value))
    if params.date_from or params.date_to:
        parts.append(TermRange("date", params.date_from, params.date_to))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else And(parts)


def _title_and_body(stored: dict) -> tuple[str, str]:
    return stored.get("title", ""), stored.get("body", "")[:SUGGEST_CHARS]


_WANTED_PHRASE = re.compile(r'(?<!-)"([^"]*)(?:"|$)')


def _unquoted(q: str) -> str:
    """The query with its wanted phrases as plain words (excluded ones stay phrases)."""
    return _WANTED_PHRASE.sub(lambda m: f" {m.group(1)} ", q)


class _Titles:
    """Every title of a reader, by index-wide document number, from each segment's title
    column (``arraysearch.title_column``)."""

    def __init__(self, reader):
        leaves = reader.leaf_readers()
        self._starts = [offset for _, offset in leaves]
        self._columns = [arraysearch.title_column(leaf) for leaf, _ in leaves]

    def __getitem__(self, docnum: int) -> str:
        i = bisect_right(self._starts, docnum) - 1
        return self._columns[i][docnum - self._starts[i]].decode("utf-8")


def _titles(reader) -> _Titles:
    """The reader's titles, opened once (opening a column reads its index, ~10 ms)."""
    cache = reader.__dict__
    if "_vnsearch_titles" not in cache:
        cache["_vnsearch_titles"] = _Titles(reader)
    return cache["_vnsearch_titles"]


class ArchiveSearcher:
    """Searches and article pages over the live index, for one process (or thread) at a
    time: calls are serialized by the live index's lock."""

    def __init__(self, index_root: Path, time_limit: float = TIME_LIMIT_SECONDS,
                 archive_root: Path | None = None):
        self.live = LiveIndex(index_root)
        self.index_root = self.live.index_root
        self.time_limit = time_limit
        self.abbreviations = AbbreviationSource(archive_root)
        self.categories = CategorySource(archive_root)

    def close(self) -> None:
        self.live.close()

    def info(self) -> dict:
        return self.live.info()

    def ids(self) -> set[str]:
        return self.live.ids()

    def overview(self) -> IndexOverview:
        """The live index at a glance, for the librarian's page."""
        with self.live.use() as searcher:
            info = self.live.info()
            generation = self.index_root / info["generation"] if info["generation"] else None
            return index_overview(searcher.reader(), generation, info["last_reindex"])

    def plan(self, searcher, q: str, spell: bool = True) -> QueryPlan:
        """The query read against the live index's vocabulary and the abbreviations;
        corrections may take a share of the time budget, the search keeps the rest."""
        return build_plan(q, Vocabulary(searcher.reader()), self.abbreviations.current(),
                          correct=spell,
                          deadline=time.monotonic() + self.time_limit * SPELLING_SHARE)

    def search(self, params: SearchParams, *, facets: bool = True,
               snippets: bool = True, suggest: bool = True) -> SearchResults:
        started = time.perf_counter()
        names = self.categories.current()
        # A category is filtered by the name it is shown with (a slug means its name).
        params = replace(params.bounded(), category=names.shown(params.category) or None)
        if segments(params.q):
            # pyvi's model loads on a process's first query with an operator (1.5-6 s):
            # a cost of the process, not taken from the query's time budget.
            load_segmenter()
        deadline = time.monotonic() + self.time_limit
        with self.live.use() as searcher, intersect.deadline(deadline):
            plan = self.plan(searcher, params.q, params.spell)
            results = SearchResults(params=params, truncated=plan.parsed.truncated)
            indexed = searcher.reader().field_terms("category") if params.category else ()
            filter_query = _filter(params, names.categories(params.category or "", indexed))
            browsing = plan.is_empty and filter_query is not None
            if plan.is_empty and not browsing:
                results.took_ms = (time.perf_counter() - started) * 1000
                return results
            if browsing and params.sort == "relevance":
                params = replace(params, sort="newest")
                results.params = params

            results.expansions = [(typed, list(forms)) for typed, forms in plan.expansions]
            texts = self._run(searcher, plan, params, filter_query, facets, snippets, results,
                              deadline, browsing)
            if not results.total and not results.timed_out and any(
                    read.unit.phrase for read in plan.units):
                # No article holds the phrase: its words, as plain words, rather than
                # nothing (a title typed with its own quotation marks, say).
                plan = self.plan(searcher, _unquoted(params.q), params.spell)
                texts = self._run(searcher, plan, params, filter_query, facets, snippets,
                                  results, deadline, browsing)
                results.relaxed = bool(results.total)
            if plan.corrected:
                results.corrected = suggester.corrected_text(plan, texts, deadline)
            elif suggest and not browsing:
                results.suggestion = suggester.suggestion(
                    plan, results.total == 0 or results.relaxed, texts, deadline)
        results.took_ms = (time.perf_counter() - started) * 1000
        return results

    def _run(self, searcher, plan: QueryPlan, params: SearchParams, filter_query: Query | None,
             facets: bool, snippets: bool, results: SearchResults, deadline: float,
             browsing: bool) -> list[str]:
        """Match, rank and present one page; returns the best hits' texts for suggestions.

        Ranking is done once, to a depth that does not depend on the page asked for (only
        a later page can ask for more): every match appears on exactly one page."""
        limit = params.page * params.per_page
        ranked_by_relevance = not browsing and params.sort == "relevance"
        depth = max(limit, RERANK_DEPTH) if ranked_by_relevance else limit
        facet_names = present.FACETS if facets else ()
        names = self.categories.current()
        remaining = lambda: deadline - time.monotonic()  # noqa: E731
        if browsing:
            found = engine.browse(searcher, depth=depth, sort=params.sort,
                                  filter_query=filter_query, facets=facet_names)
        else:
            found = engine.match(searcher, plan, depth=depth,
                                 sort=params.sort, filter_query=filter_query,
                                 facets=facet_names,
                                 deadline_seconds=remaining)
        results.total, results.timed_out = found.total, found.timed_out
        results.relaxed = bool(found.total) and not found.complete
        if found.groups and results.total:
            results.facets = present.facet_values(found.groups, names)
            results.dated = present.dated(found.groups)
        elif facets:
            results.dated = 0
        if ranked_by_relevance:
            column = _titles(searcher.reader())
            titles = [column[hit.docnum] for hit in found.hits[:RERANK_DEPTH]]
            ranked = rerank(found.hits, titles, plan)
        else:
            ranked = [(hit, 0.0) for hit in found.hits]
        start = (params.page - 1) * params.per_page
        marks = marks_for(plan)
        results.hits = [present.hit(hit.fields(), float(score), rank, marks, snippets, names)
                        for rank, (hit, score) in enumerate(ranked[start:limit], start=start + 1)]
        return [text for hit, _ in ranked[:SUGGEST_FROM] for text in _title_and_body(hit.fields())]

    def article(self, article_id: str, q: str = "", related: int = 5) -> ArticleView | None:
        with self.live.use() as searcher:
            docnum = searcher.document_number(id=article_id)
            if docnum is None:
                return None
            marks = marks_for(self.plan(searcher, q))
            stored = searcher.stored_fields(docnum)
            similar = present.related_articles(searcher, docnum, stored, related) if related else []
            copies = sorted(links_of(searcher.reader(), docnum).copies)
        return present.article(article_id, stored, marks, similar, copies,
                               self.categories.current())

    def moved(self, article_id: str) -> str | None:
        """The article an address leads to when it is no article's own: a copy's indexed
        article, or where a renamed or deleted file's text is now; None otherwise."""
        with self.live.use() as searcher:
            if searcher.document_number(id=article_id) is not None:
                return None
            return addresses(searcher.reader()).get(article_id)


__all__ = [
    "ArchiveSearcher", "ArticleView", "FacetValue", "Hit", "IndexIncompatible", "IndexMissing",
    "IndexOverview", "RelatedArticle", "SearchParams", "SearchResults", "DEFAULT_PER_PAGE",
    "MAX_PER_PAGE", "MAX_PAGE", "MAX_QUERY_CHARS", "SORTS",
]
