"""Search the index: parse, match, rank, page, facet, highlight and suggest.

Matching is all-of first and as precise as the user was: with diacritics typed, every
syllable must match exactly ("đường" ≠ "dương"); if that finds nothing, the folded form;
if that finds nothing either, any of the words, ranked by how many match (a coordination
bonus). Within the matching articles, compounds (adjacent syllables found as one pyvi word)
and title matches add to the score, so they decide among full-coverage articles instead of
letting a short headline with one query word outrank the article that has them all.

Returns plain data classes: callers never touch Whoosh objects.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field, replace
from itertools import islice
from pathlib import Path

from markupsafe import Markup
from whoosh import sorting
from whoosh.collectors import TimeLimit, TimeLimitCollector
from whoosh.query import And, AndMaybe, Every, Or, Query, Term, TermRange

from . import arraysearch, intersect, termcache  # noqa: F401  (termcache: remembers lookups)
from .analysis import (
    fold,
    folded_match_form,
    has_diacritics,
    match_form,
    ngrams,
    pair_term,
    SECTION_BREAK,
)
from .bm25 import ListedLengthBM25F
from .highlight import find_spans, mark, snippet
from .intersect import ChainAnd, ChainPhrase, DrivenOr, ExactAndNot, PairPhrase
from .location import IndexIncompatible, IndexMissing, current_dir, open_current
from .query import MAX_QUERY_CHARS, ParsedQuery, Unit, parse
from .rerank import rerank
from .suggest import correct_typos, restore_from_texts, restore_text, suggestable_syllables

MAX_PER_PAGE = 50
MAX_PAGE = 500
DEFAULT_PER_PAGE = 10
SORTS = ("relevance", "newest", "oldest")
FACETS = ("category", "year", "author")
FACET_LIMIT = 30
"""Facet values returned per facet, most frequent first (an archive can have thousands of authors)."""
TIME_LIMIT_SECONDS = 3.0
REFRESH_INTERVAL_SECONDS = 1.0

# Ranking weights (tuned on the public evaluation set; see README "Relevance").
WEIGHTS = {
    "syl": 1.0,
    "fold": 1.0,
    "pair": 1.0,
    "word": 0.75,
    "wfold": 0.75,
    "tsyl": 1.0,
    "tfold": 1.0,
    "exact_bonus": 0.5,
    "coord": 0.9,
}
"""Per-field weights of the first stage. Titles add no per-term weight here: a title that
merely shares query words would outrank the article that has them all (keyword queries
lost 0.03-0.05 MRR@10 with any title weight); ``rerank.py`` rewards near-complete title
matches instead. ``tsyl``/``tfold`` only score ``title:`` searches."""
BM25 = {"B": 0.75, "K1": 1.2}


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
        )


@dataclass(frozen=True)
class Hit:
    id: str
    title: str
    title_html: Markup
    snippet_html: Markup
    snippet_text: str
    date: str | None
    category: str | None
    author: str | None
    source_url: str | None
    score: float
    rank: int


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


def _weighted(fieldname: str, text: str, weight_key: str | None = None) -> Term:
    return Term(fieldname, text, boost=WEIGHTS[weight_key or fieldname])


def _phrase(unit: Unit, fold_field: str) -> Query:
    """The folded phrase: its syllable pairs, confirmed in the text for longer phrases; for
    ``title:"..."``, positions in the (short) title."""
    words = list(unit.folded)
    if len(words) == 1:
        return _weighted(fold_field, words[0])
    if unit.title_only:
        return ChainPhrase(fold_field, words, boost=WEIGHTS[fold_field])
    if len(words) == 2:
        return _weighted("pair", pair_term(*words))
    return PairPhrase.of("pair", words, boost=WEIGHTS["pair"])


def _unit_match(unit: Unit, exact: bool) -> Query:
    """The part of the query an article must match for this unit.

    Phrases are matched on folded pairs (or folded title positions) only: a phrase typed
    with marks is the folded phrase plus each of its exact syllables, in any order.
    """
    syl, fold_field = ("tsyl", "tfold") if unit.title_only else ("syl", "fold")
    if unit.phrase:
        phrase = _phrase(unit, fold_field)
        if not exact:
            return phrase
        return ChainAnd([phrase] + [_weighted(syl, k) for k in unit.keys])
    fieldname, keys = (syl, unit.keys) if exact else (fold_field, unit.folded)
    terms = [_weighted(fieldname, k) for k in keys]
    return terms[0] if len(terms) == 1 else ChainAnd(terms)


def _unit_bonus(unit: Unit, accented: bool, exact: bool) -> list[Query]:
    """Evidence that only adds to the score: compounds, and exact spelling when matching
    folded forms of a query typed with marks."""
    if unit.phrase:
        return []
    if not accented:
        return [_weighted("wfold", g) for g in ngrams(list(unit.folded))]
    bonus = [_weighted("word", g) for g in ngrams(list(unit.keys))]
    if not exact:
        bonus += [_weighted("syl", k, "exact_bonus") for k in unit.keys]
    return bonus


def _exclusions(parsed: ParsedQuery) -> list[Query]:
    out = []
    for unit in parsed.excluded:
        exact = any(fold(k) != k for k in unit.keys)
        out.append(_unit_match(unit, exact))
    return out


def build_query(parsed: ParsedQuery, mode: str) -> Query:
    """``mode``: "exact" (all-of, diacritics as typed), "folded" (all-of), "relaxed" (any-of)."""
    exact = mode == "exact"
    groups: list[Query] = []
    bonus: list[Query] = []
    for group in parsed.required:
        if mode == "relaxed":
            for unit in group:
                if unit.phrase:
                    groups.append(_unit_match(unit, False))
                else:
                    groups.extend(_weighted("tfold" if unit.title_only else "fold", k)
                                  for k in unit.folded)
        else:
            alternatives = [_unit_match(unit, exact) for unit in group]
            groups.append(alternatives[0] if len(alternatives) == 1 else Or(alternatives))
        for unit in group:
            bonus += _unit_bonus(unit, parsed.accented, exact)
    if mode == "relaxed":
        required: Query = DrivenOr(groups, scale=WEIGHTS["coord"])
    else:
        required = groups[0] if len(groups) == 1 else ChainAnd(groups)
    query: Query = AndMaybe(required, Or(bonus)) if bonus else required
    excluded = _exclusions(parsed)
    if excluded:
        query = ExactAndNot(query, Or(excluded))
    return query


def _modes(parsed: ParsedQuery) -> list[str]:
    modes = ["exact", "folded"] if parsed.accented else ["folded"]
    return modes + ["relaxed"] if _relaxable(parsed) else modes


def _relaxable(parsed: ParsedQuery) -> bool:
    """Whether any-of can find what all-of did not: not for one phrase or one word (or a
    choice of them), which the any-of pass would only search for again."""
    return len(parsed.required) > 1 or any(
        not unit.phrase and len(unit.keys) > 1 for unit in parsed.required[0])


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


def _title_and_body(hit) -> tuple[str, str]:
    stored = hit.fields()
    return stored.get("title", ""), stored.get("body", "")


RERANK_DEPTH = 100
"""How many first-stage matches the second stage (``rerank.py``) re-scores."""


class ArchiveSearcher:
    """A long-lived view of the live index that picks up new commits and rebuilds by itself.

    Whoosh searchers are not meant to be shared between threads, so calls are serialized;
    a server gets parallelism from worker processes, each with its own ArchiveSearcher.
    """

    def __init__(self, index_root: Path, time_limit: float = TIME_LIMIT_SECONDS):
        self.index_root = Path(index_root)
        self.time_limit = time_limit
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
            raise IndexMissing(f"no index in {self.index_root}: run `vnsearch index` to build it")
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
            raise IndexMissing(f"the index in {self.index_root} cannot be read "
                               f"({err.strerror or err}): run `vnsearch index`") from err
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
    def search(self, params: SearchParams, *, facets: bool = True,
               snippets: bool = True, suggest: bool = True) -> SearchResults:
        started = time.perf_counter()
        params = params.bounded()
        parsed = parse(params.q)
        results = SearchResults(params=params, truncated=parsed.truncated)
        browsing = parsed.is_empty and _filter(params) is not None
        if parsed.is_empty and not browsing:
            results.took_ms = (time.perf_counter() - started) * 1000
            return results
        if browsing and params.sort == "relevance":
            params = replace(params, sort="newest")
            results.params = params
        deadline = time.monotonic() + self.time_limit
        with self._lock:
            searcher = self._fresh()
            texts: list[str] = []
            with intersect.deadline(deadline):
                for mode in (["browse"] if browsing else _modes(parsed)):
                    page, texts = self._run(searcher, parsed, mode, params, facets, snippets,
                                            results, deadline)
                    if results.total or results.timed_out:
                        results.relaxed = mode == "relaxed"
                        results.hits = page
                        break
            if suggest and not browsing:
                results.suggestion = self._suggestion(searcher, parsed, results, texts)
        results.took_ms = (time.perf_counter() - started) * 1000
        return results

    def _run(self, searcher, parsed, mode, params, facets, snippets, results, deadline
             ) -> tuple[list[Hit], list[str]]:
        """One matching pass: the page of hits, and the best hits' texts for suggestions.

        Queries of plain words, all-of or any-of, are matched and scored over posting
        arrays (``arraysearch``); everything else goes through Whoosh's matcher tree.
        """
        query = Every() if mode == "browse" else build_query(parsed, mode)
        limit = params.page * params.per_page
        reranked = mode != "browse" and params.sort == "relevance"
        depth = max(limit, RERANK_DEPTH) if reranked else limit
        found = None
        if reranked:
            found = arraysearch.search(searcher, query, _filter(params), depth,
                                       FACETS if facets else ())
        if found is not None:
            results.total, candidates, groups = found.total, found.hits, found.groups
        else:
            candidates, groups = self._collect(searcher, query, mode, params, facets, depth,
                                               results, deadline)
        if groups and results.total:
            results.facets = {
                name: sorted((FacetValue(str(v), n) for v, n in groups[name].items()
                              if v not in (None, "")),
                             key=lambda f: (-f.count, f.value))[:FACET_LIMIT]
                for name in FACETS
            }
        start = (params.page - 1) * params.per_page
        if reranked:
            column = searcher.reader().column_reader("title_column")
            titles = [column[hit.docnum].decode("utf-8") for hit in candidates]
            ranked = rerank(candidates, titles, parsed, relaxed=mode == "relaxed")
        else:
            ranked = [(hit, hit.score or 0.0) for hit in candidates]
        hits = []
        texts = [text for hit, _ in ranked[:SUGGEST_FROM] for text in _title_and_body(hit)]
        keys, phrases = parsed.highlight_terms()
        for rank, (hit, score) in enumerate(ranked[start:limit], start=start + 1):
            stored = hit.fields()
            title = stored.get("title", "")
            body = stored.get("body", "")
            if snippets:
                html, text = snippet(body, find_spans(body, keys, parsed.accented, phrases))
                title_html = mark(title, find_spans(title, keys, parsed.accented, phrases))
            else:
                html, text, title_html = Markup(""), "", Markup("")
            hits.append(Hit(
                id=stored["id"], title=title, title_html=title_html, snippet_html=html,
                snippet_text=text, date=stored.get("date"), category=stored.get("category"),
                author=stored.get("author"), source_url=stored.get("source_url"),
                score=float(score) if params.sort == "relevance" else 0.0,
                rank=rank,
            ))
        return hits, texts

    def _collect(self, searcher, query, mode, params, facets, depth, results, deadline
                 ) -> tuple[list, dict[str, dict]]:
        """Whoosh's matcher tree: the best ``depth`` hits and, with facets, their counts.

        The exact total comes free when facets are counted (every match is visited then);
        without facets an estimate avoids running the query a second time.
        """
        groupedby = None
        if facets:
            groupedby = {name: sorting.FieldFacet(name, maptype=sorting.Count) for name in FACETS}
        # optimize=False: Whoosh's block-quality skipping re-plans the matcher tree every
        # few documents; on our chained intersections that made top-N searches 4-5x slower
        # (eval p50 on 50,000 articles 162 -> 31 ms) than simply scoring every match.
        collector = searcher.collector(
            limit=depth,
            sortedby=_sort_facet(params.sort), groupedby=groupedby, filter=_filter(params),
            terms=mode == "relaxed" and params.sort == "relevance", optimize=False,
        )
        # No SIGALRM: Whoosh's alarm raises TimeLimit wherever the code happens to be,
        # even inside a postings read, which then surfaces as a CorruptIndexError.
        timed = TimeLimitCollector(collector, timelimit=max(0.05, deadline - time.monotonic()),
                                   use_alarm=False)
        try:
            searcher.search_with_collector(query, timed)
        except TimeLimit:
            results.timed_out = True
        found = timed.results()
        collected = found.scored_length()
        if results.timed_out or (not facets and collected < depth):
            results.total = collected
        else:
            results.total = len(found) if facets else max(collected, found.estimated_length())
        groups = {name: found.groups(name) for name in FACETS} if facets and results.total else {}
        # With facets every match was collected: only the best are ranked, as without.
        return list(islice(found, depth)), groups

    def _suggestion(self, searcher, parsed: ParsedQuery, results: SearchResults,
                    texts: list[str]) -> str | None:
        """Restore missing diacritics, or fix typos when the query found little.

        Syllables the user typed with marks are kept unless they are unknown to the archive;
        field names ("title:") are never touched.
        """
        thin = results.total == 0 or results.relaxed
        if parsed.accented and not thin:
            return None
        words = suggestable_syllables(parsed.text)
        if not words:
            return None
        keys = [folded_match_form(w) for _, w in words]
        corrected = correct_typos(searcher.reader(), keys) if thin else keys
        if corrected != keys:
            texts = self._texts_matching(searcher, corrected)
        restored = restore_from_texts(corrected, texts)
        final = [
            match_form(word) if has_diacritics(word) and new_key == key else (form or new_key)
            for (_, word), key, new_key, form in zip(words, keys, corrected, restored)
        ]
        suggestion = restore_text(parsed.text, [span for span, _ in words], final)
        return suggestion if suggestion.lower() != parsed.text.lower() else None

    def _texts_matching(self, searcher, folded_keys: list[str]) -> list[str]:
        """Title and body of the best matches for a corrected query, to restore it from."""
        query = build_query(parse(" ".join(folded_keys)), "folded")
        found = searcher.search(query, limit=SUGGEST_FROM)
        return [text for hit in found for text in _title_and_body(hit)]

    # -- articles --------------------------------------------------------------------------
    def article(self, article_id: str, q: str = "", related: int = 5) -> ArticleView | None:
        parsed = parse(q)
        keys, phrases = parsed.highlight_terms()
        with self._lock:
            searcher = self._fresh()
            docnum = searcher.document_number(id=article_id)
            if docnum is None:
                return None
            stored = searcher.stored_fields(docnum)
            similar = self._related(searcher, docnum, stored, related) if related else []
        title, body = stored.get("title", ""), stored.get("body", "")
        paragraphs = [p for p in body.split("\n\n") if p.strip()]
        return ArticleView(
            id=article_id,
            title=title,
            title_html=mark(title, find_spans(title, keys, parsed.accented, phrases)),
            paragraphs_html=[mark(p, find_spans(p, keys, parsed.accented, phrases))
                             for p in paragraphs],
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
    "RelatedArticle", "SearchParams", "SearchResults", "build_query", "MAX_PER_PAGE", "MAX_PAGE",
    "MAX_QUERY_CHARS",
]
