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

from .analysis import SYLLABLE_RE, each_same_length, fold, fold_words, match_form
from .query import QueryPlan

TITLE_MATCH_WEIGHT = 20.0
TITLE_MATCH_POWER = 2.0
TITLE_MATCH_WORDS = 6
"""Queries of more words than this get a title bonus grown in proportion to their length:
first-stage scores are sums over the query's words, so the gaps between them grow with a
long query, and a headline typed in full must still outweigh a long article that merely
repeats its words. Shorter queries (keywords, topical searches) keep the bonus as it is."""
RERANK_DEPTH = 100
"""How many first-stage matches the second stage re-scores, whatever page is asked for."""


Form = tuple[tuple[str, str | None], ...]
"""A way of writing a word: per syllable, its folded form and, where the user wrote it
(typed with marks, or corrected to), its written form."""


def _forms(plan: QueryPlan) -> list[list[Form]]:
    """Each plain word of the plan as its forms (the reading, then alternatives)."""
    words = []
    for read in plan.units:
        for slot in read.slots:
            reading = tuple(
                (folded, exact if exact and exact != folded
                 and (slot.corrected or syllable.marked) else None)
                for folded, exact, syllable in zip(slot.folded, slot.exact, slot.syllables))
            others = [tuple((fold(k), None) for k in alt) for alt in slot.alternatives]
            words.append(list(dict.fromkeys([reading] + others)))
    return words


def title_likeness(words: list[list[Form]], text: str, folded_text: str) -> float:
    """Recall × precision of the query's words in the title's syllables, 0 to 1: folded,
    except that a word written with marks counts only in that spelling ("đường" is not in
    "Đại dương xanh").

    ``text`` is the title's ``match_form`` and ``folded_text`` its ``fold_words``, whose
    syllables a plain ``split`` finds. Folding maps letters to letters, so both hold the
    same syllables; the written ones are only split when a word found has a spelling to
    check (a hundred titles are read per query)."""
    folded = folded_text.split()
    if not words or not folded:
        return 0.0
    places: dict[str, list[int]] = {}
    for i, syllable in enumerate(folded):
        places.setdefault(syllable, []).append(i)
    written: list[str] | None = None
    found = 0.0
    covered: set[int] = set()
    for forms in words:
        for form in forms:
            at = places.get(form[0][0], ())
            if len(form) > 1:
                at = [i for i in at if _stands_at(form, folded, i)]
            if at:
                spelled = True
                if any(w is not None for _, w in form):
                    written = written or SYLLABLE_RE.findall(text)
                    spelled = any(_spelled_at(form, written, i) for i in at)
                found += 1.0 if spelled else OTHER_SPELLING_CREDIT
                covered.update(i for start in at for i in range(start, start + len(form)))
                break
    return (found / len(words)) * (len(covered) / len(folded))


OTHER_SPELLING_CREDIT = 0.5
"""A word the title holds only in another spelling counts this much: "Đại dương xanh" is
less like the query "đường" than a title with "đường", yet a tone mark typed wrong and not
corrected still leaves the headline most of its likeness."""


def _stands_at(form: Form, folded: list[str], i: int) -> bool:
    return tuple(folded[i:i + len(form)]) == tuple(f for f, _ in form)


def _spelled_at(form: Form, written: list[str], i: int) -> bool:
    return all(w is None or written[i + k] == w for k, (_, w) in enumerate(form))


def rerank(hits: list, titles: list[str], plan: QueryPlan) -> list[tuple[object, float]]:
    """The hits in their final order, each with its final score; ``titles`` are the hits'
    (only the first ``RERANK_DEPTH`` are read)."""
    words = _forms(plan)
    written = each_same_length(match_form, titles[:RERANK_DEPTH])
    folded = each_same_length(fold_words, written)
    weight = TITLE_MATCH_WEIGHT * max(1.0, len(words) / TITLE_MATCH_WORDS)
    head = []
    for hit, text, folded_text in zip(hits[:RERANK_DEPTH], written, folded, strict=False):
        likeness = title_likeness(words, text, folded_text)
        head.append(((hit.score or 0.0) + weight * likeness ** TITLE_MATCH_POWER, hit))
    head.sort(key=lambda item: -item[0])
    return [(hit, score) for score, hit in head] + [
        (hit, hit.score or 0.0) for hit in hits[RERANK_DEPTH:]]
