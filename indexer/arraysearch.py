"""Queries of plain words matched and scored over whole posting lists at once, with numpy.

Whoosh finds and scores matches one document at a time, through a tree of Python
matchers. A headline typed without marks is five to fifteen common syllables and can
match thousands of articles (13,239 for one public query), so matching through Whoosh's
matchers is slow exactly where queries are most common. Here a query plan's words
(``Request``: slots, each with its alternatives) are matched over posting lists as sorted
arrays, every candidate is scored with the same BM25F formula as Whoosh's in a few vector
operations, and facets are counted with ``bincount``. With every slot required and one
alternative each, matches, scores and order equal Whoosh's (the tests compare them).
Every other shape (phrases, ``title:``, sorting by date) stays with Whoosh.

Candidates are found without walking common words: a document covering ``need`` of ``n``
slots holds one of any ``n - need + 1`` of them, so the union of the rarest slots'
postings holds every candidate; each other word is then looked up among those. Decoding
a long posting list costs about half a microsecond per posting (zlib and unpickling per
block of 128), more than intersecting it, so common words' lists are decoded once: at
index time into a file beside their segment (``sidecar``), which every server worker maps
and reads as arrays from its first query on, sharing one copy in the page cache; and for
a segment without one (written before sidecars, or by Whoosh itself), on first use into a
bounded least-recently-used cache per process (a segment never changes once written, so
an entry stays valid for as long as its segment exists). A long list that is not kept,
asked about fewer candidates than it has blocks, is probed by skipping instead, which
decodes only the blocks that hold a candidate.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from whoosh import scoring
from whoosh.query import Query, Term

from . import intersect, postingforms, sidecar, whoosh_internals
from .analysis import SECTION_BREAK, folded_match_form, phrase_pattern
from .bm25 import field_lengths
from .postingforms import Compact, Dense

POSTINGS_PER_BLOCK = 128
"""Whoosh's posting block size (its codec's default, which the index is written with)."""
CACHE_MIN_POSTINGS = postingforms.MIN_POSTINGS
"""Shorter posting lists (four blocks or fewer) are decoded at each use (see
``postingforms.MIN_POSTINGS``)."""
CACHE_BYTES = 256 * 1024 * 1024
"""Decoded posting lists kept per process: about 90 million postings. On 79,147 articles
every list of 512 postings or more in the fields searched (fold, syl, pair, word, wfold)
takes about 150 MB, so all of them fit. Below its working set a least-recently-used
cache thrashes: the public queries (plain and exact spellings, compounds, pairs) need
about 80 MB, and with 64 MB the second pass decoded 25,000 postings per query and ran
twice as slow as with everything kept."""
FREQUENCIES_KEPT = 100_000
"""Document frequencies remembered per segment (then it starts over)."""
EVIDENCE_DEPTH = 1000
"""Matches per segment whose compounds and written forms are looked up (a headline of
common words matches ten thousand articles; only the best few hundred are shown or
re-ranked)."""


class ArrayHit:
    """One match found here, with the small part of Whoosh's ``Hit`` that callers use;
    like it, reads the stored fields once (ranking, the page and suggestions all ask)."""

    __slots__ = ("searcher", "docnum", "score", "_fields")

    def __init__(self, searcher, docnum: int, score: float):
        self.searcher, self.docnum, self.score = searcher, docnum, score
        self._fields: dict | None = None

    def fields(self) -> dict:
        if self._fields is None:
            self._fields = self.searcher.stored_fields(self.docnum)
        return self._fields


@dataclass
class ArrayResults:
    total: int
    hits: list[ArrayHit]
    groups: dict[str, dict[str, int]]
    complete: int = 0
    """How many matches cover every slot of the request."""


class _PostingCache:
    """Decoded posting lists by (segment, field, term), least recently used out first.

    One per process, shared by every searcher in it (a threaded server, the tests)."""

    def __init__(self, budget: int):
        self.budget = budget
        self.used = 0
        self._entries: OrderedDict[tuple, Compact | Dense] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> Compact | Dense | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: tuple, value: Compact | Dense) -> None:
        with self._lock:
            if value.nbytes > self.budget or key in self._entries:
                return
            self._entries[key] = value
            self.used += value.nbytes
            while self.used > self.budget:
                _, dropped = self._entries.popitem(last=False)
                self.used -= dropped.nbytes


_CACHE = _PostingCache(CACHE_BYTES)

FREQUENCIES_MEMO, SIDECAR_MEMO, FACETS_MEMO = ("_vnsearch_frequencies", "_vnsearch_sidecar",
                                               "_vnsearch_facets")
"""What is kept in a segment reader's ``__dict__``: it depends on the segment's files
alone, never on its deletions, so a reopened index keeps it for the segments it still has
(``live``)."""
SEGMENT_MEMOS = (FREQUENCIES_MEMO, SIDECAR_MEMO, FACETS_MEMO)
TITLES_MEMO = "_vnsearch_title_column"
"""The segment's title column, opened once per reader (it may hold the reader's file open,
so a reopened index opens its own)."""


def decoded(reader, fieldname: str, text: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Every id and weight of the segment's posting list of a term, deleted documents
    included (``backfill`` writes sidecars from them)."""
    ids, weights = whoosh_internals.posting_list(reader, fieldname, text)
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


