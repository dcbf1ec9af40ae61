"""Search the index: read the query into a plan, match, rank, page, facet, highlight and
suggest, every stage following the same plan.

The plan (``query.build_plan``) reads the query once, as Vietnamese words, against the
archive's own statistics: typos and wrong tone marks corrected, missing diacritics
restored, abbreviations expanded. ``engine`` turns it into scored candidates (recall-safe:
spellings are evidence, never filters), ``rerank`` re-scores the best with title
likeness, ``highlight`` marks what the plan matched, and ``suggest`` restores diacritics
for "Có phải bạn muốn tìm" from the best matches' own text.

Returns plain data classes: callers never touch Whoosh objects.
"""

from __future__ import annotations

import math
import re
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from markupsafe import Markup
from whoosh import sorting
from whoosh.query import And, Every, Query, Term, TermRange

from . import engine, intersect, termcache  # noqa: F401  (termcache: remembers lookups)
from .abbreviations import AbbreviationSource
from .analysis import SECTION_BREAK, folded_match_form, has_diacritics, match_form
from .bm25 import ListedLengthBM25F
from .engine import BM25
from .highlight import Marks, find_spans, mark, marks_for, snippet_spans
from .location import IndexIncompatible, IndexMissing, current_dir, open_current
from .query import MAX_QUERY_CHARS, QueryPlan, build_plan
from .rerank import RERANK_DEPTH, rerank
from .spelling import Vocabulary
from .suggest import restore_from_texts, restore_text, suggestable_syllables

MAX_PER_PAGE = 50
MAX_PAGE = 500
DEFAULT_PER_PAGE = 10
SORTS = ("relevance", "newest", "oldest")
FACETS = ("category", "year", "author")
FACET_LIMIT = 30
"""Facet values returned per facet, most frequent first (an archive can have thousands of authors)."""
TIME_LIMIT_SECONDS = 3.0
SPELLING_SHARE = 0.2
"""Of each search's time budget, what correcting misspelt words may take."""
REFRESH_INTERVAL_SECONDS = 1.0


@dataclass(frozen=True)
class SearchParams:
    q: str = ""
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    category: str | None = None
    author: str | None = None
    year: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    sort: str = "relevance"
    spell: bool = True
    """False: search the words exactly as typed, without correcting them."""

    def bounded(self) -> "SearchParams":
        return SearchParams(
            q=self.q,
            page=min(max(1, self.page), MAX_PAGE),
            per_page=min(max(1, self.per_page), MAX_PER_PAGE),
            category=self.category or None,
            author=self.author or None,
            year=self.year or None,
            date_from=self.date_from or None,
            date_to=self.date_to or None,
            sort=self.sort if self.sort in SORTS else "relevance",
            spell=self.spell,
        )


@dataclass(frozen=True)
class Hit:
    id: str
    title: str
    title_spans: list[tuple[int, int]]
    """Where the query's words are in the title (what ``title_html`` marks)."""
    snippet_text: str
    snippet_spans: list[tuple[int, int]]
    date: str | None
    category: str | None
    author: str | None
    source_url: str | None
    score: float
    rank: int

    @property
    def title_html(self) -> Markup:
        return mark(self.title, self.title_spans)

    @property
    def snippet_html(self) -> Markup:
        return mark(self.snippet_text, self.snippet_spans)


@dataclass(frozen=True)
class FacetValue:
    value: str
    count: int


@dataclass
class SearchResults:
    params: SearchParams
    total: int = 0
    hits: list[Hit] = field(default_factory=list)
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    suggestion: str | None = None
    took_ms: float = 0.0
    relaxed: bool = False  # no article had all the words: showing those with most of them
    timed_out: bool = False
    truncated: bool = False  # the query was cut to MAX_QUERY_CHARS / MAX_TERMS
    corrected: str | None = None
    """The query as searched, when misspelt words were corrected ("Đang hiển thị kết quả
    cho …"); ``params.q`` is what was typed."""
    expansions: list[tuple[str, list[str]]] = field(default_factory=list)
    """Abbreviations met in the query and the other forms searched for them."""

    @property
    def pages(self) -> int:
        return min(MAX_PAGE, math.ceil(self.total / self.params.per_page)) if self.total else 0


@dataclass(frozen=True)
class RelatedArticle:
    id: str
    title: str


@dataclass(frozen=True)
class ArticleView:
    id: str
    title: str
    title_html: Markup
    paragraphs_html: list[Markup]
    body: str
    date: str | None
    author: str | None
    category: str | None
    source_url: str | None
    tags: list[str]
    related: list[RelatedArticle]


