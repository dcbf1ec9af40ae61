"""Second-stage ranking of the best first-stage matches, with evidence Whoosh cannot sum.

Whoosh adds up per-term scores, which cannot tell a headline typed in full from a few
keywords that happen to sit in some headline. Here the top ``RERANK_DEPTH`` matches are
re-scored with title likeness: how much of the query the title holds and how much of the
title the query holds, raised to a power so only a near-complete match counts. A user who
types a headline gets that article (with a typo, a wrong tone mark or an abbreviation
too: the likeness is over the plan's words, folded, each with its other forms), while
keyword searches keep ranking by the body. Matches below that depth keep their
first-stage order, so every page of results is cut from the same ranking.
"""

from __future__ import annotations

from .analysis import SYLLABLE_RE, fold, folded_match_form
from .query import QueryPlan

TITLE_MATCH_WEIGHT = 20.0
TITLE_MATCH_POWER = 2.0
RERANK_DEPTH = 100
"""How many first-stage matches the second stage re-scores, whatever page is asked for."""


def _forms(plan: QueryPlan) -> list[list[tuple[str, ...]]]:
    """Each plain word of the plan as its folded forms (the reading, then alternatives)."""
    words = []
    for read in plan.units:
        for slot in read.slots:
            forms = [slot.folded] + [tuple(fold(k) for k in alt) for alt in slot.alternatives]
            words.append(list(dict.fromkeys(forms)))
    return words


def title_likeness(words: list[list[tuple[str, ...]]], title: list[str]) -> float:
    """Recall × precision of the query's words in the title's folded syllables, 0 to 1."""
    if not words or not title:
        return 0.0
    places: dict[str, list[int]] = {}
    for i, syllable in enumerate(title):
        places.setdefault(syllable, []).append(i)
    found = 0
    covered: set[int] = set()
    for forms in words:
        for form in forms:
            at = [i for i in places.get(form[0], ()) if tuple(title[i:i + len(form)]) == form]
            if at:
                found += 1
                covered.update(i for start in at for i in range(start, start + len(form)))
                break
    return (found / len(words)) * (len(covered) / len(title))


def rerank(hits: list, titles: list[str], plan: QueryPlan) -> list[tuple[object, float]]:
    """The hits in their final order, each with its final score; ``titles`` are the hits'
    (only the first ``RERANK_DEPTH`` are read)."""
    words = _forms(plan)
    head = []
    for hit, title in zip(hits[:RERANK_DEPTH], titles, strict=False):
        likeness = title_likeness(words, SYLLABLE_RE.findall(folded_match_form(title)))
        head.append(((hit.score or 0.0) + TITLE_MATCH_WEIGHT * likeness ** TITLE_MATCH_POWER,
                     hit))
    head.sort(key=lambda item: -item[0])
    return [(hit, score) for score, hit in head] + [
        (hit, hit.score or 0.0) for hit in hits[RERANK_DEPTH:]]