def _frequency(reader, fieldname: str, text: bytes) -> int:
    """The segment's document frequency of a term, remembered: a query asks it of each of
    its terms three to five times (sizing slots, choosing lists, lookups), and each time
    Whoosh decodes the term's statistics again."""
    known = reader.__dict__.setdefault(FREQUENCIES_MEMO, {})
    key = (fieldname, text)
    frequency = known.get(key)
    if frequency is None:
        if len(known) >= FREQUENCIES_KEPT:
            known.clear()
        frequency = known[key] = reader.doc_frequency(fieldname, text)
    return frequency


def _cache_key(reader, fieldname: str, text: bytes) -> tuple:
    return reader.segment().segment_id(), fieldname, text


def _postings(reader, fieldname: str, text: bytes, frequency: int
              ) -> tuple[np.ndarray, np.ndarray]:
    """The segment's postings of one term, deleted documents included."""
    found = _cached(reader, fieldname, text, frequency)
    return found if isinstance(found, tuple) else found.arrays()


def _cached(reader, fieldname: str, text: bytes, frequency: int
            ) -> Compact | Dense | tuple[np.ndarray, np.ndarray]:
    """The term's kept list (the segment's sidecar, else the cache), decoded and cached
    now if it is long enough; a short list, not kept, as its ids and weights."""
    found = _kept(reader, fieldname, text)
    if found is not None:
        return found
    ids, weights = decoded(reader, fieldname, text)
    if frequency < CACHE_MIN_POSTINGS:
        return ids, weights
    found = postingforms.kept(ids, weights, reader.doc_count_all())
    _CACHE.put(_cache_key(reader, fieldname, text), found)
    return found


def _kept(reader, fieldname: str, text: bytes) -> Compact | Dense | None:
    """The term's list as written beside its segment, else as cached, else None."""
    stored = _sidecar(reader)
    found = stored.get(fieldname, text) if stored is not None else None
    return found if found is not None else _CACHE.get(_cache_key(reader, fieldname, text))


def _sidecar(reader) -> sidecar.Sidecar | None:
    """The segment's sidecar, opened once per reader (a reader lives as long as the
    segment it reads, and so does the file)."""
    memo = reader.__dict__
    if SIDECAR_MEMO not in memo:
        segment_id = reader.segment().segment_id()
        folder = whoosh_internals.reader_folder(reader)
        memo[SIDECAR_MEMO] = folder and sidecar.open_for(
            sidecar.path_of(folder, segment_id), segment_id, reader.doc_count_all())
    return memo[SIDECAR_MEMO]


