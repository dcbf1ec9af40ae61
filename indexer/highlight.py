"""Highlight what the query plan matched in display text, and pick the best snippet.

Matching runs on a normalized copy of the text (``match_form`` and its folded form), which
has the same length as the original, so every span found is a span of what the reader
sees. Each word of the plan is marked as the plan reads it: where it has a written form
(typed with marks, corrected or restored: "bóng đá", "Việt Nam" for "viet nam"), only that
spelling is marked ("đã" is not "đá", "năm" is not "Nam"); a word the plan leaves to any
marks is marked in every spelling. Only if a text holds none of a word's written form,
its other spellings (what the article matched with) are marked instead. An abbreviation's
long forms and phrases are marked where they stand whole. Adjacent marks merge, so a
compound or a phrase ("Đảng bộ Khối") is highlighted as one unit, every time it occurs.

Text is escaped first and ``<mark>`` inserted around escaped pieces, never the reverse.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from itertools import accumulate

from markupsafe import Markup, escape

from .analysis import (fold, fold_words, lower_same_length, normalize_tone_style,
                       phrase_pattern, whole_word_spans)
from .query import QueryPlan

_JOINABLE = " \t\u00a0"


@dataclass(frozen=True)
class Marks:
    """What to mark, read off a plan: syllables (folded, with the written form that alone
    counts, or None) and runs of folded syllables marked only where they stand whole."""

    syllables: list[tuple[str, str | None]] = field(default_factory=list)
    runs: list[tuple[str, ...]] = field(default_factory=list)


def marks_for(plan: QueryPlan) -> Marks:
    marks = Marks()
    for read in plan.units:
        if read.unit.phrase and len(read.unit.keys) > 1:
            marks.runs.append(read.unit.folded)
            continue
        for slot in read.slots:
            if len(slot.keys) == 1:
                marks.syllables.append((slot.folded[0], slot.exact[0]))
            else:
                marks.runs.append(slot.folded)
            marks.runs.extend(tuple(fold(k) for k in alt) for alt in slot.alternatives
                              if len(alt) > 1)
            marks.syllables.extend((fold(alt[0]), None) for alt in slot.alternatives
                                   if len(alt) == 1 and fold(alt[0]) != slot.folded[0])
    return marks


def find_spans(text: str, marks: Marks) -> list[tuple[int, int]]:
    """Spans of ``text`` holding the plan's words, as the plan reads them."""
    if not text or not (marks.syllables or marks.runs):
        return []
    lowered = lower_same_length(text)
    spaced = f" {fold_words(lowered)} "
    spans: list[tuple[int, int]] = []
    wanted: dict[str, set[str | None]] = {}
    for key, exact in marks.syllables:
        wanted.setdefault(key, set()).add(exact)
    # A common syllable recurs in the same spelling: each spelling is normalised once.
    written: dict[str, str] = {}
    for key, exact in wanted.items():
        places = whole_word_spans(spaced, key)
        if None not in exact:
            kept = []
            for start, end in places:
                piece = lowered[start:end]
                form = written.get(piece)
                if form is None:
                    form = written[piece] = normalize_tone_style(piece)
                if form in exact:
                    kept.append((start, end))
            places = kept or places
        spans += places
    for run in dict.fromkeys(marks.runs):
        pattern = phrase_pattern(run)
        spans += [(m.start() - 1, m.end() - 1) for start, _ in whole_word_spans(spaced, run[0])
                  if (m := pattern.match(spaced, start + 1))]
    return _joined(text, sorted(spans))


def article_spans(title: str, body: str, marks: Marks
                  ) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Spans of the title and of the body, each word's spelling chosen once for the whole
    article: when the body has "đá", the "đã" of a title without "đá" is another word, not
    the spelling the article matched with, and is not marked."""
    gap = "\n\n"
    body_start = len(title) + len(gap)
    spans = find_spans(title + gap + body, marks)
    return ([(s, min(e, len(title))) for s, e in spans if s < len(title)],
            [(max(s, body_start) - body_start, e - body_start) for s, e in spans
             if e > body_start])


def _joined(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted spans made one where they overlap or only spaces (no line break) part them."""
    joined: list[tuple[int, int]] = []
    for start, end in spans:
        if joined:
            first, last = joined[-1]
            if start < last:
                joined[-1] = (first, max(end, last))
                continue
            if start > last and not text[last:start].strip(_JOINABLE):
                joined[-1] = (first, end)
                continue
        joined.append((start, end))
    return joined


def mark(text: str, spans: list[tuple[int, int]]) -> Markup:
    out: list[str] = []
    pos = 0
    for start, end in spans:
        out.append(escape(text[pos:start]))
        out.append(Markup("<mark>") + escape(text[start:end]) + Markup("</mark>"))
        pos = end
    out.append(escape(text[pos:]))
    return Markup("").join(out)


