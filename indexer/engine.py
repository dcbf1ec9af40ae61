"""From a query plan to scored candidates: which articles match, and how well.

Candidates are recall-safe and scoring decides. A slot (a word of the query) matches its
folded syllables, so an article holding every word with any marks is always a candidate;
exact spellings (typed, corrected or restored), compounds and adjacent pairs are evidence
that adds to the score, never a filter. With three words or more, an article missing one
is a candidate too (a typo that happens to be another real syllable, "ga đình" for "gia
đình"), scored down by ``COORD`` per word missed; if nothing covers that many, the
articles with any of the words are ranked.

Words, phrases and ``title:`` go to the arrays (``arraysearch``), whether ranked by
relevance or by date; a phrase in an OR, a long excluded phrase and the any-of-the-words
pass of a query with phrases or ``title:`` go through Whoosh's matchers, built from the
same plan.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import islice

from whoosh import sorting
from whoosh.collectors import TimeLimit, TimeLimitCollector
from whoosh.query import AndMaybe, Or, Query, Term

from . import arraysearch
from .analysis import fold, pair_term
from .intersect import BestOf, ChainAnd, ChainPhrase, DrivenOr, ExactAndNot, PairPhrase
from .query import QueryPlan, ReadUnit, Slot

WEIGHTS = {
    "fold": 1.0,
    "syl": 1.0,
    "pair": 1.0,
    "word": 0.75,
    "wfold": 0.75,
    "tsyl": 1.0,
    "tfold": 1.0,
    "exact_bonus": 0.1,
    "near": 0.0,
}
"""Per-field weights of the first stage. Titles add no per-term weight here: a title that
merely shares query words would outrank the article that has them all (keyword queries
lost 0.03-0.05 MRR@10 with any title weight); ``rerank.py`` rewards near-complete title
matches instead. ``tsyl``/``tfold`` only score ``title:`` searches. ``exact_bonus``
weighs the written form (typed, corrected or restored) on top of the folded match;
``near`` rewards two query syllables found side by side."""
COMPOUND_SIZES = (2, 3)
"""Runs of query syllables looked up among the article's pyvi words."""
COORD = 0.7
"""Each word of the query an article lacks multiplies its score by this."""
SOFT_FROM = 4
"""Queries of this many words or more also match articles missing one of them (a typo
that is another real syllable); shorter ones are topics, where every word counts."""
MISSPELT = 0.5
"""Each word typed with marks that an article holds only in another spelling multiplies
its score by this: "đường" ranks above "dương", yet a wrong tone mark hides nothing."""
BM25 = {"B": 0.75, "K1": 1.2}


@dataclass
class Candidates:
    total: int
    hits: list
    groups: dict[str, dict]
    complete: bool
    """Whether the best matches hold every word (else: the page says some words are missing)."""
    timed_out: bool = False


def _weighted(fieldname: str, text: str, weight_key: str | None = None) -> Term:
    return Term(fieldname, text, boost=WEIGHTS[weight_key or fieldname])


def _alternative_terms(folded: tuple[str, ...], words: int) -> list[Term]:
    """One way of writing a slot: its syllable, or its adjacent pairs (a long form).

    A slot's score is its best way's, and a way's is the sum of its terms': a long form's
    pairs are worth together at most the ``words`` the slot was typed as, or "OPEC",
    written out in seven syllables, would count for six rare words of the query."""
    if len(folded) == 1:
        return [_weighted("fold", folded[0])]
    pairs = list(zip(folded, folded[1:]))
    share = min(1.0, words / len(pairs))
    return [Term("pair", pair_term(a, b), boost=WEIGHTS["pair"] * share) for a, b in pairs]


def _slot_alternatives(slot: Slot) -> list[list[Term]]:
    """The reading's syllables (anywhere in the article, as typed words are), then each
    other form as a run of adjacent syllables."""
    reading = [_weighted("fold", k) for k in dict.fromkeys(slot.folded)]
    others = dict.fromkeys(tuple(fold(k) for k in alt) for alt in slot.alternatives)
    return [reading] + [_alternative_terms(form, len(reading)) for form in others
                        if form != slot.folded]


