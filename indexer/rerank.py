"""Second-stage ranking of the best first-stage matches, with evidence Whoosh cannot sum.

Whoosh adds up per-term scores, which cannot tell a headline typed in full from a few
keywords that happen to sit in some headline. Here the top matches are re-scored with:

- title likeness: how much of the query the title holds and how much of the title the
  query holds, raised to a power so only a near-complete match counts — a user who
  types a headline gets that article, while keyword searches keep ranking by the body;
- coverage (only when no article had every word): articles with more of the query's
  words come first, whatever their score.
"""

from __future__ import annotations

from .analysis import SYLLABLE_RE, fold, folded_match_form, match_form, ngrams
from .query import ParsedQuery

TITLE_MATCH_WEIGHT = 15.0
TITLE_MATCH_POWER = 2.0


def title_likeness(query_keys: list[str], title_keys: list[str]) -> float:
    """Recall × precision of the query's syllables in the title, 0 to 1."""
    if not query_keys or not title_keys:
        return 0.0
    wanted, title = set(query_keys), set(title_keys)
    common = len(wanted & title)
    return (common / len(wanted)) * (common / len(title))


def _query_keys(parsed: ParsedQuery) -> tuple[list[str], bool]:
    keys = [k for unit in parsed.all_units() for k in unit.keys]
    if parsed.accented:
        return keys, True
    return [fold(k) for k in keys], False


def _title_keys(title: str, accented: bool) -> list[str]:
    form = match_form(title) if accented else folded_match_form(title)
    return SYLLABLE_RE.findall(form)


def _coverage_of(parsed: ParsedQuery):
    """How many of the query's words a hit matched; a compound found as a word counts once more."""
    units = parsed.all_units()
    syllables = {k.encode() for unit in units for k in unit.folded}
    compounds = {("wfold", g.encode()) for unit in units for g in ngrams(list(unit.folded))}
    compounds |= {("word", g.encode()) for unit in units for g in ngrams(list(unit.keys))}

    def coverage(hit) -> int:
        return len({fold(text.decode()) for field, text in hit.matched_terms()
                    if (field == "fold" and text in syllables) or (field, text) in compounds})

    return coverage


def rerank(hits: list, titles: list[str], parsed: ParsedQuery, relaxed: bool
           ) -> list[tuple[object, float]]:
    """The hits in their final order, each with its final score; ``titles`` are the hits'."""
    query_keys, accented = _query_keys(parsed)
    coverage = _coverage_of(parsed) if relaxed else (lambda hit: 0)
    scored = []
    for hit, title in zip(hits, titles, strict=True):
        likeness = title_likeness(query_keys, _title_keys(title, accented))
        score = (hit.score or 0.0) + TITLE_MATCH_WEIGHT * likeness ** TITLE_MATCH_POWER
        scored.append((coverage(hit), score, hit))
    scored.sort(key=lambda item: (-item[0], -item[1]))
    return [(hit, score) for _, score, hit in scored]
