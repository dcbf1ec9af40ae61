"""Matching that keeps Whoosh off the long posting lists of common syllables.

All-of and phrase queries intersect rarest first (``ChainAnd``, ``ChainPhrase``), long
phrases intersect syllable pairs (``PairPhrase``) and any-of queries let their rarest words
drive (``DrivenOr``). ``ExactAndNot`` is Whoosh's ``AndNot`` with its first match checked.

Whoosh's ``And`` pairs its sub-matchers into a size-weighted tree that intersects the two
most common terms with each other first, and its phrase matcher intersects the words in
phrase order; both walk the long posting lists of common syllables ("và", "của", "5")
even when one rare word allows only a handful of documents. An intersection sorted by
posting-list size lets the rarest term drive every skip: on 50,000 articles a 12-word
headline query went from 365 ms to 15 ms.

Within a posting block, Whoosh's ``skip_to`` steps one posting at a time through three
method calls each; intersections spend most of their time there. Importing this module
replaces it with one that jumps whole blocks and bisects the block, and has term lookups
remembered (``whoosh_internals.apply_patches``). What these queries take from inside
Whoosh (its private hooks for building matchers) comes from that module too.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from whoosh import matching
from whoosh.collectors import TimeLimit
from whoosh.matching import ReadTooFar
from whoosh.query import And, AndNot, DisjunctionMax, Or, Phrase, Query, Term

from . import whoosh_internals
from .analysis import folded_match_form, pair_term, phrase_pattern

whoosh_internals.apply_patches()


class AllOfMatcher(matching.Matcher):
    """The documents every child matches, found by one loop over the children.

    A chain of Whoosh's two-way ``IntersectionMatcher`` re-checks every level's
    ``is_active`` on each step: on 79,147 articles, 4 million such calls for 27,000 matches
    of 60 headline queries typed without marks. Here the rarest child proposes a document,
    the others skip to it, and any that overshoots proposes the next one.
    """

    def __init__(self, children: list):
        self._children = children
        self._id = -1
        self._active = all(m.is_active() for m in children)
        if self._active:
            self._settle(children[0].id())

    def _settle(self, target: int) -> None:
        children = self._children
        while True:
            for m in children:
                current = m.id()
                if current < target:
                    m.skip_to(target)
                    if not m.is_active():
                        self._active = False
                        return
                    current = m.id()
                if current > target:
                    target = current
                    break
            else:
                self._id = target
                return

    def is_active(self) -> bool:
        return self._active

    def id(self) -> int:
        return self._id

    def children(self) -> list:
        return self._children

    def copy(self) -> "AllOfMatcher":
        return AllOfMatcher([m.copy() for m in self._children])

    def reset(self) -> None:
        for m in self._children:
            m.reset()
        self._active = all(m.is_active() for m in self._children)
        if self._active:
            self._settle(self._children[0].id())

    def supports_block_quality(self) -> bool:
        return False

    def max_quality(self) -> float:
        return sum(m.max_quality() for m in self._children)

    def next(self) -> None:
        if not self._active:
            raise ReadTooFar
        first = self._children[0]
        first.next()
        if not first.is_active():
            self._active = False
            return
        self._settle(first.id())

    def skip_to(self, docnum: int) -> None:
        if not self._active:
            raise ReadTooFar
        if docnum > self._id:
            self._settle(docnum)

    def weight(self) -> float:
        return sum(m.weight() for m in self._children)

    def score(self) -> float:
        return sum(m.score() for m in self._children)

    def spans(self) -> list:
        return sorted({span for m in self._children for span in m.spans()})


def _rarest_first(matchers: list, sizes: list[int]) -> AllOfMatcher:
    return AllOfMatcher([m for _, m in sorted(zip(sizes, matchers), key=lambda p: p[0])])


class ChainAnd(whoosh_internals.OwnMatcher, And):
    """Matches documents that match all subqueries, intersected rarest first."""

    def own_matcher(self, subs, searcher, context):
        reader = searcher.reader()
        allof = _rarest_first([q.matcher(searcher, context) for q in subs],
                              [q.estimate_size(reader) for q in subs])
        return matching.WrappingMatcher(allof, self.boost) if self.boost != 1.0 else allof


DRIVER_SHARE = 0.05
DRIVER_MIN_DOCS = 1000


def drivers(sizes: list[int], doc_count: int) -> list[int]:
    """Which subqueries (by position) drive a ``DrivenOr``, given their document counts: the
    rarest, in the order of their counts, up to about 5% of the segment in all (at least
    the rarest one)."""
    order = sorted(range(len(sizes)), key=sizes.__getitem__)
    budget = max(DRIVER_MIN_DOCS, DRIVER_SHARE * doc_count)
    cut, total = 1, sizes[order[0]]
    while cut < len(order) and total + sizes[order[cut]] <= budget:
        total += sizes[order[cut]]
        cut += 1
    return order[:cut]


class DrivenOr(whoosh_internals.OwnMatcher, Or):
    """Any of the subqueries, looking only at documents that hold one of the rarest.

    A plain union of a long query's words visits nearly every article ("bị", "do", "với"
    are in most of them) to rank a few. Here the rarest subqueries, up to about 5% of the
    archive in all, drive the union and the others only add to the score. A document
    missing every driver lacks at least as many query words as there are drivers, so all
    documents that miss fewer words are still found; only worse ones may be left out.
    """

    def own_matcher(self, subs, searcher, context):
        reader = searcher.reader()
        sizes = [q.estimate_size(reader) for q in subs]
        driving = drivers(sizes, reader.doc_count_all())
        if len(driving) == len(subs):
            return whoosh_internals.compound_matcher(Or(subs, scale=self.scale), subs, searcher,
                                                     context)
        driving_set = set(driving)
        driven = sorted((i for i in range(len(subs)) if i not in driving_set),
                        key=sizes.__getitem__)
        matcher = matching.AndMaybeMatcher(
            Or([subs[i] for i in driving]).matcher(searcher, context),
            Or([subs[i] for i in driven]).matcher(searcher, context))
        if self.scale:
            matcher = matching.CoordMatcher(matcher, scale=self.scale)
        return matcher


class _RarestFirstSpans(whoosh_internals.PhraseSpans):
    """Whoosh's phrase span check, over a rarest-first intersection of the words."""

    def __init__(self, ms, sizes):
        self.sizes = sizes
        super().__init__(ms, _rarest_first(ms, sizes))

    def copy(self):
        return self.__class__([m.copy() for m in self.ms], self.sizes)