def warm_sidecars(searcher) -> None:
    """Map every segment's sidecar and have the system read it in now."""
    for subsearcher, _ in searcher.leaf_searchers():
        stored = _sidecar(subsearcher.reader())
        if stored is not None:
            stored.warm()


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

    A kept list (sidecar or cache) answers at once. Otherwise, with fewer candidates than
    the list has blocks, skipping to each candidate decodes at most one block per
    candidate; with more, decoding the whole list costs about the same and keeps it for
    the next query."""
    frequency = _frequency(reader, fieldname, text)
    if not frequency or not len(docs):
        return np.zeros(len(docs), dtype=bool), np.zeros(len(docs), dtype=np.float32)
    found = _kept(reader, fieldname, text)
    if found is None:
        if len(docs) * POSTINGS_PER_BLOCK < frequency:
            return _probe(_leaf(reader, fieldname, text), docs)
        found = _cached(reader, fieldname, text, frequency)
    if isinstance(found, Dense):
        return found.at(docs, reader.doc_count_all())
    ids, weights = found if isinstance(found, tuple) else found.arrays()
    return _weights_at(ids, weights, docs, reader.doc_count_all())


def _weights_at(ids: np.ndarray, weights: np.ndarray, docs: np.ndarray, size: int
                ) -> tuple[np.ndarray, np.ndarray]:
    """Which of ``docs`` a decoded posting list holds, and its weights there.

    A binary search costs about 30 ns per candidate; laying the list out over an array as
    long as the segment costs about 4 ns per posting and 2 per document, after which each
    candidate is one read. With many candidates (a headline of common words has thousands)
    laying out is several times faster."""
    if len(docs) * 6 > len(ids) + size // 2:
        held = np.zeros(size, dtype=bool)
        held[ids] = True
        spread = np.zeros(size, dtype=np.float32)
        spread[ids] = weights
        return held[docs], spread[docs]
    where = np.searchsorted(ids, docs)
    inside = where < len(ids)
    present = np.zeros(len(docs), dtype=bool)
    present[inside] = ids[where[inside]] == docs[inside]
    found = np.zeros(len(docs), dtype=np.float32)
    found[present] = weights[where[present]]
    return present, found


@dataclass(frozen=True)
class Request:
    """What a query plan asks of the arrays.

    Each slot is one word of the query, with its alternatives (a corrected spelling, an
    abbreviation's long form, the sides of ``OR``): a document covers the slot when it
    holds every term of one alternative, and the slot scores its best alternative there
    (an article writing both "TP.HCM" and "Thành phố Hồ Chí Minh" is not counted twice),
    as ``intersect.BestOf`` does on Whoosh's path. Documents covering at
    least ``need`` slots match; each slot missed multiplies the score by ``coord``, so a
    headline with one mistyped syllable is still found while articles holding every word
    rank first. ``evidence`` terms (exact spellings, compounds, adjacent pairs) only add
    to the score of matches holding them."""

    slots: list[list[list[Term]]]
    evidence: list[Term]
    need: int
    coord: float = 1.0
    spelled: list[Term | None] | None = None
    """Per slot, the written form wanted (or None): a match covering the slot without it
    has its score multiplied by ``misspelt``."""
    misspelt: float = 1.0
    excluded: tuple[tuple[Term, ...], ...] = ()
    """Matches holding every term of any of these are dropped."""
    in_title: tuple[tuple[str, ...], ...] = ()
    """Folded phrases whose syllables each match's title must hold in a row (``title:``
    phrases; the slots ask for their syllables anywhere in the title)."""
    in_text: tuple[tuple[str, ...], ...] = ()
    """Folded phrases each match's title or body must hold in a row (phrases of three
    syllables or more; the slots ask for their pairs anywhere)."""


def _term_bytes(searcher, term: Term) -> bytes:
    return searcher.schema[term.fieldname].to_bytes(term.text)


def _scores(searcher, subsearcher, term: Term, tbytes: bytes, weights: np.ndarray,
            docs: np.ndarray, norms_at: dict[str, np.ndarray] | None = None
            ) -> np.ndarray | None:
    """BM25F of the term in ``docs`` (segment numbers), given its weights there; None if
    the weighting is not the BM25F this module reproduces."""
    parameters = _bm25_parameters(searcher, subsearcher, term.fieldname, tbytes)
    if parameters is None:
        return None
    at = norms_at.get(term.fieldname) if norms_at is not None else None
    if at is None:
        norms = _length_norms(searcher, subsearcher.reader(), term.fieldname, parameters)
        if norms is None:
            return None
        at = norms[docs]
        if norms_at is not None:
            norms_at[term.fieldname] = at
    tf = weights.astype(np.float64)
    idf, _, K1, _ = parameters
    return tf * (idf * (K1 + 1) * term.boost) / (tf + at)


def _length_norms(searcher, reader, fieldname: str,
                  parameters: tuple[float, float, float, float]) -> np.ndarray | None:
    """BM25's length normalisation of every document of the segment, ``K1 * (1 - B + B *
    length / average length)``: the same for every term of the field, so computed once per
    searcher (the average is index-wide) rather than for each term's matches."""
    known = searcher.__dict__.setdefault("_vnsearch_norms", {})
    key = (reader.segment().segment_id(), fieldname)
    if key not in known:
        lengths = field_lengths(reader, fieldname)
        if lengths is None:
            return None
        _, avgfl, K1, B = parameters
        if B >= 1:
            # A norm of 0 (an empty field) would make the 0 score of a document without
            # the term 0/0, where ``_scores`` relies on it being 0.
            return None
        fl = np.asarray(lengths, dtype=np.float64)
        known[key] = K1 * ((1 - B) + B * fl / avgfl)
    return known[key]


