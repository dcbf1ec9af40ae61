"""Read a query's syllables against the archive's own statistics: typos, wrong tone marks
and missing diacritics.

Nothing here is a word list: every decision comes from how many articles hold a syllable
(with or without marks), a pair of adjacent syllables (the ``pair`` field) or a compound
word with its marks (the ``word`` field, pyvi's words). A syllable is corrected only when
the archive does not know it as typed (or, with marks, when its neighbour and it never form
a word while a sibling spelling forms a common one); diacritics are restored where the
user typed none, the most likely spelling given the neighbours.
"""

from __future__ import annotations

import math
import re
import string
import time
import unicodedata
from collections.abc import Sequence

from .analysis import fold, normalize_tone_style

_FOLDED_LETTERS = string.ascii_lowercase + string.digits
_TONE_MARKS = "\u0300\u0301\u0309\u0303\u0323"
"""Grave, acute, hook, tilde, dot below."""
_VOWEL = re.compile("[aeiouy]")
FORMS_PER_SYLLABLE = 6
"""Written forms of one folded syllable weighed when restoring or correcting: the most
common few hold nearly every occurrence ("ban": bạn, bản, ban, bán, bàn, băn)."""
PAIR_WEIGHT = 3.0
"""How much more a neighbour's agreement counts than the syllable's own frequency."""
RARE_ARTICLES = 3
FAR_MORE_LIKELY = 20
"""A syllable the archive holds in at most ``RARE_ARTICLES`` articles (as typed) is a
typo that happens to exist ("bệnh việ": one article has "việ") when no article has it next
to the query's neighbours and a syllable one edit away stands there in at least
``FAR_MORE_LIKELY``: it is corrected as an unknown one is. A rare word that the archive
writes beside its neighbours (a name: "Chiu Chung Hei", where "hai" is far commoner), or
with no neighbour at all, is taken as typed."""
WRONG_TONE_MIN_ARTICLES = 5
WRONG_TONE_SHARE = 0.5
"""A spelling is only replaced by a sibling that forms a word with its neighbour in at
least this many articles, and in at least this share of those where the two folded
syllables stand side by side."""


FORMS_CACHED = 20_000
"""Folded syllables whose written forms are remembered per index reader: looking up a
syllable's few dozen possible spellings costs about a millisecond, and the same
syllables come back query after query."""


FREQUENCIES_CACHED = 200_000
"""Document frequencies remembered per index reader (then it starts over)."""


class Vocabulary:
    """Document frequencies of one index generation, remembered per reader: restoring
    diacritics asks for every pair of candidate spellings of neighbouring syllables, the
    same pairs query after query, and each answer is a sum over the segments."""

    def __init__(self, reader):
        self.reader = reader
        self._known = reader.__dict__.setdefault("_vnsearch_vocabulary", {})

    def _frequency(self, fieldname: str, text: str) -> int:
        key = (fieldname, text)
        frequency = self._known.get(key)
        if frequency is None:
            if len(self._known) >= FREQUENCIES_CACHED:
                self._known.clear()
            frequency = self._known[key] = self.reader.doc_frequency(fieldname, text)
        return frequency

    def folded(self, key: str) -> int:
        return self._frequency("fold", key)

    def exact(self, key: str) -> int:
        return self._frequency("syl", key)

    def pair(self, first: str, second: str) -> int:
        """Articles where the two folded syllables stand next to each other."""
        return self._frequency("pair", f"{first}_{second}")

    def compound(self, keys: Sequence[str], folded: bool = False) -> int:
        """Articles holding these syllables as one pyvi word (``đảng_bộ``)."""
        return self._frequency("wfold" if folded else "word", "_".join(keys))

    def forms(self, folded_key: str) -> list[tuple[str, int]]:
        """The written forms of a folded syllable the archive holds, most common first,
        with their counts (at most ``FORMS_PER_SYLLABLE``)."""
        cache = self.reader.__dict__.setdefault("_vnsearch_forms", {})
        forms = cache.get(folded_key)
        if forms is None:
            written = self.reader.__dict__.get(WRITTEN_KEY)
            candidates = spellings(folded_key)
            if written is not None:  # only the spellings the archive has are looked up
                held = set().union(*(segment.get(folded_key, ()) for segment in written))
                candidates = sorted(held.intersection(candidates))
            found = [(form, n) for form in candidates if (n := self.exact(form))]
            forms = sorted(found, key=lambda f: (-f[1], f[0]))[:FORMS_PER_SYLLABLE]
            if len(cache) >= FORMS_CACHED:
                cache.clear()
            cache[folded_key] = forms
        return forms


