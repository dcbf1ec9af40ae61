"""Queries of plain words matched and scored over whole posting lists at once, with numpy.

Whoosh finds and scores matches one document at a time, through a tree of Python
matchers. A headline typed without marks is five to fifteen common syllables and can
match thousands of articles (13,239 for one public query), so most of the slowest
queries' time went into moving and scoring matchers. For the common query shape (every
word required, compounds and exact spellings only adding to the score) this module
intersects the words' posting lists as sorted arrays, scores every match with the same
BM25F formula in a few vector operations and counts facets with ``bincount``. Matches,
scores and order equal Whoosh's (the tests compare them); exclusions of words (or of
two-word phrases, one syllable-pair term) drop the matches holding them. Every other
shape (longer phrases, sorting by date) stays with Whoosh.

For all-of queries the rarest word's postings are the candidates; each other word keeps
those it holds. Decoding a long posting list costs about half a microsecond per posting
(zlib and unpickling per block of 128), more than intersecting it, so decoded lists of
common words are kept in a bounded least-recently-used cache per process (a segment
never changes once written, so an entry stays valid for as long as its segment exists).
A long list that is not cached, asked about fewer candidates than it has blocks, is
probed by skipping instead, which decodes only the blocks that hold a candidate.

Any-of queries (``OR``, and ``DrivenOr``, the fallback when no article has every word)
take the union of their (driving) words' postings as candidates and score them as
Whoosh's union with its coordination factor. Whoosh recounts that factor over the words
left each time a word's postings run out in the middle of a search, so its scores there
depend on document order; here every document is scored against every word of its
segment, as Whoosh scores a document its matcher is moved to.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np
from whoosh import scoring
from whoosh.query import AndMaybe, Or, Query, Term

from .bm25 import field_lengths
from .intersect import ChainAnd, DrivenOr, ExactAndNot, drivers

POSTINGS_PER_BLOCK = 128
"""Whoosh's posting block size (its codec's default, which the index is written with)."""
CACHE_MIN_POSTINGS = 512
"""Shorter posting lists (four blocks or fewer) decode about as fast as a cache lookup."""
CACHE_BYTES = 64 * 1024 * 1024
"""Decoded posting lists kept per process: about 22 million postings, more than all the
common words of the public evaluation queries on 79,147 articles need."""


class ArrayHit:
    """One match found here, with the small part of Whoosh's ``Hit`` that callers use;
    like it, reads the stored fields once (ranking, the page and suggestions all ask)."""

    __slots__ = ("searcher", "docnum", "score", "_fields", "_matched")

    def __init__(self, searcher, docnum: int, score: float,
                 matched: list[tuple[str, bytes]] | None = None):
        self.searcher, self.docnum, self.score = searcher, docnum, score
        self._fields: dict | None = None
        self._matched = matched

    def fields(self) -> dict:
        if self._fields is None:
            self._fields = self.searcher.stored_fields(self.docnum)
        return self._fields

    def matched_terms(self) -> list[tuple[str, bytes]]:
        """The query's terms this document holds (Whoosh's, with ``terms=True``); known
        for any-of matches, whose ranking counts them."""
        if self._matched is None:
            raise ValueError("matched terms are kept for any-of queries only")
        return self._matched


@dataclass
class ArrayResults:
    total: int
    hits: list[ArrayHit]
    groups: dict[str, dict[str, int]]


class _Compact:
    """A decoded posting list in about three bytes per posting: the gaps between ids
    (two bytes while they fit) and the weights (term counts, one byte while they fit).
    Rebuilding the ids costs one ``cumsum``, a few microseconds per thousand postings."""

    __slots__ = ("first", "gaps", "weights")

    def __init__(self, ids: np.ndarray, weights: np.ndarray):
        self.first = int(ids[0]) if len(ids) else 0
        gaps = np.diff(ids)
        self.gaps = gaps.astype(np.uint16) if len(gaps) and gaps.max() <= 0xFFFF else gaps
        self.weights = _narrowest(weights)

    @property
    def nbytes(self) -> int:
        return self.gaps.nbytes + self.weights.nbytes

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        ids = np.empty(len(self.weights), dtype=np.int32)
        if len(ids):
            ids[0] = self.first
            np.cumsum(self.gaps, dtype=np.int32, out=ids[1:])
            ids[1:] += self.first
        return ids, self.weights


def _narrowest(weights: np.ndarray) -> np.ndarray:
    if len(weights) and np.array_equal(weights, np.floor(weights)) and weights.min() >= 0:
        for dtype in (np.uint8, np.uint16):
            if weights.max() <= np.iinfo(dtype).max:
                return weights.astype(dtype)
    return weights


class _PostingCache:
    """Decoded posting lists by (segment, field, term), least recently used out first.

    One per process, shared by every searcher in it (a threaded server, the tests)."""

    def __init__(self, budget: int):
        self.budget = budget
        self.used = 0
        self._entries: OrderedDict[tuple, _Compact] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> _Compact | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def __contains__(self, key: tuple) -> bool:
        return key in self._entries

    def put(self, key: tuple, value: _Compact) -> None:
        with self._lock:
            if value.nbytes > self.budget or key in self._entries:
                return
            self._entries[key] = value
            self.used += value.nbytes
            while self.used > self.budget:
                _, dropped = self._entries.popitem(last=False)
                self.used -= dropped.nbytes


_CACHE = _PostingCache(CACHE_BYTES)


def _decode(leaf) -> tuple[np.ndarray, np.ndarray]:
    """Every id and weight of a whoosh3 posting list, block by block."""
    ids: list[int] = []
    weights: list[float] = []
    while True:
        leaf._read_ids()
        leaf._read_weights()
        ids.extend(leaf._ids)
        weights.extend(leaf._weights)
        if leaf._lastblock:
            break
        leaf._goto(leaf._nextoffset)
    return np.array(ids, dtype=np.int32), np.array(weights, dtype=np.float32)


def _leaf(reader, fieldname: str, text: bytes):
    """The term's whoosh3 posting matcher at its first posting, deleted documents included.

    The deleted-documents filter Whoosh wraps it in has already moved it past the deleted
    documents at the start, possibly whole blocks: unwrapped, it is reset."""
    matcher = reader.postings(fieldname, text)
    if hasattr(matcher, "child"):
        matcher = matcher.child
        matcher.reset()
    return matcher


def _cache_key(reader, fieldname: str, text: bytes) -> tuple:
    return reader.segment().segment_id(), fieldname, text


def _postings(reader, fieldname: str, text: bytes, frequency: int
              ) -> tuple[np.ndarray, np.ndarray]:
    """The segment's postings of one term, deleted documents included."""
    key = _cache_key(reader, fieldname, text)
    found = _CACHE.get(key)
    if found is not None:
        return found.arrays()
    ids, weights = _decode(_leaf(reader, fieldname, text))
    if frequency >= CACHE_MIN_POSTINGS:
        _CACHE.put(key, _Compact(ids, weights))
    return ids, weights


