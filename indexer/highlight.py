"""Highlight query words in display text, and pick the best snippet.

Matching runs on a normalized copy of the text (``match_form`` or ``folded_match_form``),
which has the same length as the original, so every span found is a span of what the
reader sees. Adjacent matched syllables merge into one mark, so a compound word or a phrase
("Đảng bộ Khối") is highlighted as one unit, every time it occurs. No word segmentation is
re-run for display.

Text is escaped first and ``<mark>`` inserted around escaped pieces, never the reverse.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from itertools import accumulate

from markupsafe import Markup, escape

from .analysis import fold, match_form, phrase_pattern

_JOINABLE = re.compile(r"[ \t\u00a0]+")


def _pattern(keys: Iterable[str]) -> re.Pattern[str] | None:
    unique = sorted({k for k in keys if k}, key=len, reverse=True)
    if not unique:
        return None
    return re.compile(
        r"(?<![^\W_])(?:" + "|".join(map(re.escape, unique)) + r")(?![^\W_])"
    )


def find_spans(text: str, keys: list[str], accented: bool,
               phrases: Iterable[tuple[str, ...]] = ()) -> list[tuple[int, int]]:
    """Spans of ``text`` matching ``keys``, exact spelling first when the user typed marks,
    and where the folded ``phrases`` occur whole."""
    spans: list[tuple[int, int]] = []
    matched = match_form(text)
    folded = ""
    if accented:
        pattern = _pattern(keys)
        if pattern:
            spans = [m.span() for m in pattern.finditer(matched)]
    if not spans:
        pattern = _pattern(fold(k) for k in keys)
        if pattern:
            folded = fold(matched)
            spans = [m.span() for m in pattern.finditer(folded)]
    phrases = list(phrases)
    if phrases:
        folded = folded or fold(matched)
        for words in phrases:
            spans += [m.span() for m in phrase_pattern(words).finditer(folded)]
        spans = _union(sorted(spans))
    return _merge(text, spans)


def _union(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    joined: list[tuple[int, int]] = []
    for start, end in spans:
        if joined and start < joined[-1][1]:
            joined[-1] = (joined[-1][0], max(end, joined[-1][1]))
        else:
            joined.append((start, end))
    return joined


def _merge(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and _JOINABLE.fullmatch(text, merged[-1][1], start):
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


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
    """The window of about ``width`` characters with the most matched text, as HTML and text.

    Longer marks (a whole phrase or compound) weigh more than as many scattered syllables.
    """
    if not text:
        return Markup(""), ""
    starts, ends = [s for s, _ in spans], [e for _, e in spans]
    total = list(accumulate(((e - s) ** 2 for s, e in spans), initial=0))
    best, best_weight = (0, _word_boundary_after(text, min(len(text), width))), -1
    for start in starts:
        lo, hi = _window(text, start, width)
        weight = total[bisect_right(ends, hi)] - total[bisect_left(starts, lo)]
        if weight > best_weight:
            best, best_weight = (lo, hi), weight
    lo, hi = best
    inner = [(max(s, lo) - lo, min(e, hi) - lo) for s, e in spans if e > lo and s < hi]
    piece = text[lo:hi].replace("\n\n", " ¶ ").replace("\n", " ")
    prefix = "… " if lo > 0 else ""
    suffix = " …" if hi < len(text) else ""
    inner = _shift(text[lo:hi], inner)
    html = Markup(prefix) + mark(piece, inner) + Markup(suffix)
    return html, prefix + piece + suffix


def _window(text: str, start: int, width: int) -> tuple[int, int]:
    """The displayed piece for a window whose first mark starts at ``start``: a fifth of
    the width of context before it, cut at word boundaries."""
    lo = _word_boundary_before(text, max(0, start - width // 5))
    return lo, _word_boundary_after(text, min(len(text), lo + width))


def _shift(original: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Map spans of ``original`` onto it after paragraph breaks became " ¶ " (one char → three)."""
    breaks = [m.start() for m in re.finditer("\n\n", original)]
    if not breaks:
        return spans

    def moved(offset: int) -> int:
        return offset + sum(1 for b in breaks if b < offset)

    return [(moved(s), moved(e)) for s, e in spans]


def _word_boundary_before(text: str, pos: int) -> int:
    if pos <= 0:
        return 0
    space = text.rfind(" ", max(0, pos - 30), pos)
    newline = text.rfind("\n", max(0, pos - 30), pos)
    cut = max(space, newline)
    return cut + 1 if cut >= 0 else pos


def _word_boundary_after(text: str, pos: int) -> int:
    if pos >= len(text):
        return len(text)
    space = text.find(" ", pos, pos + 30)
    return space if space >= 0 else pos