def _filter(params: SearchParams) -> Query | None:
    parts: list[Query] = []
    for name in ("category", "author", "year"):
        value = getattr(params, name)
        if value:
            parts.append(Term(name, value))
    if params.date_from or params.date_to:
        parts.append(TermRange("date", params.date_from, params.date_to))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else And(parts)


_UNDATED_LAST = b"9999-99-99"


def _sort_facet(sort: str):
    if sort == "newest":
        return sorting.FieldFacet("date", reverse=True)
    if sort == "oldest":
        return sorting.TranslateFacet(lambda v: v or _UNDATED_LAST, sorting.FieldFacet("date"))
    return None


SUGGEST_FROM = 3
"""Diacritics are restored from the text of this many best matches."""


SUGGEST_CHARS = 3000
"""Of each best match's body, how much diacritics are restored from: a query's words
that an article holds at all stand in its first pages."""


def _title_and_body(hit) -> tuple[str, str]:
    stored = hit.fields()
    return stored.get("title", ""), stored.get("body", "")[:SUGGEST_CHARS]


_WANTED_PHRASE = re.compile(r'(?<!-)"([^"]*)(?:"|$)')


def _unquoted(q: str) -> str:
    """The query with its wanted phrases as plain words (excluded ones stay phrases)."""
    return _WANTED_PHRASE.sub(lambda m: f" {m.group(1)} ", q)


def _titles(reader):
    """The reader's title column, opened once (opening it reads its index, ~10 ms)."""
    cache = reader.__dict__
    if "_vnsearch_titles" not in cache:
        cache["_vnsearch_titles"] = reader.column_reader("title_column")
    return cache["_vnsearch_titles"]


def _restored(text: str, texts: list[str]) -> str | None:
    """``text`` with the diacritics it lacks restored from ``texts``, or None if unchanged."""
    words = suggestable_syllables(text)
    if not words:
        return None
    keys = [folded_match_form(w) for _, w in words]
    restored = restore_from_texts(keys, texts)
    final = [match_form(word) if has_diacritics(word) else (form or key)
             for (_, word), key, form in zip(words, keys, restored)]
    suggestion = restore_text(text, [span for span, _ in words], final)
    return suggestion if suggestion.lower() != text.lower() else None


def _paragraphs(body: str, spans: list[tuple[int, int]]) -> list[Markup]:
    """The body's paragraphs, each with the marks found in the whole body (so a word's
    spelling is chosen once per article, not per paragraph)."""
    out = []
    pos = 0
    for paragraph in body.split("\n\n"):
        start, end = pos, pos + len(paragraph)
        pos = end + 2
        if not paragraph.strip():
            continue
        inside = [(max(s, start) - start, min(e, end) - start) for s, e in spans
                  if s < end and e > start]
        out.append(mark(paragraph, inside))
    return out