WRITTEN_KEY = "_vnsearch_written"
"""Where a reader keeps its segments' written forms (a list, one mapping per segment)."""
SEGMENT_WRITTEN_KEY = "_vnsearch_segment_written"
"""Where a segment reader keeps its own written forms."""


def read_written_forms(reader) -> None:
    """Group every written syllable of the index by its folded form, once per reader.

    A syllable's forms are otherwise found by looking up each of its few hundred possible
    spellings, nearly all absent, in the on-disk term dictionary (about 40 us each): the
    first pass over the public queries spent 4 of its 8 extra seconds there. Reading the
    lexicon takes about 0.8 s on 79,147 articles, worth it for a server worker before its
    first request (``warmup``), not for one ``vnsearch search``; the forms found are the
    same either way (the spellings the archive holds).

    Each segment's forms are kept with its reader and looked up segment by segment, so
    that a reopened index (after an incremental run) reads only its new segments'
    lexicons (``live``) and merges nothing."""
    written = []
    for leaf, _ in reader.leaf_readers():
        if SEGMENT_WRITTEN_KEY not in leaf.__dict__:
            leaf.__dict__[SEGMENT_WRITTEN_KEY] = _written_forms(leaf)
        written.append(leaf.__dict__[SEGMENT_WRITTEN_KEY])
    reader.__dict__[WRITTEN_KEY] = written


def _written_forms(reader) -> dict[str, list[str]]:
    written: dict[str, list[str]] = {}
    for term in reader.lexicon("syl"):
        text = term.decode("utf-8")
        written.setdefault(fold(text), []).append(text)
    return written


_SHAPES = {"a": "aăâ", "e": "eê", "o": "oôơ", "u": "uư", "i": "i", "y": "y", "d": "dđ"}
_TONED = {
    base: [unicodedata.normalize("NFC", base + mark) for mark in _TONE_MARKS]
    for base in "aăâeêioôơuưy"
}
MAX_SPELLINGS = 400
"""A folded syllable's spellings are generated and looked up; longer strings (a name, a
foreign word) would have thousands, and are left as typed."""


def spellings(folded_key: str) -> list[str]:
    """Every way to write a folded syllable with Vietnamese marks (vowel shapes, đ, and a
    tone on one vowel), in the index's tone-mark style. Looking these few dozen up is
    cheaper than reading the whole lexicon to group it by folded form."""
    if not folded_key.isascii() or not folded_key.isalpha():
        return []
    choices = [_SHAPES.get(c, c) for c in folded_key]
    if math.prod(len(c) for c in choices) * 6 > MAX_SPELLINGS:
        return []
    shapes = [""]
    for options in choices:
        shapes = [head + c for head in shapes for c in options]
    forms = set()
    for shape in shapes:
        forms.add(shape)
        for i, c in enumerate(shape):
            for toned in _TONED.get(c, ()):
                forms.add(normalize_tone_style(shape[:i] + toned + shape[i + 1:]))
    return sorted(forms)


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


_SYLLABLE_SHAPE = re.compile(
    "(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnpqrstvx])?"
    "[aeiouy]{1,3}(?:ch|ng|nh|[cmnptiouy])?")
"""The letters of a Vietnamese syllable once folded: an onset, one to three vowels, and
an ending."""
MAX_CORRECTABLE_LETTERS = 9
"""Longer strings are no Vietnamese syllable (the longest, "nghiêng", has 7 letters) and
their one-edit neighbourhoods are large (each candidate is a look-up in every segment):
they are never corrected."""


def correctable(key: str) -> bool:
    """Whether a syllable could be a misspelt Vietnamese one: not a number, and with a
    vowel (no Vietnamese syllable lacks one: "src" or "x" is a code, not a typo)."""
    folded = fold(key)
    return (len(folded) <= MAX_CORRECTABLE_LETTERS and not folded.isdigit()
            and bool(_VOWEL.search(folded)))


def _context(vocabulary: Vocabulary, before: str | None, key: str, after: str | None) -> float:
    """How well a folded syllable fits between its folded neighbours."""
    agree = 0.0
    if before:
        agree += math.log1p(vocabulary.pair(before, key))
    if after:
        agree += math.log1p(vocabulary.pair(key, after))
    return agree


def _pairs(vocabulary: Vocabulary, before: str | None, key: str, after: str | None) -> int:
    """Articles where a folded syllable stands next to one of its folded neighbours."""
    return ((vocabulary.pair(before, key) if before else 0)
            + (vocabulary.pair(key, after) if after else 0))