def _syllable_slots(slot: Slot) -> list[Slot]:
    """A slot of several syllables (an abbreviation's span) as one slot per syllable, for
    the any-word pass: each syllable typed is worth finding alone."""
    if len(slot.keys) == 1:
        return [slot]
    return [Slot((s,), (k,), (e,)) for s, k, e in zip(slot.syllables, slot.keys, slot.exact)]


def _plain(read: ReadUnit) -> bool:
    return not read.unit.phrase and not read.unit.title_only


def _evidence(plan: QueryPlan) -> list[Term]:
    """Terms that only add to the score: written forms, compounds, adjacent pairs."""
    terms: list[Term] = []
    for read in plan.units:
        if not _plain(read):
            continue
        keys = [k for slot in read.slots if len(slot.keys) == 1 for k in slot.keys]
        exact = [e for slot in read.slots if len(slot.keys) == 1 for e in slot.exact]
        terms += [_weighted("syl", e, "exact_bonus") for e in dict.fromkeys(exact) if e]
        folded = [fold(k) for k in keys]
        for size in COMPOUND_SIZES:
            for i in range(len(keys) - size + 1):
                written = exact[i:i + size]
                if all(written) and any(fold(w) != w for w in written):
                    terms.append(_weighted("word", "_".join(written)))
                else:
                    terms.append(_weighted("wfold", "_".join(folded[i:i + size])))
        if WEIGHTS["near"]:
            terms += [_weighted("pair", pair_term(a, b), "near")
                      for a, b in dict.fromkeys(zip(folded, folded[1:]))]
    return terms


def _exclusions(plan: QueryPlan) -> list[tuple[Term, ...]]:
    """Each excluded word or phrase as the terms an article must all hold to be dropped:
    with marks typed, the exact syllables (and the pair, for a word of two)."""
    groups = []
    for unit in plan.parsed.excluded:
        syl, fold_field = ("tsyl", "tfold") if unit.title_only else ("syl", "fold")
        exact = any(s.marked for s in unit.syllables)
        terms = [Term(syl, k) for k in unit.keys] if exact else \
            [Term(fold_field, k) for k in unit.folded]
        if len(unit.keys) > 1 and not unit.title_only:
            terms += [Term("pair", pair_term(a, b)) for a, b in zip(unit.folded, unit.folded[1:])]
        groups.append(tuple(terms))
    return groups


def array_request(plan: QueryPlan, relaxed: bool) -> arraysearch.Request | None:
    """The plan as the arrays' request, or None when it has what only Whoosh's matchers do:
    a phrase in an OR, an exclusion of three words or more, or any of the words of a query
    with phrases or ``title:``.

    Phrases and ``title:`` words are exact requests: every slot is needed, and the words
    beside them too."""
    slots: list[list[list[Term]]] = []
    spelled: list[Term | None] = []
    in_title: list[tuple[str, ...]] = []
    in_text: list[tuple[str, ...]] = []
    plain = all(_plain(read) for read in plan.units)
    if relaxed and not plain:
        return None
    for group in plan.groups:
        if len(group) > 1:
            if not all(_plain(read) for read in group):
                return None
            slots.append([[term for slot in read.slots for term in _slot_alternatives(slot)[0]]
                          for read in group])
            spelled.append(None)
        elif _plain(group[0]):
            read_slots = group[0].slots
            if relaxed:
                read_slots = [part for slot in read_slots for part in _syllable_slots(slot)]
            spelled += [_spelled(slot) for slot in read_slots]
            slots += [_slot_alternatives(slot) for slot in read_slots]
        else:
            exact = _exact_slots(group[0])
            if exact is None and (confirmed := _confirmed_phrase(group[0])) is not None:
                exact, phrase = confirmed
                (in_title if group[0].unit.title_only else in_text).append(phrase)
            if exact is None:
                return None
            slots += exact
            spelled += [None] * len(exact)
    if any(len(unit.keys) > 2 for unit in plan.parsed.excluded):
        return None
    if not plain:
        need = len(slots)
    else:
        need = 1 if relaxed else (len(slots) - 1 if len(slots) >= SOFT_FROM else len(slots))
    return arraysearch.Request(slots=slots, evidence=_evidence(plan), need=need, coord=COORD,
                               spelled=spelled, misspelt=MISSPELT,
                               excluded=tuple(_exclusions(plan)), in_title=tuple(in_title),
                               in_text=tuple(in_text))