def _bm25_parameters(searcher, subsearcher, fieldname: str, tbytes: bytes
                     ) -> tuple[float, float, float, float] | None:
    """The term's idf, the field's average length, K1 and B, as Whoosh's scorer has them
    (all index-wide, so the same in every segment), remembered per searcher; None if the
    weighting is not the BM25F reproduced here."""
    known = searcher.__dict__.setdefault("_vnsearch_bm25", {})
    key = (fieldname, tbytes)
    if key not in known:
        if len(known) >= FREQUENCIES_KEPT:
            known.clear()
        scorer = searcher.weighting.scorer(subsearcher, fieldname, tbytes)
        known[key] = ((scorer.idf, scorer.avgfl, scorer.K1, scorer.B)
                      if isinstance(scorer, scoring.BM25FScorer) else None)
    return known[key]


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


def facet_column(reader, name: str) -> tuple[np.ndarray, list]:
    """Each document's value of a sortable field as an index into a list of values.

    The column is read in one piece and only its distinct values are decoded: read value
    by value, the facet columns of 79,147 articles took 0.7 s, paid by the first search
    after every reopening of the index (an incremental run's commit)."""
    cache = reader.__dict__.setdefault(FACETS_MEMO, {})
    if name not in cache:
        values = whoosh_internals.bytes_column_values(reader, name)
        index = {value: i for i, value in enumerate(dict.fromkeys(values))}
        ordinals = np.fromiter(map(index.__getitem__, values), dtype=np.int32,
                               count=len(values))
        decode = reader.schema[name].from_column_value
        cache[name] = (ordinals, [decode(value) for value in index])
    return cache[name]


def _keep(reader, docs: np.ndarray, offset: int, allowed: np.ndarray | None) -> np.ndarray:
    """Which of ``docs`` (segment numbers) are live and let through by the filter."""
    live = _live_mask(reader)
    keep = np.ones(len(docs), dtype=bool) if live is None else live[docs]
    if allowed is not None:
        keep &= allowed[docs + offset]
    return keep


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


def _slot_size(reader, searcher, alternatives: list[list[Term]]) -> int:
    """At most how many documents cover the slot: each alternative's rarest term."""
    return sum(min(_frequency(reader, t.fieldname, _term_bytes(searcher, t)) for t in alt)
               for alt in alternatives)


def _candidates(searcher, reader, request: Request, sizes: list[int]) -> np.ndarray:
    """Every document that can cover ``need`` slots: it must hold one of any
    ``slots - need + 1`` of them, so the union of the rarest that many slots' postings
    (each alternative's rarest term) holds them all."""
    order = sorted(range(len(sizes)), key=sizes.__getitem__)
    driving = order[:len(sizes) - request.need + 1]
    lists = []
    for i in driving:
        for alt in request.slots[i]:
            sized = [(_frequency(reader, t.fieldname, tb), t, tb)
                     for t in alt for tb in [_term_bytes(searcher, t)]]
            frequency, term, tbytes = min(sized, key=lambda item: item[0])
            if frequency:
                lists.append(_postings(reader, term.fieldname, tbytes, frequency)[0])
    if not lists:
        return np.zeros(0, dtype=np.int32)
    if len(lists) == 1:
        return lists[0]
    # A mask over the segment merges sorted lists in linear time; np.unique sorts.
    union = np.zeros(reader.doc_count_all(), dtype=bool)
    for ids in lists:
        union[ids] = True
    return np.flatnonzero(union).astype(np.int32)