def correct_unknown(vocabulary: Vocabulary, keys: list[str], marked: list[bool],
                    deadline: float | None = None) -> list[str]:
    """Each syllable the archive does not know as typed, replaced by the known syllable one
    edit away that is most common and fits its neighbours best; others unchanged.

    A syllable typed with marks that the archive never writes so is given the archive's
    spelling of the same letters ("tưóng" → "tướng"), or of a syllable one edit away when
    the letters are unknown too ("phầ" → "phần"); one typed without marks becomes a folded
    syllable."""
    out = list(keys)
    folded = [fold(k) for k in keys]
    for i, key in enumerate(keys):
        if deadline is not None and time.monotonic() > deadline:
            break  # the rest as typed: the search itself must keep its budget
        if not correctable(key):
            continue
        known = vocabulary.exact(key) if marked[i] else vocabulary.folded(key)
        before = fold(out[i - 1]) if i else None
        after = folded[i + 1] if i + 1 < len(keys) else None
        if known and (known > RARE_ARTICLES or not (before or after)
                      or _pairs(vocabulary, before, folded[i], after)):
            continue
        if (not known and marked[i] and vocabulary.folded(folded[i])
                and _SYLLABLE_SHAPE.fullmatch(folded[i])):
            # The letters are right, the marks are not. A marked syllable is Vietnamese:
            # letters of another shape ("hàg" as the "Hag" of a name) are a typo.
            candidates = [folded[i]]
        else:
            candidates = sorted(one_edit_away(folded[i]))
            if _SYLLABLE_SHAPE.fullmatch(folded[i]) or marked[i]:
                # A misspelt Vietnamese syllable is one edit from another one: the few
                # hundred strings of other shapes need not be looked up.
                candidates = [c for c in candidates if _SYLLABLE_SHAPE.fullmatch(c)]
        typed_marks = _marked_letters(key) if marked[i] else set()
        best: tuple[tuple[int, float], str] | None = None
        for candidate in candidates:
            frequency = vocabulary.folded(candidate)
            if not frequency:
                continue
            # The marked letters typed are evidence too: "đừg" is "đừng" (one letter
            # missing), not the commoner "đủ" (which keeps neither "ừ" nor the "g") nor
            # "đừ" (as close, far rarer as written).
            kept, keeping = _forms_keeping(vocabulary, candidate, typed_marks)
            if kept:
                frequency = sum(count for _, count in keeping)
            fit = (kept, math.log(frequency)
                   + PAIR_WEIGHT * _context(vocabulary, before, candidate, after))
            if best is None or fit > best[0]:
                best = (fit, candidate)
        if best is None or (known and _pairs(vocabulary, before, best[1], after)
                            < FAR_MORE_LIKELY):
            continue
        out[i] = _written(vocabulary, best[1], key, out[i - 1] if i else None,
                          keys[i + 1] if i + 1 < len(keys) else None) if marked[i] else best[1]
    return out


def _written(vocabulary: Vocabulary, folded_key: str, typed: str, before: str | None,
             after: str | None) -> str:
    """The written form of a folded syllable that best fits its (written) neighbours, then
    keeps most of the marked letters typed ("khốii" is "khối", not the commoner "khỏi":
    the reader typed the "ố"), then is the most common."""
    typed_marks = _marked_letters(typed)
    forms = vocabulary.forms(folded_key) + _forms_keeping(vocabulary, folded_key, typed_marks)[1]
    if not forms:
        return folded_key
    return max(forms, key=lambda f: (_word_fit(vocabulary, before, f[0], after),
                                     _kept(f[0], typed_marks), f[1]))[0]


def _marked_letters(typed: str) -> set[str]:
    return {ch for ch in typed if not ch.isascii()}


def _kept(form: str, marked_letters: set[str]) -> int:
    """How many of the marked letters typed a written form keeps."""
    return len(marked_letters.intersection(form))


def _forms_keeping(vocabulary: Vocabulary, folded_key: str, marked_letters: set[str]
                   ) -> tuple[int, list[tuple[str, int]]]:
    """The written forms of a folded syllable in the archive that keep the most of the
    marked letters typed (how many, and the forms with their counts): a rarer spelling
    than the few ``Vocabulary.forms`` lists ("đừng" among the spellings of "dung")."""
    most, found = 0, []
    for form in spellings(folded_key) if marked_letters else ():
        kept = _kept(form, marked_letters)
        if kept == 0 or kept < most or not (count := vocabulary.exact(form)):
            continue
        if kept > most:
            most, found = kept, []
        found.append((form, count))
    return most, found