def _probe(leaf, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which of ``docs`` (ascending) the posting list holds, and the weights there, by
    skipping: only the blocks holding a candidate are decoded."""
    present = np.zeros(len(docs), dtype=bool)
    weights = np.zeros(len(docs), dtype=np.float32)
    for i, doc in enumerate(docs.tolist()):
        leaf.skip_to(doc)
        if not leaf.is_active():
            break
        if leaf.id() == doc:
            present[i] = True
            weights[i] = leaf.weight()
    return present, weights


def _lookup(reader, fieldname: str, text: bytes, docs: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray]:
    """Which of ``docs`` hold the term, and its weight in each of them.

    A cached list answers at once. Otherwise, with fewer candidates than the list has
    blocks, skipping to each candidate decodes at most one block per candidate; with more,
    decoding the whole list costs about the same and keeps it for the next query."""
    frequency = reader.doc_frequency(fieldname, text)
    if not frequency or not len(docs):
        return np.zeros(len(docs), dtype=bool), np.zeros(len(docs), dtype=np.float32)
    if (_cache_key(reader, fieldname, text) not in _CACHE
            and len(docs) * POSTINGS_PER_BLOCK < frequency):
        return _probe(_leaf(reader, fieldname, text), docs)
    return _weights_at(*_postings(reader, fieldname, text, frequency), docs)


def _weights_at(ids: np.ndarray, weights: np.ndarray, docs: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """Which of ``docs`` a decoded posting list holds, and its weights there."""
    where = np.searchsorted(ids, docs)
    present = _contains(ids, docs, where)
    found = np.zeros(len(docs), dtype=np.float32)
    found[present] = weights[where[present]]
    return present, found


def _flatten_all_of(query: Query) -> list[Term] | None:
    if type(query) is Term:
        return [query]
    if type(query) is ChainAnd and query.boost == 1.0:
        terms: list[Term] = []
        for sub in query.subqueries:
            inner = _flatten_all_of(sub)
            if inner is None:
                return None
            terms.extend(inner)
        return terms
    return None


@dataclass(frozen=True)
class Plan:
    """What a query asks of the arrays: every one of ``terms``, or (with ``any_of``) any
    of them, as ``DrivenOr`` (``driven``) or Whoosh's ``Or`` with coordination ``scale``
    match; ``bonus`` terms only add to the score."""

    terms: list[Term]
    bonus: list[Term]
    any_of: bool = False
    driven: bool = False
    scale: float | None = None
    excluded: tuple[tuple[Term, ...], ...] = ()
    """Matches holding every term of any of these are dropped."""


def _plain_terms(query: Query) -> list[Term] | None:
    subs = query.subqueries
    return list(subs) if subs and all(type(t) is Term for t in subs) else None


def _exclusions(query: Query) -> tuple[tuple[Term, ...], ...] | None:
    subs = query.subqueries if type(query) is Or else [query]
    groups = [_flatten_all_of(sub) for sub in subs]
    return None if any(g is None for g in groups) else tuple(tuple(g) for g in groups)


def plan(query: Query) -> Plan | None:
    """The query as a ``Plan`` when it has a shape handled here, else None."""
    if type(query) is ExactAndNot:
        excluded = _exclusions(query.b)
        positive = plan(query.a)
        if excluded is None or positive is None or positive.excluded:
            return None
        return replace(positive, excluded=positive.excluded + excluded)
    bonus: list[Term] = []
    if type(query) is AndMaybe:
        optional = query.b
        subs = optional.subqueries if type(optional) is Or else [optional]
        if not all(type(t) is Term for t in subs) or (type(optional) is Or and optional.scale):
            return None
        query, bonus = query.a, list(subs)
    if type(query) in (Or, DrivenOr) and query.boost == 1.0:
        terms = _plain_terms(query)
        if terms is None:
            return None
        return Plan(terms, bonus, any_of=True, driven=type(query) is DrivenOr,
                    scale=query.scale)
    required = _flatten_all_of(query)
    return Plan(required, bonus) if required else None


def _term_bytes(searcher, term: Term) -> bytes:
    return searcher.schema[term.fieldname].to_bytes(term.text)


def _scores(searcher, subsearcher, term: Term, tbytes: bytes, weights: np.ndarray,
            docs: np.ndarray) -> np.ndarray | None:
    """BM25F of the term in ``docs`` (segment numbers), given its weights there; None if
    the weighting is not the BM25F this module reproduces."""
    scorer = searcher.weighting.scorer(subsearcher, term.fieldname, tbytes)
    if not isinstance(scorer, scoring.BM25FScorer):
        return None
    lengths = field_lengths(subsearcher.reader(), term.fieldname)
    if lengths is None:
        return None
    fl = _lengths_array(subsearcher.reader(), term.fieldname, lengths)[docs]
    tf = weights.astype(np.float64)
    K1, B = scorer.K1, scorer.B
    bm25 = scorer.idf * ((tf * (K1 + 1)) / (tf + K1 * ((1 - B) + B * fl / scorer.avgfl)))
    return bm25 * term.boost if term.boost != 1.0 else bm25


def _lengths_array(reader, fieldname: str, lengths: list[int]) -> np.ndarray:
    cache = reader.__dict__.setdefault("_vnsearch_length_arrays", {})
    if fieldname not in cache:
        cache[fieldname] = np.asarray(lengths, dtype=np.float64)
    return cache[fieldname]


def _live_mask(reader) -> np.ndarray | None:
    deleted = reader.deleted_docs_set
    if not deleted:
        return None
    cache = reader.__dict__
    if "_vnsearch_live" not in cache:
        live = np.ones(reader.doc_count_all(), dtype=bool)
        live[np.fromiter(deleted, dtype=np.int64)] = False
        cache["_vnsearch_live"] = live
    return cache["_vnsearch_live"]


def _facet_column(reader, name: str) -> tuple[np.ndarray, list]:
    """Each document's value of a sortable field as an index into a list of values."""
    cache = reader.__dict__.setdefault("_vnsearch_facets", {})
    if name not in cache:
        index: dict = {}
        column = reader.column_reader(name)
        ordinals = np.fromiter((index.setdefault(column[d], len(index))
                                for d in range(reader.doc_count_all())),
                               dtype=np.int32, count=reader.doc_count_all())
        cache[name] = (ordinals, list(index))
    return cache[name]


_Presence = list[tuple[str, bytes, np.ndarray]]
"""Per query term (field, text): which of a segment's matches hold it."""


def _keep(reader, docs: np.ndarray, offset: int, allowed: np.ndarray | None) -> np.ndarray:
    """Which of ``docs`` (segment numbers) are live and let through by the filter."""
    live = _live_mask(reader)
    keep = np.ones(len(docs), dtype=bool) if live is None else live[docs]
    if allowed is not None:
        keep &= allowed[docs + offset]
    return keep


def _all_of(searcher, subsearcher, offset, terms_wanted, allowed):
    """(segment document numbers, their scores) of the documents holding every term, or
    None when a weighting or length column is not what arrays reproduce.

    The rarest term's postings are the candidates; each other term, rarest first, keeps
    those it holds."""
    reader = subsearcher.reader()
    terms = []
    for term in terms_wanted:
        tbytes = _term_bytes(searcher, term)
        frequency = reader.doc_frequency(term.fieldname, tbytes)
        if not frequency:
            return np.zeros(0, dtype=np.int32), np.zeros(0)
        terms.append((frequency, term, tbytes))
    terms.sort(key=lambda item: item[0])
    frequency, term, tbytes = terms[0]
    docs, weights = _postings(reader, term.fieldname, tbytes, frequency)
    keep = _keep(reader, docs, offset, allowed)
    docs, found = docs[keep], [(term, tbytes, weights[keep])]
    for _, term, tbytes in terms[1:]:
        present, weights = _lookup(reader, term.fieldname, tbytes, docs)
        docs = docs[present]
        found = [(t, b, w[present]) for t, b, w in found] + [(term, tbytes, weights[present])]
    total = np.zeros(len(docs))
    for term, tbytes, weights in found:
        scored = _scores(searcher, subsearcher, term, tbytes, weights, docs)
        if scored is None:
            return None
        total += scored
    return docs, total


def _any_of(searcher, subsearcher, offset, planned: Plan, allowed, presence: _Presence):
    """(segment document numbers, their scores) of the documents holding any of the terms
    (of a driving one, for ``DrivenOr``), scored as Whoosh's union and ``CoordMatcher``:
    the terms' scores summed, then ``(sum + (matching - 1) / (terms - scale) ** 2) *
    (terms - 1) / terms`` over the terms this segment holds. Which terms each match holds
    is added to ``presence``."""
    reader = subsearcher.reader()
    terms = [(term, _term_bytes(searcher, term)) for term in planned.terms]
    sizes = [reader.doc_frequency(term.fieldname, tbytes) for term, tbytes in terms]
    driving = drivers(sizes, reader.doc_count_all()) if planned.driven else range(len(terms))
    decoded = {i: _postings(reader, terms[i][0].fieldname, terms[i][1], sizes[i])
               for i in driving if sizes[i]}
    if not decoded:
        return np.zeros(0, dtype=np.int32), np.zeros(0)
    docs = np.unique(np.concatenate([ids for ids, _ in decoded.values()]))
    docs = docs[_keep(reader, docs, offset, allowed)]
    total = np.zeros(len(docs))
    matching = np.zeros(len(docs))
    for i, ((term, tbytes), size) in enumerate(zip(terms, sizes)):
        if not size:
            continue
        if i in decoded:
            present, weights = _weights_at(*decoded[i], docs)
        else:
            present, weights = _lookup(reader, term.fieldname, tbytes, docs)
        scored = _scores(searcher, subsearcher, term, tbytes, weights[present], docs[present])
        if scored is None:
            return None
        total[present] += scored
        matching += present
        presence.append((term.fieldname, tbytes, present))
    held = sum(1 for size in sizes if size)
    if planned.scale and held > 1 and held != planned.scale:
        total = (total + (matching - 1) / (held - planned.scale) ** 2) * ((held - 1) / held)
    return docs, total


def _holding_any(searcher, reader, groups, docs: np.ndarray) -> np.ndarray:
    """Which of ``docs`` hold every term of at least one of ``groups``."""
    held = np.zeros(len(docs), dtype=bool)
    for group in groups:
        holding = np.ones(len(docs), dtype=bool)
        for term in group:
            present, _ = _lookup(reader, term.fieldname, _term_bytes(searcher, term), docs)
            holding &= present
        held |= holding
    return held


def _segment_matches(searcher, subsearcher, offset, planned: Plan, allowed):
    """(segment document numbers, scores, which terms each holds or None) of the matches,
    or None when a weighting or length column is not what arrays reproduce."""
    presence: _Presence = []
    if planned.any_of:
        found = _any_of(searcher, subsearcher, offset, planned, allowed, presence)
    else:
        found = _all_of(searcher, subsearcher, offset, planned.terms, allowed)
    if found is None:
        return None
    docs, total = found
    reader = subsearcher.reader()
    if planned.excluded:
        keep = ~_holding_any(searcher, reader, planned.excluded, docs)
        docs, total = docs[keep], total[keep]
        presence[:] = [(field, text, present[keep]) for field, text, present in presence]
    for term in planned.bonus:
        tbytes = _term_bytes(searcher, term)
        present, weights = _lookup(reader, term.fieldname, tbytes, docs)
        if planned.any_of:
            presence.append((term.fieldname, tbytes, present))
        if not present.any():
            continue
        scored = _scores(searcher, subsearcher, term, tbytes, weights[present], docs[present])
        if scored is None:
            return None
        total[present] += scored
    return docs, total, (presence if planned.any_of else None)


def _contains(ids: np.ndarray, docs: np.ndarray, where: np.ndarray | None = None) -> np.ndarray:
    if where is None:
        where = np.searchsorted(ids, docs)
    inside = where < len(ids)
    found = np.zeros(len(docs), dtype=bool)
    found[inside] = ids[where[inside]] == docs[inside]
    return found


def _allowed_by(searcher, filter_query: Query | None) -> np.ndarray | None:
    """Which documents (index-wide numbers) the filter lets through."""
    if filter_query is None:
        return None
    allowed = np.zeros(searcher.doc_count_all(), dtype=bool)
    allowed[np.fromiter(searcher.docs_for_query(filter_query), dtype=np.int64)] = True
    return allowed


def search(searcher, query: Query, filter_query: Query | None, depth: int,
           facets: Iterable[str]) -> ArrayResults | None:
    """The best ``depth`` matches (score, then document number, as Whoosh orders them),
    the number of matches and the facet counts; None when the query has another shape."""
    planned = plan(query)
    if planned is None:
        return None
    allowed = _allowed_by(searcher, filter_query)
    all_docs, all_scores, presences = [], [], []
    groups: dict[str, dict] = {name: {} for name in facets}
    for subsearcher, offset in searcher.leaf_searchers():
        found = _segment_matches(searcher, subsearcher, offset, planned, allowed)
        if found is None:
            return None
        docs, scores, presence = found
        if not len(docs):
            continue
        for name, counts in groups.items():
            ordinals, values = _facet_column(subsearcher.reader(), name)
            per_value = np.bincount(ordinals[docs], minlength=len(values))
            for ordinal in np.flatnonzero(per_value):
                value = values[ordinal]
                counts[value] = counts.get(value, 0) + int(per_value[ordinal])
        all_docs.append(docs.astype(np.int64) + offset)
        all_scores.append(scores)
        presences.append(presence)
    if not all_docs:
        return ArrayResults(total=0, hits=[], groups=groups)
    docs, scores = np.concatenate(all_docs), np.concatenate(all_scores)
    chosen = np.arange(len(docs))
    if len(docs) > depth:
        keep = np.argpartition(-scores, depth - 1)[:depth]
        chosen = np.flatnonzero(scores >= scores[keep].min())
    order = chosen[np.lexsort((docs[chosen], -scores[chosen]))][:depth]
    starts = np.cumsum([0] + [len(d) for d in all_docs])
    hits = []
    for i in order.tolist():
        matched = None
        if planned.any_of:
            segment = int(np.searchsorted(starts, i, side="right")) - 1
            at = i - starts[segment]
            matched = [(field, text) for field, text, present in presences[segment]
                       if present[at]]
        hits.append(ArrayHit(searcher, int(docs[i]), float(scores[i]), matched))
    return ArrayResults(total=len(docs), hits=hits, groups=groups)