def _confirmed_phrase(read: ReadUnit) -> tuple[list[list[list[Term]]], tuple[str, ...]] | None:
    """A phrase the arrays match by terms held anywhere, then confirm in a row on the text:
    a ``title:`` phrase by its title syllables, a longer phrase by its syllable pairs (plus,
    either way, the syllables typed with marks, as written); and the folded phrase to
    confirm. Whoosh's path matches the first by title positions (``ChainPhrase``) and the
    second as ``PairPhrase``, with the same terms."""
    unit = read.unit
    if not unit.phrase:
        return None
    (slot,) = read.slots
    if unit.title_only:
        written = [_weighted("tsyl", e) for e in slot.exact if e]
        return [[[_weighted("tfold", k) for k in slot.folded] + written]], slot.folded
    written = [_weighted("syl", e) for e in slot.exact if e]
    pairs = [_weighted("pair", pair_term(a, b)) for a, b in zip(slot.folded, slot.folded[1:])]
    return [[pairs + written]], slot.folded


def _exact_slots(read: ReadUnit) -> list[list[list[Term]]] | None:
    """A phrase of one or two syllables, or the words of ``title:``, as slots every match
    must cover (each a list of ways, each the terms an article must all hold); None for
    what needs text or positions. Both engines take these units from here."""
    unit = read.unit
    if unit.phrase:
        (slot,) = read.slots
        if unit.title_only or len(slot.folded) > 2:
            return None
        exact = [_weighted("syl", e) for e in slot.exact if e]
        return [[[_phrase(list(slot.folded), False, "fold")] + exact]]
    if not unit.title_only:
        return None
    slots = []
    for slot in read.slots:
        forms = dict.fromkeys([slot.folded] + [tuple(fold(k) for k in alt)
                                               for alt in slot.alternatives])
        slots.append([[_weighted("tfold", k) for k in form] for form in forms])
    return slots + [[[_weighted("tsyl", s.key)]] for s in unit.syllables if s.marked]


def _spelled(slot: Slot) -> Term | None:
    """The written form an article should hold for a word typed (or corrected) with marks."""
    if len(slot.keys) != 1 or not slot.exact[0] or fold(slot.exact[0]) == slot.exact[0]:
        return None
    typed = slot.syllables[0]
    if not typed.marked and not slot.corrected:
        return None
    return Term("syl", slot.exact[0])


# --------------------------------------------------------------------------- Whoosh's path


def _phrase(words: list[str], title_only: bool, fold_field: str) -> Query:
    """The folded phrase: its syllable pairs, confirmed in the text for longer phrases; for
    ``title:"..."``, positions in the (short) title."""
    if len(words) == 1:
        return _weighted(fold_field, words[0])
    if title_only:
        return ChainPhrase(fold_field, words, boost=WEIGHTS[fold_field])
    if len(words) == 2:
        return _weighted("pair", pair_term(*words))
    return PairPhrase.of("pair", words, boost=WEIGHTS["pair"])