class ArchiveSearcher:
    """A long-lived view of the live index that picks up new commits and rebuilds by itself.

    Whoosh searchers are not meant to be shared between threads, so calls are serialized;
    a server gets parallelism from worker processes, each with its own ArchiveSearcher.
    """

    def __init__(self, index_root: Path, time_limit: float = TIME_LIMIT_SECONDS,
                 archive_root: Path | None = None):
        self.index_root = Path(index_root)
        self.time_limit = time_limit
        self.abbreviations = AbbreviationSource(archive_root)
        self._lock = threading.RLock()
        self._index = None
        self._searcher = None
        self._generation_dir: Path | None = None
        self._checked = 0.0

    # -- index lifecycle -------------------------------------------------------------------
    def _fresh(self):
        """The searcher of the live index, reopened when a run changed it.

        That the live index still exists is checked on every call (one ``readlink``); new
        commits at most once a second. When the index is gone or cannot be opened, the old
        searcher is dropped rather than kept: it would answer from files being deleted
        (500s) and call itself healthy. Every call then raises ``IndexMissing`` (a 503) and
        tries again, so the site recovers without a restart once an index exists again.
        """
        live = current_dir(self.index_root)
        if live is None:
            self._drop()
            raise IndexMissing.absent(self.index_root)
        now = time.monotonic()
        if (self._searcher is not None and live == self._generation_dir
                and now - self._checked < REFRESH_INTERVAL_SECONDS):
            return self._searcher
        self._checked = now
        try:
            if (self._searcher is None or live != self._generation_dir
                    or not self._searcher.up_to_date()):
                # Reopen rather than Searcher.refresh(): whoosh3's refresh reuses the old
                # reader of every segment whose id did not change, with its old deletions,
                # so articles deleted or replaced by an incremental run stayed visible.
                self._open(live)
        except IndexMissing:
            self._drop()
            raise
        except OSError as err:  # the index's files vanishing while it is read
            self._drop()
            raise IndexMissing.unreadable(self.index_root, err.strerror or err) from err
        return self._searcher

    def _open(self, live: Path | None) -> None:
        index = open_current(self.index_root)
        weighting = ListedLengthBM25F(**BM25)
        searcher = index.searcher(weighting=weighting)
        if self._searcher is not None:
            self._searcher.close()
        self._index, self._searcher, self._generation_dir = index, searcher, live

    def _drop(self) -> None:
        """Forget the open index; closing may fail when its files are already gone."""
        if self._searcher is not None:
            try:
                self._searcher.close()
            except OSError:
                pass
        self._index = self._searcher = self._generation_dir = None

    def close(self) -> None:
        with self._lock:
            self._drop()

    def info(self) -> dict:
        """Document count and last reindex time, for health checks and the home page."""
        with self._lock:
            searcher = self._fresh()
            live = self._generation_dir
            toc_times = [p.stat().st_mtime for p in live.glob("_MAIN_*.toc")] if live else []
            return {
                "documents": searcher.doc_count(),
                "last_reindex": max(toc_times) if toc_times else None,
                "generation": live.name if live else None,
            }

    # -- searching -------------------------------------------------------------------------
    def plan(self, searcher, q: str, spell: bool = True) -> QueryPlan:
        """The query read against the live index's vocabulary and the abbreviations;
        corrections may take a share of the time budget, the search keeps the rest."""
        return build_plan(q, Vocabulary(searcher.reader()), self.abbreviations.current(),
                          correct=spell,
                          deadline=time.monotonic() + self.time_limit * SPELLING_SHARE)

    def search(self, params: SearchParams, *, facets: bool = True,
               snippets: bool = True, suggest: bool = True) -> SearchResults:
        started = time.perf_counter()
        params = params.bounded()
        deadline = time.monotonic() + self.time_limit
        with self._lock:
            searcher = self._fresh()
            with intersect.deadline(deadline):
                plan = self.plan(searcher, params.q, params.spell)
                results = SearchResults(params=params, truncated=plan.parsed.truncated)
                browsing = plan.is_empty and _filter(params) is not None
                if plan.is_empty and not browsing:
                    results.took_ms = (time.perf_counter() - started) * 1000
                    return results
                if browsing and params.sort == "relevance":
                    params = replace(params, sort="newest")
                    results.params = params

                results.expansions = [(typed, list(forms)) for typed, forms in plan.expansions]
                texts = self._run(searcher, plan, params, facets, snippets, results, deadline,
                                  browsing)
                if not results.total and not results.timed_out and any(
                        read.unit.phrase for read in plan.units):
                    # No article holds the phrase: its words, as plain words, rather than
                    # nothing (a title typed with its own quotation marks, say).
                    plan = self.plan(searcher, _unquoted(params.q), params.spell)
                    texts = self._run(searcher, plan, params, facets, snippets, results,
                                      deadline, browsing)
                    results.relaxed = bool(results.total)
                if plan.corrected:
                    corrected = plan.corrected_text()
                    results.corrected = _restored(corrected, texts) or corrected
                elif suggest and not browsing:
                    results.suggestion = self._suggestion(plan, results, texts)
        results.took_ms = (time.perf_counter() - started) * 1000
        return results

    def _run(self, searcher, plan: QueryPlan, params: SearchParams, facets: bool,
             snippets: bool, results: SearchResults, deadline: float, browsing: bool
             ) -> list[str]:
        """Match, rank and present one page; returns the best hits' texts for suggestions.

        Ranking is done once, to a depth that does not depend on the page asked for (only
        a later page can ask for more): every match appears on exactly one page."""
        limit = params.page * params.per_page
        ranked_by_relevance = not browsing and params.sort == "relevance"
        depth = max(limit, RERANK_DEPTH) if ranked_by_relevance else limit
        facet_names = FACETS if facets else ()
        remaining = lambda: deadline - time.monotonic()  # noqa: E731
        if browsing:
            found = engine.collect(searcher, Every(), depth=depth,
                                   sortedby=_sort_facet(params.sort),
                                   filter_query=_filter(params), facets=facet_names,
                                   deadline_seconds=remaining())
        else:
            found = engine.match(searcher, plan, depth=depth,
                                 sortedby=None if ranked_by_relevance else _sort_facet(params.sort),
                                 filter_query=_filter(params), facets=facet_names,
                                 deadline_seconds=remaining)
        results.total, results.timed_out = found.total, found.timed_out
        results.relaxed = bool(found.total) and not found.complete
        if found.groups and results.total:
            results.facets = {
                name: sorted((FacetValue(str(v), n) for v, n in found.groups[name].items()
                              if v not in (None, "")),
                             key=lambda f: (-f.count, f.value))[:FACET_LIMIT]
                for name in FACETS
            }
        if ranked_by_relevance:
            column = _titles(searcher.reader())
            titles = [column[hit.docnum].decode("utf-8") for hit in found.hits[:RERANK_DEPTH]]
            ranked = rerank(found.hits, titles, plan)
        else:
            ranked = [(hit, hit.score or 0.0) for hit in found.hits]
        start = (params.page - 1) * params.per_page
        marks = marks_for(plan)
        results.hits = [self._hit(hit, score, rank, marks, snippets, params)
                        for rank, (hit, score) in enumerate(ranked[start:limit], start=start + 1)]
        return [text for hit, _ in ranked[:SUGGEST_FROM] for text in _title_and_body(hit)]

    @staticmethod
    def _hit(hit, score: float, rank: int, marks: Marks, snippets: bool,
             params: SearchParams) -> Hit:
        stored = hit.fields()
        title = stored.get("title", "")
        body = stored.get("body", "")
        text, snippet_marks, title_marks = "", [], []
        if snippets:
            text, snippet_marks = snippet_spans(body, find_spans(body, marks))
            title_marks = find_spans(title, marks)
        return Hit(
            id=stored["id"], title=title, title_spans=title_marks, snippet_text=text,
            snippet_spans=snippet_marks, date=stored.get("date"), category=stored.get("category"),
            author=stored.get("author"), source_url=stored.get("source_url"),
            score=float(score) if params.sort == "relevance" else 0.0, rank=rank,
        )

    @staticmethod
    def _suggestion(plan: QueryPlan, results: SearchResults, texts: list[str]) -> str | None:
        """Restore missing diacritics from the best matches' own text (a query typed with
        marks is left as it is, unless it found little).

        Syllables the user typed with marks are kept; field names ("title:") and excluded
        words are never touched.
        """
        thin = results.total == 0 or results.relaxed
        if plan.parsed.accented and not thin:
            return None
        return _restored(plan.text, texts)

    # -- articles --------------------------------------------------------------------------
    def article(self, article_id: str, q: str = "", related: int = 5) -> ArticleView | None:
        with self._lock:
            searcher = self._fresh()
            docnum = searcher.document_number(id=article_id)
            if docnum is None:
                return None
            marks = marks_for(self.plan(searcher, q))
            stored = searcher.stored_fields(docnum)
            similar = self._related(searcher, docnum, stored, related) if related else []
        title, body = stored.get("title", ""), stored.get("body", "")
        return ArticleView(
            id=article_id,
            title=title,
            title_html=mark(title, find_spans(title, marks)),
            paragraphs_html=_paragraphs(body, find_spans(body, marks)),
            body=body,
            date=stored.get("date"),
            author=stored.get("author"),
            category=stored.get("category"),
            source_url=stored.get("source_url"),
            tags=list(stored.get("tags") or []),
            related=similar,
        )

    def _related(self, searcher, docnum, stored, top) -> list[RelatedArticle]:
        text = stored.get("title", "") + SECTION_BREAK + stored.get("body", "")
        found = searcher.more_like(docnum, "syl", text=text, top=top, numterms=20)
        return [RelatedArticle(hit["id"], hit["title"]) for hit in found]

    def ids(self) -> set[str]:
        with self._lock:
            reader = self._fresh().reader()
            column = reader.column_reader("id")
            return {column[d] for d in reader.all_doc_ids()}


__all__ = [
    "ArchiveSearcher", "ArticleView", "FacetValue", "Hit", "IndexIncompatible", "IndexMissing",
    "RelatedArticle", "SearchParams", "SearchResults", "MAX_PER_PAGE", "MAX_PAGE",
    "MAX_QUERY_CHARS",
]
