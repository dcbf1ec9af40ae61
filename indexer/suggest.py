"""'Có phải bạn muốn tìm': restore diacritics and correct typos from the archive's own text.

Diacritics are restored from the articles that best match the query, read in rank
order: the longest runs of consecutive query syllables found in their folded text give
each syllable its written form, so context picks "đảng bộ" over "dạng bó" and a name is
spelled as the archive spells it. Nothing is precomputed, so a fresh worker or a new
index costs nothing. A syllable the archive does not know at all is replaced by its most
frequent neighbour within one edit.
"""

from __future__ import annotations

import re
import string
from collections import defaultdict

from .analysis import SYLLABLE_RE, fold, match_form, nfc
from .query import FIELD_ALIASES


def restore_from_texts(folded_keys: list[str], texts: list[str]) -> list[str | None]:
    """The written form of each folded query syllable, as the given texts write it.

    Runs are taken longest first, then by the order of ``texts`` (best match first);
    syllables found in no text stay ``None``.
    """
    runs: list[tuple[int, int, int, int, list[str]]] = []
    for rank, text in enumerate(texts):
        written = match_form(text)
        folded = fold(written)
        spans = [m.span() for m in SYLLABLE_RE.finditer(folded)]
        doc = [folded[s:e] for s, e in spans]
        positions: dict[str, list[int]] = defaultdict(list)
        for p, syllable in enumerate(doc):
            positions[syllable].append(p)
        for i, key in enumerate(folded_keys):
            for p in positions.get(key, ()):
                length = 1
                while (i + length < len(folded_keys) and p + length < len(doc)
                       and doc[p + length] == folded_keys[i + length]):
                    length += 1
                forms = [written[s:e] for s, e in spans[p : p + length]]
                runs.append((-length, rank, i, p, forms))
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


_FOLDED_LETTERS = string.ascii_lowercase + string.digits


def one_edit_away(key: str) -> set[str]:
    """Every string one deletion, insertion, substitution or swap of neighbours from
    ``key``, over the letters folded syllables are made of.

    Looking these few hundred strings up is milliseconds; Whoosh's ``terms_within``
    computes an edit distance to every term of the lexicon, about a second per syllable
    on 10,000 articles.
    """
    found = set()
    for i in range(len(key) + 1):
        head, tail = key[:i], key[i:]
        if tail:
            found.add(head + tail[1:])
        if len(tail) > 1:
            found.add(head + tail[1] + tail[0] + tail[2:])
        for letter in _FOLDED_LETTERS:
            found.add(head + letter + tail)
            if tail:
                found.add(head + letter + tail[1:])
    found.discard(key)
    found.discard("")
    return found


_VOWEL = re.compile("[aeiouy]")


def correct_typos(reader, folded_keys: list[str]) -> list[str]:
    """Replace folded syllables absent from the archive by their most frequent near neighbour.

    Every Vietnamese syllable has a vowel, so a word without one that the archive does not
    hold is a code, an abbreviation or markup ("src", "x"), never a misspelt syllable.
    """
    fixed = []
    for key in folded_keys:
        if key.isdigit() or not _VOWEL.search(key) or reader.doc_frequency("fold", key):
            fixed.append(key)
            continue
        candidates = [(n, c) for c in one_edit_away(key) if (n := reader.doc_frequency("fold", c))]
        fixed.append(max(candidates)[1] if candidates else key)
    return fixed