class ChainPhrase(Phrase):
    """An exact phrase (consecutive positions), intersected rarest first."""

    def matcher(self, searcher, context=None):
        if self.fieldname not in searcher.schema or len(self.words) < 2:
            return super().matcher(searcher, context)
        field = searcher.schema[self.fieldname]
        reader = searcher.reader()
        terms, sizes = [], []
        for word in self.words:
            text = field.to_bytes(word)
            if (self.fieldname, text) not in reader:
                return matching.NullMatcher()
            terms.append(Term(self.fieldname, text))
            sizes.append(reader.doc_frequency(self.fieldname, text))
        span_context = whoosh_internals.span_context(context)
        spans = _RarestFirstSpans([t.matcher(searcher, span_context) for t in terms], sizes)
        return matching.WrappingMatcher(spans, boost=self.boost) if self.boost != 1.0 else spans


_DEADLINE: ContextVar[float | None] = ContextVar("vnsearch_search_deadline", default=None)
CHECK_DEADLINE_EVERY = 32
"""Rejected candidates between two looks at the clock (each costs a stored-text read)."""


@contextmanager
def deadline(at: float) -> Iterator[None]:
    """Stop confirming phrase candidates at this ``time.monotonic()`` value.

    Whoosh's time limit is checked only when a match is collected. A phrase whose pairs
    are common but never in one run ("có có có …", 32 times) rejects thousands of
    candidates, each read from the stored text, without ever yielding a match: 4 s per
    pass on 79,147 articles, where the limit never had a say. Confirmation raises Whoosh's
    ``TimeLimit`` instead, which the search reports as a timeout.
    """
    token = _DEADLINE.set(at)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def overdue() -> bool:
    """Whether the deadline of the search under way (``deadline``) has passed."""
    stop = _DEADLINE.get()
    return stop is not None and time.monotonic() > stop