def snippet(
    text: str, spans: list[tuple[int, int]], width: int = 240
) -> tuple[Markup, str]:
    """The snippet as HTML and as text."""
    shown, marks = snippet_spans(text, spans, width)
    return mark(shown, marks), shown


def snippet_spans(
    text: str, spans: list[tuple[int, int]], width: int = 240
) -> tuple[str, list[tuple[int, int]]]:
    """The window of about ``width`` characters with the most matched text, and the marks
    inside it (each renderer, HTML or terminal, draws them its own way).

    Longer marks (a whole phrase or compound) weigh more than as many scattered syllables.
    A window runs on into the next paragraph only where the paragraph ends like a sentence,
    and the two are then joined with a space, as running text; it never runs past a
    heading, byline or caption (no sentence end), so the snippet needs no paragraph sign.
    """
    if not text:
        return "", []
    breaks = _hard_breaks(text)
    starts, ends = [s for s, _ in spans], [e for _, e in spans]
    total = list(accumulate(((e - s) ** 2 for s, e in spans), initial=0))
    best, best_score = _window(text, 0, width, breaks), (-1, 0)
    for start in starts:
        # A window placed for this mark lies within these bounds (its edges move at most
        # to the next word boundary): one that cannot hold more than the best so far is
        # not placed at all.
        earliest = start - width // 5 - _BOUNDARY_SEARCH
        latest = start + width + _BOUNDARY_SEARCH
        if (total[bisect_right(ends, latest)] - total[bisect_left(starts, earliest)]
                < best_score[0]):
            continue
        lo, hi = _window(text, start, width, breaks)
        # Among windows as good, the first that is not cut short by a heading.
        score = (total[bisect_right(ends, hi)] - total[bisect_left(starts, lo)],
                 min(hi - lo, width))
        if score > best_score:
            best, best_score = (lo, hi), score
    lo, hi = best
    inner = [(max(s, lo), min(e, hi)) for s, e in spans if e > lo and s < hi]
    piece, inner = _running_text(text, lo, hi, inner)
    prefix = "… " if lo > 0 else ""
    suffix = " …" if hi < len(text) else ""
    inner = [(s + len(prefix), e + len(prefix)) for s, e in inner]
    return prefix + piece + suffix, inner


_SENTENCE_END = re.compile(r"[.!?…:;][\"'”’»)\]]*$")


def _hard_breaks(text: str) -> list[int]:
    """Where paragraphs end without ending a sentence: a window stops there."""
    return [m.start() for m in re.finditer("\n\n", text)
            if not _SENTENCE_END.search(text, max(0, m.start() - 8), m.start())]


def _window(text: str, start: int, width: int, breaks: list[int]) -> tuple[int, int]:
    """The displayed piece for a window whose first mark starts at ``start``: a fifth of
    the width of context before it, cut at word boundaries and at the paragraph breaks
    on either side that running text cannot cross."""
    before = bisect_right(breaks, start - 1)
    first = breaks[before - 1] + 2 if before else 0
    last = breaks[before] if before < len(breaks) else len(text)
    lo = max(first, _word_boundary_before(text, max(0, start - width // 5)))
    hi = min(last, _word_boundary_after(text, min(len(text), lo + width)))
    return lo, hi


def _running_text(text: str, lo: int, hi: int, spans: list[tuple[int, int]]
                  ) -> tuple[str, list[tuple[int, int]]]:
    """``text[lo:hi]`` on one line (a paragraph break becomes one space, a line break
    another), with ``spans`` (offsets into ``text``) moved onto it."""
    piece = text[lo:hi]
    joins = [lo + m.start() + 1 for m in re.finditer("\n\n", piece)]

    def moved(offset: int) -> int:
        return offset - lo - bisect_left(joins, offset)

    shown = piece.replace("\n\n", " ").replace("\n", " ")
    return shown, [(moved(s), moved(e)) for s, e in spans]


_BOUNDARY_SEARCH = 30
"""How far a window's edge moves to reach a word boundary."""


def _word_boundary_before(text: str, pos: int) -> int:
    if pos <= 0:
        return 0
    space = text.rfind(" ", max(0, pos - _BOUNDARY_SEARCH), pos)
    newline = text.rfind("\n", max(0, pos - _BOUNDARY_SEARCH), pos)
    cut = max(space, newline)
    return cut + 1 if cut >= 0 else pos


def _word_boundary_after(text: str, pos: int) -> int:
    if pos >= len(text):
        return len(text)
    space = text.find(" ", pos, pos + _BOUNDARY_SEARCH)
    return space if space >= 0 else pos