def _term_scores(searcher, subsearcher, term: Term, docs: np.ndarray,
                 looked_up: tuple[np.ndarray, np.ndarray] | None = None,
                 norms_at: dict[str, np.ndarray] | None = None
                 ) -> tuple[np.ndarray, np.ndarray] | None:
    """Which of ``docs`` hold the term and its BM25F there (0 elsewhere: a weight of 0
    scores 0); None if the weighting is not the one reproduced here. ``looked_up``: the
    term's presence and weights in ``docs``, when already known; ``norms_at``: each
    field's length norms at ``docs``, kept by the caller while ``docs`` stays the same."""
    tbytes = _term_bytes(searcher, term)
    reader = subsearcher.reader()
    present, weights = looked_up or _lookup(reader, term.fieldname, tbytes, docs)
    if not _frequency(reader, term.fieldname, tbytes):
        return present, np.zeros(len(docs))
    scores = _scores(searcher, subsearcher, term, tbytes, weights, docs, norms_at)
    return None if scores is None else (present, scores)


def _slot_scores(searcher, subsearcher, alternatives: list[list[Term]], docs: np.ndarray,
                 norms_at: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray] | None:
    """Which of ``docs`` cover the slot (hold every term of one alternative), and the
    slot's score there: its best alternative's. Most slots are one word, one term."""
    if len(alternatives) == 1 and len(alternatives[0]) == 1:
        return _term_scores(searcher, subsearcher, alternatives[0][0], docs, None, norms_at)
    scored = np.zeros(len(docs))
    holds = np.zeros(len(docs), dtype=bool)
    for alt in alternatives:
        alt_holds = np.ones(len(docs), dtype=bool)
        alt_score = np.zeros(len(docs))
        for term in alt:
            found = _term_scores(searcher, subsearcher, term, docs, None, norms_at)
            if found is None:
                return None
            alt_holds &= found[0]
            alt_score += found[1]
        holds |= alt_holds
        scored = np.maximum(scored, np.where(alt_holds, alt_score, 0.0))
    return holds, scored


def _segment_matches(searcher, subsearcher, offset, request: Request, allowed):
    """(segment document numbers, scores, slots covered) of the segment's matches, or
    None when a weighting or length column is not what arrays reproduce."""
    reader = subsearcher.reader()
    sizes = [_slot_size(reader, searcher, slot) for slot in request.slots]
    if sum(1 for size in sizes if size) < request.need:
        return np.zeros(0, dtype=np.int32), np.zeros(0), np.zeros(0, dtype=np.int32)
    docs = _candidates(searcher, reader, request, sizes)
    docs = docs[_keep(reader, docs, offset, allowed)]
    total = np.zeros(len(docs))
    covered = np.zeros(len(docs), dtype=np.int32)
    may_miss = len(request.slots) - request.need
    norms_at: dict[str, np.ndarray] = {}
    for checked, i in enumerate(sorted(range(len(sizes)), key=sizes.__getitem__)):
        if not sizes[i]:
            continue
        found = _slot_scores(searcher, subsearcher, request.slots[i], docs, norms_at)
        if found is None:
            return None
        holds, scored = found
        total += scored
        covered += holds
        # Rarest slots first: a candidate that already missed more than it may is dropped
        # before the common words are looked up for it.
        alive = (checked + 1 - covered) <= may_miss
        if not alive.all():
            docs, total, covered = docs[alive], total[alive], covered[alive]
            norms_at.clear()
    keep = covered >= request.need
    if request.excluded:
        keep &= ~_holding_any(searcher, reader, request.excluded, docs)
    if request.in_title:
        keep[keep] = _titles_holding(reader, docs[keep], request.in_title)
    if request.in_text:
        holding = _texts_holding(reader, docs[keep], request.in_text)
        if holding is None:
            return None
        keep[keep] = holding
    docs, total, covered = docs[keep], total[keep], covered[keep]
    factor = np.ones(len(docs))
    missed = len(request.slots) - covered
    if request.coord != 1.0 and missed.any():
        factor *= request.coord ** missed
    # The written forms looked up here are mostly evidence too (exact spellings): what is
    # found for every match serves the evidence below.
    spelled: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
    if request.spelled and request.misspelt != 1.0:
        wrong = np.zeros(len(docs), dtype=np.int32)
        for term in request.spelled:
            if term is not None:
                key = (term.fieldname, term.text)
                if key not in spelled:
                    spelled[key] = _lookup(reader, term.fieldname, _term_bytes(searcher, term),
                                           docs)
                wrong += ~spelled[key][0]
        factor *= request.misspelt ** wrong
    # Evidence only adds to a score, so it is looked up for the best EVIDENCE_DEPTH
    # matches alone: any other match already ranks below them without it.
    best = np.arange(len(docs))
    if len(docs) > EVIDENCE_DEPTH:
        best = np.sort(np.argpartition(-(total * factor), EVIDENCE_DEPTH - 1)[:EVIDENCE_DEPTH])
    best_docs = docs[best]
    norms_at = {}
    for term in request.evidence:
        known = spelled.get((term.fieldname, term.text))
        found = _term_scores(searcher, subsearcher, term, best_docs,
                             (known[0][best], known[1][best]) if known else None, norms_at)
        if found is None:
            return None
        total[best] += found[1]
    total *= factor
    return docs, total, covered