def _word_fit(vocabulary: Vocabulary, before: str | None, form: str, after: str | None) -> int:
    """Articles where the form makes one word with a neighbour, as written."""
    fit = 0
    if before and fold(before) != before:
        fit += vocabulary.compound((before, form))
    if after and fold(after) != after:
        fit += vocabulary.compound((form, after))
    return fit


def correct_tones(vocabulary: Vocabulary, keys: list[str], marked: list[bool]) -> list[str]:
    """Fix a wrong tone mark that the archive reveals: two marked neighbours that never
    form a word as typed ("kiêm toán"), while changing the marks of one of them gives the
    word that most articles mean when these letters stand side by side ("kiểm toán").
    "làm giả" is left alone: "làm giá" is a word too, but far from the only reading of
    "lam gia"."""
    out = list(keys)
    for i in range(len(keys) - 1):
        a, b = out[i], out[i + 1]
        if not (marked[i] and marked[i + 1]) or vocabulary.compound((a, b)):
            continue
        if not vocabulary.compound((fold(a), fold(b)), folded=True):
            continue
        adjacent = vocabulary.pair(fold(a), fold(b))
        options = [(vocabulary.compound((f, b)), f, b) for f, _ in vocabulary.forms(fold(a))]
        options += [(vocabulary.compound((a, f)), a, f) for f, _ in vocabulary.forms(fold(b))]
        count, new_a, new_b = max(options, default=(0, a, b))
        if count >= max(WRONG_TONE_MIN_ARTICLES, WRONG_TONE_SHARE * adjacent):
            out[i], out[i + 1] = new_a, new_b
    return out


def restore(vocabulary: Vocabulary, folded_keys: list[str]) -> list[str | None]:
    """The likely written form of each folded syllable, where the archive makes it clear:
    the spelling sequence whose adjacent forms are most often one word in the archive,
    then the most common spellings (a best path over each syllable's few forms). A form
    is kept only when it makes a word with a neighbour ("bầu cử", "Việt Nam") or holds
    most of its syllable's occurrences ("mỹ" for "my"); elsewhere (None) any marks will
    do, since a guess between "bằng" and "bang" would mislead the ranking."""
    options = [vocabulary.forms(k) if k.isalpha() else [] for k in folded_keys]
    # Only neighbours that are one word in some spelling can be one word in a given one:
    # one folded look-up spares the dozens of written pairs elsewhere.
    joinable = [i > 0 and bool(options[i - 1]) and bool(options[i])
                and vocabulary.compound(folded_keys[i - 1:i + 1], folded=True) > 0
                for i in range(len(folded_keys))]
    best: list[tuple[float, list[str | None]]] = [(0.0, [])]
    for i, forms in enumerate(options):
        if not forms:
            score, path = max(best, key=lambda item: item[0])
            best = [(score, path + [None])]
            continue
        total = sum(n for _, n in forms)
        step = []
        for form, count in forms:
            own = math.log(count / total)
            choices = []
            for score, path in best:
                previous = path[-1] if path else None
                joined = vocabulary.compound((previous, form)) if joinable[i] else 0
                choices.append((score + own + PAIR_WEIGHT * math.log1p(joined), path))
            score, path = max(choices, key=lambda item: item[0])
            step.append((score, path + [form]))
        best = step
    path = max(best, key=lambda item: item[0])[1]
    return [form if form is not None and _clear(vocabulary, path, i, options[i], joinable)
            else None for i, form in enumerate(path)]


DOMINANT_SHARE = 0.75
"""A restored spelling stands alone when it holds this share of its folded syllable's
occurrences in the archive."""


def _clear(vocabulary: Vocabulary, path: list[str | None], i: int,
           forms: list[tuple[str, int]], joinable: list[bool]) -> bool:
    form = path[i]
    total = sum(n for _, n in forms)
    if dict(forms).get(form, 0) >= DOMINANT_SHARE * total:
        return True
    neighbours = [(path[i - 1], form)] if joinable[i] and path[i - 1] else []
    if i + 1 < len(path) and joinable[i + 1] and path[i + 1]:
        neighbours.append((form, path[i + 1]))
    return any(vocabulary.compound(pair) >= COMPOUND_EVIDENCE for pair in neighbours)


COMPOUND_EVIDENCE = 3
"""Articles that must hold a restored pair as one word for it to count."""