def _overdue_check() -> Callable[[], None]:
    """A function to call per rejected candidate; raises TimeLimit, every
    CHECK_DEADLINE_EVERY calls, once the search's deadline has passed."""
    stop = _DEADLINE.get()
    rejected = 0

    def overdue() -> None:
        nonlocal rejected
        rejected += 1
        if stop is not None and rejected % CHECK_DEADLINE_EVERY == 0 and time.monotonic() > stop:
            raise TimeLimit

    return overdue


class _Confirmed(whoosh_internals.RewrappingMatcher):
    """The child's documents that ``accept`` confirms, checked lazily as the child moves so a
    search's time budget still applies between documents (see ``deadline``)."""

    def __init__(self, child, accept: Callable[[int], bool]):
        super().__init__(child)
        self.accept = accept
        self._settle()

    def _settle(self) -> None:
        child = self.child
        overdue = _overdue_check()
        while child.is_active() and not self.accept(child.id()):
            overdue()
            child.next()

    def rewrap(self, child):
        return _Confirmed(child, self.accept)

    def copy(self):
        return _Confirmed(self.child.copy(), self.accept)

    def all_ids(self):
        overdue = _overdue_check()
        for docnum in self.child.all_ids():
            if self.accept(docnum):
                yield docnum
            else:
                overdue()

    def supports_block_quality(self) -> bool:
        return False

    def next(self) -> bool:
        self.child.next()
        self._settle()
        return False

    def skip_to(self, docnum: int) -> None:
        self.child.skip_to(docnum)
        self._settle()


class PairPhrase(whoosh_internals.RewrappingQuery):
    """An exact phrase of three or more syllables, without positions in the index.

    Documents must hold every adjacent pair of the phrase (``pair`` field, intersected
    rarest first); their stored text then confirms the pairs are in one run. Pairs are
    rare where syllables are common, so few documents need the check, and the all-of
    fields need no positions, which made every intersection slower.
    """

    def __init__(self, child: Query, words: tuple[str, ...]):
        super().__init__(child)
        self.words = tuple(words)

    @classmethod
    def of(cls, fieldname: str, words: list[str], boost: float = 1.0) -> "PairPhrase":
        pairs = [pair_term(a, b) for a, b in zip(words, words[1:])]
        return cls(ChainAnd([Term(fieldname, p) for p in pairs], boost=boost), tuple(words))

    def __eq__(self, other) -> bool:
        return type(other) is type(self) and other.child == self.child and other.words == self.words

    def __hash__(self) -> int:
        return super().__hash__() ^ hash(self.words)

    def rewrap(self, child: Query) -> "PairPhrase":
        return PairPhrase(child, self.words)

    def matcher(self, searcher, context=None):
        pattern = phrase_pattern(self.words)

        def accept(docnum: int) -> bool:
            stored = searcher.stored_fields(docnum)
            return any(pattern.search(folded_match_form(stored.get(name) or ""))
                       for name in ("title", "body"))

        return _Confirmed(self.child.matcher(searcher, context), accept)


class ExactAndNot(AndNot):
    """The first query's matches without the second's, every one of them checked."""

    def matcher(self, searcher, context=None):
        return whoosh_internals.ExactAndNotMatcher(
            self.a.matcher(searcher, context), self.b.matcher(searcher, searcher.boolean_context()))


class _BestOfMatcher(matching.DisjunctionMaxMatcher):
    """Whoosh's ``DisjunctionMaxMatcher`` scores the greater of its two children even
    when one of them stands on a later document than the current one: a document holding
    one alternative took the other's score from somewhere else. Only children on the
    current document count here."""

    def score(self) -> float:
        current = self.id()
        return max(child.score() for child in (self.a, self.b)
                   if child.is_active() and child.id() == current)


class BestOf(whoosh_internals.OwnMatcher, DisjunctionMax):
    """Any of the subqueries, scored by the best one that matches the document (a word and
    its other forms: an article writing both is not counted twice)."""

    def own_matcher(self, subs, searcher, context):
        reader = searcher.reader()
        return whoosh_internals.tree_matcher(self, subs, _BestOfMatcher, searcher, context,
                                             lambda q: q.estimate_size(reader),
                                             tiebreak=self.tiebreak)