def title_column(reader):
    """A segment's titles (UTF-8 bytes by segment document number), opened once per reader:
    mapped where it can be (``whoosh_internals.mapped_bytes_column``), else read through
    Whoosh (opening a column reads its index, ~10 ms)."""
    column = reader.__dict__.get(TITLES_MEMO)
    if column is None:
        column = reader.__dict__[TITLES_MEMO] = (
            whoosh_internals.mapped_bytes_column(reader, "title_column")
            or reader.column_reader("title_column"))
    return column


def _titles_holding(reader, docs: np.ndarray, phrases) -> np.ndarray:
    """Which of ``docs`` have titles holding every phrase, checked on the title's text as
    a phrase is on the body's (punctuation between its syllables does not part them)."""
    column = title_column(reader)
    return _holding(phrases, [column[doc].decode("utf-8") for doc in docs.tolist()])


TEXT_CHARS_AT_ONCE = 1_000_000
"""Stored text checked between two looks at the search's deadline: a few hundred articles,
or one long one (the text of a batch is folded as one string, four bytes a character in
the folding's arrays)."""


def _texts_holding(reader, docs: np.ndarray, phrases) -> np.ndarray | None:
    """Which of ``docs`` hold every phrase in their title or body, checked on the stored
    text; None when the search's deadline passes first (Whoosh's path then reports the
    timeout)."""
    holding = np.zeros(len(docs), dtype=bool)
    start, texts, chars = 0, [], 0
    for end, doc in enumerate(docs.tolist(), start=1):
        stored = reader.stored_fields(doc)
        texts.append(f"{stored.get('title') or ''}{SECTION_BREAK}{stored.get('body') or ''}")
        chars += len(texts[-1])
        if chars >= TEXT_CHARS_AT_ONCE or end == len(docs):
            holding[start:end] = _holding(phrases, texts)
            start, texts, chars = end, [], 0
            if intersect.overdue():
                return None
    return holding


def _holding(phrases, texts: list[str]) -> np.ndarray:
    """Which texts hold every phrase: one pass of each phrase's pattern over them all,
    folded as one and parted by the break no phrase crosses."""
    joined = folded_match_form(SECTION_BREAK.join(texts))
    starts = np.cumsum([0] + [len(text) + 1 for text in texts[:-1]])
    holding = np.ones(len(texts), dtype=bool)
    for phrase in phrases:
        found = np.zeros(len(texts), dtype=bool)
        at = [m.start() for m in phrase_pattern(phrase).finditer(joined)]
        found[np.searchsorted(starts, at, side="right") - 1] = True
        holding &= found
    return holding