def _unit_parts(read: ReadUnit) -> list[Query]:
    """What an article must match for one unit, part by part. Phrases match their folded
    pairs (or title positions), plus each syllable as typed where it was typed with marks;
    words match their folded syllables (in the title for ``title:``), one part per slot."""
    exact = _exact_slots(read)
    if exact is not None:
        return [_slot_query(slot) for slot in exact]
    unit = read.unit
    if unit.phrase:
        syl, fold_field = ("tsyl", "tfold") if unit.title_only else ("syl", "fold")
        (slot,) = read.slots
        phrase = _phrase(list(slot.folded), unit.title_only, fold_field)
        written = [_weighted(syl, e) for e in slot.exact if e]
        return [ChainAnd([phrase] + written) if written else phrase]
    parts: list[Query] = []
    for slot in read.slots:
        forms = dict.fromkeys([slot.folded] + [tuple(fold(k) for k in alt)
                                               for alt in slot.alternatives])
        parts.append(_slot_query([_alternative_terms(form, len(slot.folded)) for form in forms]))
    return parts


def _slot_query(ways: list[list[Term]]) -> Query:
    """A slot's ways as one query: each way all its terms, the slot its best way."""
    queries = [ChainAnd(terms) if len(terms) > 1 else terms[0] for terms in ways]
    return queries[0] if len(queries) == 1 else BestOf(queries)


def _all(parts: list[Query]) -> Query:
    return parts[0] if len(parts) == 1 else ChainAnd(parts)


def whoosh_query(plan: QueryPlan, relaxed: bool) -> Query:
    """The plan as a Whoosh query: every group (any of its units), or with ``relaxed`` any
    word or group, scored by how many match (Whoosh's coordination)."""
    members: list[Query] = []
    for group in plan.groups:
        if relaxed and len(group) == 1:
            members += _unit_parts(group[0])
            continue
        units = [_all(_unit_parts(read)) for read in group]
        members.append(units[0] if len(units) == 1 else BestOf(units))
    if relaxed and len(members) > 1:
        required: Query = DrivenOr(members, scale=0.9)
    else:
        required = _all(members)
    evidence = _evidence(plan)
    query: Query = AndMaybe(required, Or(evidence)) if evidence else required
    excluded = _exclusions(plan)
    if excluded:
        query = ExactAndNot(query, Or([_all(list(g)) for g in excluded]))
    return query


def _relaxable(plan: QueryPlan) -> bool:
    """Whether any-of can find what all-of did not: not for one word or one phrase."""
    return len(plan.groups) > 1 or any(len(_unit_parts(read)) > 1 for read in plan.units)


class _ColumnFacet(sorting.FacetType):
    """Counts of a sortable field's values over the matches, from the per-segment columns
    the arrays keep in memory (``arraysearch.facet_column``). Whoosh's ``FieldFacet`` opens
    each segment's column again at every search and reads every match's value from the
    file: the 67 public queries that go through Whoosh's matchers took 9.7 ms of CPU each
    with it, 8.5 without (79,147 articles, two segments)."""

    maptype = sorting.Count

    def __init__(self, fieldname: str):
        self.fieldname = fieldname

    def default_name(self) -> str:
        return self.fieldname

    def categorizer(self, global_searcher) -> sorting.Categorizer:
        return _ColumnValues(self.fieldname)


class _ColumnValues(sorting.Categorizer):
    def __init__(self, fieldname: str):
        self._fieldname = fieldname
        self._ordinals: Sequence[int] = ()
        self._values: list = []

    def set_searcher(self, segment_searcher, docoffset: int) -> None:
        self._ordinals, self._values = arraysearch.facet_column(segment_searcher.reader(),
                                                                self._fieldname)

    def key_for(self, matcher, segment_docnum: int):
        return self._values[self._ordinals[segment_docnum]]


