"""'Có phải bạn muốn tìm': restore diacritics from the archive's own text.

Diacritics are restored from the articles that best match the query, read in rank
order: the longest runs of consecutive query syllables found in their folded text give
each syllable its written form, so context picks "đảng bộ" over "dạng bó" and a name is
spelled as the archive spells it. Nothing is precomputed, so a fresh worker or a new
index costs nothing. Misspellings are corrected before searching (``spelling``), so a
suggestion only ever adds marks.
"""

from __future__ import annotations

import re
import time

from .analysis import (SYLLABLE_RE, folded_match_form, has_diacritics, match_form, nfc,
                       spaced_words, whole_word_spans)
from .query import FIELD_ALIASES, QueryPlan


def suggestion(plan: QueryPlan, thin: bool, texts: list[str], deadline: float) -> str | None:
    """The query with its missing diacritics restored from ``texts`` (the best matches' own
    text), or None. A query typed with marks is left as it is unless it found little
    (``thin``); a search out of time suggests nothing rather than answer late."""
    if (plan.parsed.accented and not thin) or time.monotonic() > deadline:
        return None
    return restored(plan.text, texts)


def corrected_text(plan: QueryPlan, texts: list[str], deadline: float) -> str:
    """The corrected query as the page names it, its unmarked words written as the best
    matches write them when there is time for that."""
    text = plan.corrected_text()
    if time.monotonic() > deadline:
        return text
    return restored(text, texts) or text


def restored(text: str, texts: list[str]) -> str | None:
    """``text`` with the diacritics it lacks restored from ``texts``, or None if unchanged.

    Syllables typed with marks are kept; field names ("title:") and excluded words are
    never touched.
    """
    words = suggestable_syllables(text)
    if not words:
        return None
    keys = [folded_match_form(w) for _, w in words]
    forms = restore_from_texts(keys, texts)
    final = [match_form(word) if has_diacritics(word) else (form or key)
             for (_, word), key, form in zip(words, keys, forms)]
    result = restore_text(text, [span for span, _ in words], final)
    return result if result.lower() != text.lower() else None


def restore_from_texts(folded_keys: list[str], texts: list[str]) -> list[str | None]:
    """The written form of each folded query syllable, as the given texts write it.

    Runs are taken longest first, then by the order of ``texts`` (best match first);
    syllables found in no text stay ``None``. Only the query's syllables are looked for in
    the folded text, each run grown one syllable at a time from there (an article body has
    a thousand syllables, a query ten); a syllable's written form is read off the original
    where it was found (``match_form`` works within a syllable).
    """
    runs: list[tuple[int, int, int, int, list[str]]] = []
    for rank, text in enumerate(texts):
        spaced = spaced_words(text)
        for i, key in enumerate(folded_keys):
            for start, end in whole_word_spans(spaced, key):
                forms = [match_form(text[start:end])]
                while i + len(forms) < len(folded_keys):
                    following = SYLLABLE_RE.search(spaced, end + 1)
                    if following is None or following.group() != folded_keys[i + len(forms)]:
                        break
                    end = following.end() - 1
                    forms.append(match_form(text[following.start() - 1:end]))
                runs.append((-len(forms), rank, i, start, forms))
    restored: list[str | None] = [None] * len(folded_keys)
    for _, _, i, _, forms in sorted(runs, key=lambda run: run[:4]):
        for offset, form in enumerate(forms):
            if restored[i + offset] is None:
                restored[i + offset] = form
        if all(restored):
            break
    return restored


_EXCLUSION_RE = re.compile(r'(?<!\S)-(?:"[^"]*"?|\S+)')


def suggestable_syllables(text: str) -> list[tuple[tuple[int, int], str]]:
    """The syllables a suggestion may rewrite: not field names ("title:") nor exclusions.

    Excluded words are absent from the matching articles by definition, so those cannot
    tell how to write them.
    """
    text = nfc(text)
    excluded = [m.span() for m in _EXCLUSION_RE.finditer(text)]
    out = []
    for match in SYLLABLE_RE.finditer(text):
        if text.startswith(":", match.end()) and match.group().lower() in FIELD_ALIASES:
            continue
        if any(start <= match.start() < end for start, end in excluded):
            continue
        out.append((match.span(), match.group()))
    return out


def restore_text(query: str, spans: list[tuple[int, int]], restored: list[str]) -> str:
    """Put restored syllables back into the user's text, keeping its punctuation and case."""
    text = nfc(query)
    pieces: list[str] = []
    pos = 0
    for (start, end), new in zip(spans, restored):
        pieces.append(text[pos:start])
        old = text[start:end]
        if old[:1].isupper():
            new = new[:1].upper() + new[1:]
        if old.isupper() and len(old) > 1:
            new = new.upper()
        pieces.append(new)
        pos = end
    pieces.append(text[pos:])
    return "".join(pieces)