def _allowed_by(searcher, filter_query: Query | None) -> np.ndarray | None:
    """Which documents (index-wide numbers) the filter lets through."""
    if filter_query is None:
        return None
    allowed = np.zeros(searcher.doc_count_all(), dtype=bool)
    allowed[np.fromiter(searcher.docs_for_query(filter_query), dtype=np.int64)] = True
    return allowed


def search(searcher, request: Request, filter_query: Query | None, depth: int,
           facets: Iterable[str], by_date: str | None = None) -> ArrayResults | None:
    """The best ``depth`` matches (score, then document number, as Whoosh orders them; or
    by date, ``by_date`` "newest" or "oldest"), the number of matches, how many cover
    every slot, and the facet counts; None when the index is scored some other way than
    arrays reproduce."""
    def matches(subsearcher, offset, allowed):
        return _segment_matches(searcher, subsearcher, offset, request, allowed)

    return _gathered(searcher, matches, len(request.slots), filter_query, depth, facets,
                     by_date)


def browse(searcher, filter_query: Query | None, depth: int, facets: Iterable[str],
           by_date: str) -> ArrayResults:
    """Every live article the filter lets through (a filter without a query), by date."""
    def every(subsearcher, offset, allowed):
        reader = subsearcher.reader()
        docs = np.arange(reader.doc_count_all(), dtype=np.int32)
        docs = docs[_keep(reader, docs, offset, allowed)]
        return docs, np.zeros(len(docs)), np.zeros(len(docs), dtype=np.int32)

    return _gathered(searcher, every, 0, filter_query, depth, facets, by_date)


def _gathered(searcher, matches, slots: int, filter_query: Query | None, depth: int,
              facets: Iterable[str], by_date: str | None) -> ArrayResults | None:
    """Each segment's ``matches`` (segment numbers, scores, slots covered; None when arrays
    cannot score them) made one answer: the best ``depth``, the total and facet counts."""
    allowed = _allowed_by(searcher, filter_query)
    all_docs, all_scores, all_dates = [], [], []
    complete = 0
    groups: dict[str, dict] = {name: {} for name in facets}
    for subsearcher, offset in searcher.leaf_searchers():
        found = matches(subsearcher, offset, allowed)
        if found is None:
            return None
        docs, scores, covered = found
        if not len(docs):
            continue
        complete += int(np.count_nonzero(covered == slots))
        for name, counts in groups.items():
            ordinals, values = facet_column(subsearcher.reader(), name)
            per_value = np.bincount(ordinals[docs], minlength=len(values))
            for ordinal in np.flatnonzero(per_value):
                value = values[ordinal]
                counts[value] = counts.get(value, 0) + int(per_value[ordinal])
        all_docs.append(docs.astype(np.int64) + offset)
        all_scores.append(scores)
        if by_date:
            ordinals, values = facet_column(subsearcher.reader(), "date")
            all_dates.append(np.array(values)[ordinals[docs]])
    if not all_docs:
        return ArrayResults(total=0, hits=[], groups=groups)
    docs, scores = np.concatenate(all_docs), np.concatenate(all_scores)
    if by_date:
        order = _by_date(docs, np.concatenate(all_dates), by_date)[:depth]
    else:
        chosen = np.arange(len(docs))
        if len(docs) > depth:
            keep = np.argpartition(-scores, depth - 1)[:depth]
            chosen = np.flatnonzero(scores >= scores[keep].min())
        order = chosen[np.lexsort((docs[chosen], -scores[chosen]))][:depth]
    hits = [ArrayHit(searcher, int(docs[i]), float(scores[i])) for i in order.tolist()]
    return ArrayResults(total=len(docs), hits=hits, groups=groups, complete=complete)


UNDATED_LAST = "9999-99-99"
"""What an article without a date sorts as, oldest first: after every dated one."""


def _by_date(docs: np.ndarray, dates: np.ndarray, by_date: str) -> np.ndarray:
    """Positions of the matches newest first or oldest first, undated last either way, and
    equal dates by document number, as Whoosh's sorting collector orders them."""
    if by_date == "oldest":
        dates = np.where(dates == "", UNDATED_LAST, dates)
    ranks = np.unique(dates, return_inverse=True)[1].reshape(-1)
    return np.lexsort((docs, -ranks if by_date == "newest" else ranks))