def collect(searcher, query: Query, *, depth: int, sortedby, filter_query, facets: tuple,
            deadline_seconds: float) -> Candidates:
    """Whoosh's matcher tree: the best ``depth`` hits and, with facets, their counts.

    The exact total comes free when facets are counted (every match is visited then);
    without facets an estimate avoids running the query a second time.
    """
    groupedby = None
    if facets:
        groupedby = {name: _ColumnFacet(name) for name in facets}
    # optimize=False: Whoosh's block-quality skipping re-plans the matcher tree every
    # few documents; on our chained intersections that made top-N searches 4-5x slower
    # (eval p50 on 50,000 articles 162 -> 31 ms) than simply scoring every match.
    collector = searcher.collector(limit=depth, sortedby=sortedby, groupedby=groupedby,
                                   filter=filter_query, optimize=False)
    # No SIGALRM: Whoosh's alarm raises TimeLimit wherever the code happens to be,
    # even inside a postings read, which then surfaces as a CorruptIndexError.
    timed = TimeLimitCollector(collector, timelimit=max(0.05, deadline_seconds),
                               use_alarm=False)
    timed_out = False
    try:
        searcher.search_with_collector(query, timed)
    except TimeLimit:
        timed_out = True
    found = timed.results()
    collected = found.scored_length()
    if timed_out or (not facets and collected < depth):
        total = collected
    else:
        total = len(found) if facets else max(collected, found.estimated_length())
    groups = {name: found.groups(name) for name in facets} if facets and total else {}
    return Candidates(total=total, hits=list(islice(found, depth)), groups=groups,
                      complete=True, timed_out=timed_out)


def sort_facet(sort: str):
    """Whoosh's sort for "newest" and "oldest" (undated articles last either way), or None
    for relevance."""
    if sort == "newest":
        return sorting.FieldFacet("date", reverse=True)
    if sort == "oldest":
        undated = arraysearch.UNDATED_LAST.encode()
        return sorting.TranslateFacet(lambda v: v or undated, sorting.FieldFacet("date"))
    return None


def match(searcher, plan: QueryPlan, *, depth: int, sort: str, filter_query, facets: tuple,
          deadline_seconds) -> Candidates:
    """The plan's best ``depth`` candidates (by relevance, or ``sort`` "newest" or "oldest"),
    their number and facet counts. The arrays take what they can (``array_request``),
    whatever the order; the rest goes to Whoosh, all words first and any of them when no
    article has them all. Either way the order never changes which articles match."""
    whoosh = {"depth": depth, "sortedby": sort_facet(sort), "filter_query": filter_query,
              "facets": facets}
    by_date = None if sort == "relevance" else sort
    strict = array_request(plan, relaxed=False)
    found = None
    if strict is not None:
        found = arraysearch.search(searcher, strict, filter_query, depth, facets, by_date)
    if found is not None and not found.total:
        relaxed = array_request(plan, relaxed=True)
        if relaxed is None:
            return _any_of(searcher, plan, deadline_seconds, found, **whoosh)
        if relaxed.need < strict.need or len(relaxed.slots) > len(strict.slots):
            found = arraysearch.search(searcher, relaxed, filter_query, depth, facets, by_date)
    if found is not None:
        return Candidates(total=found.total, hits=found.hits, groups=found.groups,
                          complete=bool(found.complete))
    found = collect(searcher, whoosh_query(plan, relaxed=False),
                    deadline_seconds=deadline_seconds(), **whoosh)
    if found.total or found.timed_out:
        return found
    return _any_of(searcher, plan, deadline_seconds, found, **whoosh)


def browse(searcher, *, depth: int, sort: str, filter_query, facets: tuple) -> Candidates:
    """The articles a filter lets through, without a query: by date, from the columns."""
    found = arraysearch.browse(searcher, filter_query, depth, facets, sort)
    return Candidates(total=found.total, hits=found.hits, groups=found.groups, complete=True)


def _any_of(searcher, plan: QueryPlan, deadline_seconds, nothing, **whoosh) -> Candidates:
    """Articles holding any of the plan's words or phrases, through Whoosh's coordination,
    after the all-of search found ``nothing``; that answer stands for a single word or
    phrase."""
    if not _relaxable(plan):
        return Candidates(total=0, hits=[], groups=nothing.groups, complete=True)
    relaxed = collect(searcher, whoosh_query(plan, relaxed=True),
                      deadline_seconds=deadline_seconds(), **whoosh)
    relaxed.complete = False
    return relaxed
