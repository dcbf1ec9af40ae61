"""Parse what a user typed into a small, safe query structure, read as Vietnamese words.

What people type is text first: headline punctuation (`` - ``, ``:``, ``?``, ``*``, ``'``,
parentheses) never becomes an operator. Only these are syntax:

- ``"…"``  an exact phrase (an unclosed quote runs to the end of the query);
- ``-word`` / ``-"…"``  exclusion, when the minus starts a word;
- ``OR`` (upper case) between two words or phrases: either side may match;
- ``title:word`` / ``title:"…"``  search the title only (also ``tieude:``).

An operator applies to a Vietnamese *word*, not to one syllable: the query is segmented
with pyvi, so ``-kỷ luật`` excludes "kỷ luật", ``title:Hà Nội`` asks for "Hà Nội" in the
title and ``Hà Nội OR Huế`` is (Hà Nội) OR (Huế). Everything else is a run of plain
syllables, all of which are wanted.

Each syllable keeps where it stands in the query, so corrections and restored diacritics
can be written back into the user's own text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from .analysis import SYLLABLE_RE, fold, match_form, nfc, segment

MAX_QUERY_CHARS = 500
MAX_TERMS = 32

FIELD_ALIASES = {"title": "title", "tieude": "title", "tiêuđề": "title"}

_TOKEN_RE = re.compile(
    r'(?P<neg>(?<!\S)-)?(?:(?P<field>[^\W\d_]+):)?(?:"(?P<phrase>[^"]*)(?:"|$)|(?P<word>[^\s"]+))'
)


@dataclass(frozen=True)
class Syllable:
    """One syllable as typed: its normalized form and where it stands in the query.
    ``marked``: typed with marks, so that spelling is what the user meant."""

    key: str
    start: int
    end: int
    folded: str = field(init=False, compare=False)
    marked: bool = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "folded", fold(self.key))
        object.__setattr__(self, "marked", self.folded != self.key)


@dataclass(frozen=True)
class Unit:
    """A run of syllables: plain words (all wanted), an exact phrase, or an operand."""

    syllables: tuple[Syllable, ...]
    phrase: bool = False
    title_only: bool = False

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(s.key for s in self.syllables)

    @property
    def folded(self) -> tuple[str, ...]:
        return tuple(s.folded for s in self.syllables)


@dataclass
class ParsedQuery:
    text: str
    required: list[list[Unit]] = field(default_factory=list)  # each inner list: OR of units
    excluded: list[Unit] = field(default_factory=list)
    truncated: bool = False

    @property
    def is_empty(self) -> bool:
        return not self.required

    @property
    def accented(self) -> bool:
        return any(s.marked for unit in self.all_units() for s in unit.syllables)

    def all_units(self) -> list[Unit]:
        return [unit for group in self.required for unit in group]

    def display_keys(self) -> list[str]:
        """Every positive syllable, in order."""
        return [k for unit in self.all_units() for k in unit.keys]


@dataclass
class _Token:
    syllables: list[Syllable]
    phrase: bool = False
    neg: bool = False
    title_only: bool = False
    is_or: bool = False


def _syllables(text: str, start: int, end: int) -> list[Syllable]:
    form = match_form(text)
    return [Syllable(m.group(), m.start(), m.end())
            for m in SYLLABLE_RE.finditer(form, start, end)]


def _tokens(text: str) -> tuple[list[_Token], str]:
    """The query's tokens, and the text with its syntax blanked out (same length), which
    is what pyvi segments."""
    tokens: list[_Token] = []
    plain = list(text)
    for match in _TOKEN_RE.finditer(text):
        word, phrase = match.group("word"), match.group("phrase")
        fieldname = (match.group("field") or "").lower()
        title_only = FIELD_ALIASES.get(fieldname) == "title"
        if word == "OR" and not match.group("neg") and not match.group("field"):
            tokens.append(_Token([], is_or=True))
            plain[match.start():match.end()] = " " * (match.end() - match.start())
            continue
        body = "phrase" if phrase is not None else "word"
        start = match.start("field") if match.group("field") and not title_only \
            else match.start(body)
        syllables = _syllables(text, start, match.end(body))
        if match.group("neg"):
            plain[match.start("neg")] = " "
        if title_only:
            plain[match.start("field"):match.end("field") + 1] = " " * (len(fieldname) + 1)
        if phrase is not None:
            plain[match.start(body) - 1] = " "
            if match.end() > match.end(body):
                plain[match.end(body)] = " "
        tokens.append(_Token(syllables, phrase=phrase is not None and len(syllables) > 1,
                             neg=bool(match.group("neg")), title_only=title_only))
    return tokens, "".join(plain)


Compounds = Callable[[tuple[str, ...]], bool]
"""Whether a run of folded syllables is a word the archive knows ("ky luat"): pyvi alone
rarely joins syllables typed without marks."""


def _words(plain: str, compounds: Compounds | None) -> list[tuple[int, int]]:
    """The query's words as (start, end): pyvi's, and runs of single syllables that the
    archive knows as one word, longest first."""
    pieces = [(span.start, span.end, span.syllables) for span in segment(plain)]
    words: list[tuple[int, int]] = []
    i = 0
    while i < len(pieces):
        start, end, count = pieces[i]
        size = 1
        if count == 1 and compounds is not None:
            for n in (3, 2):
                run = pieces[i:i + n]
                if len(run) == n and all(c == 1 for _, _, c in run) and compounds(
                        tuple(fold(match_form(plain[s:e])) for s, e, _ in run)):
                    size, end = n, run[-1][1]
                    break
        words.append((start, end))
        i += size
    return words


def _has_operators(tokens: list[_Token]) -> bool:
    return any(t.neg or t.title_only or t.is_or for t in tokens)


def segments(text: str) -> bool:
    """Whether reading ``text`` segments it with pyvi: only a query with an operator is
    read as words (plain syllables all count alike)."""
    return _has_operators(_tokens(nfc(text or "")[:MAX_QUERY_CHARS])[0])


def parse(text: str, compounds: Compounds | None = None) -> ParsedQuery:
    text = nfc(text or "")
    truncated = len(text) > MAX_QUERY_CHARS
    text = text[:MAX_QUERY_CHARS]
    query = ParsedQuery(text=text, truncated=truncated)
    tokens, plain = _tokens(text)
    words = _words(plain, compounds) if _has_operators(tokens) else []
    ends = {start: end for start, end in words}
    starts = {end: start for start, end in words}
    budget = MAX_TERMS
    run: list[Syllable] = []
    pending_or = False

    def flush_run() -> None:
        if run:
            _add(query, Unit(tuple(run)), pending=False)
            run.clear()

    i = 0
    while i < len(tokens):
        token = tokens[i]
        i += 1
        if token.is_or:
            last = _last_word(run, starts)
            flush_run()
            if last:
                _add(query, Unit(tuple(last)), pending=False)
            pending_or = bool(query.required)
            continue
        syllables = token.syllables
        if not syllables:
            continue
        if not token.phrase and (token.neg or token.title_only or pending_or):
            syllables, i = _operand(syllables, tokens, i, ends)
        if budget == 0:
            query.truncated = True
            break
        if len(syllables) > budget:
            syllables, query.truncated = syllables[:budget], True
        budget -= len(syllables)
        unit = Unit(tuple(syllables), phrase=token.phrase, title_only=token.title_only)
        if token.neg:
            flush_run()
            query.excluded.append(unit)
        elif token.phrase or token.title_only or pending_or:
            flush_run()
            _add(query, unit, pending_or)
            pending_or = False
        else:
            run.extend(syllables)
    flush_run()
    return query


def _operand(syllables: list[Syllable], tokens: list[_Token], i: int, ends: dict[int, int]
             ) -> tuple[list[Syllable], int]:
    """The word an operator applies to: the pyvi word starting at its first syllable, which
    may take in the plain syllables after it. Returns them and the next token to read."""
    first = syllables[0]
    end = ends.get(first.start, first.end)
    operand = [s for s in syllables if s.start < end]
    rest = syllables[len(operand):]
    if rest:
        tokens.insert(i, _Token(rest))
        return operand, i
    while i < len(tokens):
        following = tokens[i]
        if following.phrase or following.is_or or following.neg or following.title_only:
            break
        inside = [s for s in following.syllables if s.start < end]
        if not inside:
            break
        operand += inside
        left = following.syllables[len(inside):]
        if left:
            tokens[i] = _Token(left)
            break
        i += 1
    return operand, i


def _last_word(run: list[Syllable], starts: dict[int, int]) -> list[Syllable]:
    """Take from the end of ``run`` the pyvi word its last syllable ends (the left side of OR)."""
    if not run:
        return []
    start = starts.get(run[-1].end, run[-1].start)
    taken = [s for s in run if s.start >= start] or run[-1:]
    del run[len(run) - len(taken):]
    return taken


def _add(query: ParsedQuery, unit: Unit, pending: bool) -> None:
    if pending and query.required:
        query.required[-1].append(unit)
    else:
        query.required.append([unit])


# --------------------------------------------------------------------------- the plan


@dataclass(frozen=True)
class Slot:
    """One word of the query as read: a syllable, or an abbreviation and its long forms.

    ``keys`` is the reading searched for (the typed spelling, or its correction);
    ``exact`` gives, per key, the written form that counts as evidence and is highlighted
    (typed with marks, corrected, or restored from the archive), or None where any marks
    will do; ``alternatives`` are other ways to write the same word (the spelling as typed
    when it was corrected, an abbreviation's other forms), as normalized syllables."""

    syllables: tuple[Syllable, ...]
    keys: tuple[str, ...]
    exact: tuple[str | None, ...]
    alternatives: tuple[tuple[str, ...], ...] = ()
    folded: tuple[str, ...] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "folded", tuple(fold(k) for k in self.keys))

    @property
    def corrected(self) -> bool:
        return self.keys != tuple(s.key for s in self.syllables)


@dataclass(frozen=True)
class ReadUnit:
    """A unit of the parsed query and its slots (phrases keep one slot: they match as typed)."""

    unit: Unit
    slots: tuple[Slot, ...]


@dataclass
class QueryPlan:
    """What the query means, read once and followed by matching, ranking, highlighting and
    suggestions alike."""

    parsed: ParsedQuery
    groups: list[list[ReadUnit]]
    """Parallel to ``parsed.required``: all groups wanted, any unit of a group."""
    expansions: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    """Abbreviations met: (as typed, the other forms searched too, as the list writes them)."""

    @property
    def text(self) -> str:
        return self.parsed.text

    @property
    def is_empty(self) -> bool:
        return self.parsed.is_empty

    @property
    def units(self) -> list[ReadUnit]:
        return [read for group in self.groups for read in group]

    @property
    def slots(self) -> list[Slot]:
        return [slot for read in self.units for slot in read.slots]

    @property
    def corrected(self) -> bool:
        return any(slot.corrected for slot in self.slots)

    def corrected_text(self) -> str:
        """The user's text with each corrected syllable replaced, case and punctuation kept."""
        pieces: list[str] = []
        pos = 0
        text = self.parsed.text
        for slot in self.slots:
            if not slot.corrected:
                continue
            for syllable, key in zip(slot.syllables, slot.keys):
                old = text[syllable.start:syllable.end]
                pieces += [text[pos:syllable.start], _same_case(old, key)]
                pos = syllable.end
        return "".join(pieces) + text[pos:]


def _same_case(old: str, new: str) -> str:
    if old.isupper() and len(old) > 1:
        return new.upper()
    return new[:1].upper() + new[1:] if old[:1].isupper() else new


def build_plan(text: str, vocabulary=None, abbreviations=None, correct: bool = True,
               deadline: float | None = None) -> QueryPlan:
    """Read ``text`` into a plan. Without a ``vocabulary`` (no index) the query is read as
    typed; ``correct=False`` keeps misspellings (the "search exactly as typed" link).
    After ``deadline`` (``time.monotonic``), words not yet corrected are left as typed."""
    compounds = None
    if vocabulary is not None:
        def compounds(folded: tuple[str, ...]) -> bool:
            return vocabulary.compound(folded, folded=True) >= COMPOUND_MIN_ARTICLES
    parsed = parse(text, compounds)
    restoring = vocabulary is not None and not parsed.accented
    groups: list[list[ReadUnit]] = []
    plan = QueryPlan(parsed=parsed, groups=groups)
    for group in parsed.required:
        groups.append([ReadUnit(unit, _read_unit(unit, vocabulary, abbreviations, correct,
                                                 restoring, plan, deadline))
                       for unit in group])
    return plan


COMPOUND_MIN_ARTICLES = 3
"""Syllables typed without marks are taken as one word (for operators) when the archive
holds them as one pyvi word in at least this many articles."""


def _read_unit(unit: Unit, vocabulary, abbreviations, correct: bool, restoring: bool,
               plan: QueryPlan, deadline: float | None) -> tuple[Slot, ...]:
    from . import spelling

    keys = list(unit.keys)
    marked = [s.marked for s in unit.syllables]
    if unit.phrase:
        # A phrase is matched as typed, except for words the archive does not know at
        # all: with those it could never match.
        if vocabulary is not None and correct:
            keys = spelling.correct_unknown(vocabulary, keys, marked, deadline)
        exact = tuple(k if fold(k) != k else None for k in keys)
        return (Slot(unit.syllables, tuple(keys), exact),)
    if vocabulary is not None and correct:
        keys = spelling.correct_unknown(vocabulary, keys, marked, deadline)
        keys = spelling.correct_tones(vocabulary, keys, [fold(k) != k for k in keys])
    if restoring:
        restored = spelling.restore(vocabulary, [fold(k) for k in keys])
        exact = [r if r is not None and s.key == fold(s.key) else None
                 for r, s in zip(restored, unit.syllables)]
    else:
        exact = [k if fold(k) != k or plan.parsed.accented else None for k in keys]
    spans = abbreviations.expansions(list(unit.keys)) if abbreviations is not None else []
    if vocabulary is not None:
        spans = [span for span in spans if not _inside_a_word(span, unit.folded, vocabulary)]
    slots: list[Slot] = []
    i = 0
    for span in spans + [None]:
        stop = span.start if span is not None else len(keys)
        while i < stop:
            typed = unit.syllables[i]
            alternatives = ((typed.key,),) if keys[i] != typed.key and vocabulary is not None \
                and vocabulary.folded(typed.folded) else ()
            slots.append(Slot((typed,), (keys[i],), (exact[i],), alternatives))
            i += 1
        if span is None:
            break
        typed_span = unit.syllables[span.start:span.end]
        slots.append(Slot(tuple(typed_span), tuple(s.key for s in typed_span),
                          tuple(exact[span.start:span.end]), tuple(span.alternatives)))
        plan.expansions.append((plan.parsed.text[typed_span[0].start:typed_span[-1].end],
                                tuple(abbreviations.written(f) for f in span.alternatives)))
        i = span.end
    return tuple(slots)


def _inside_a_word(span, folded: tuple[str, ...], vocabulary) -> bool:
    """Whether a one-syllable form is part of a longer word here ("Mỹ" in "mỹ phẩm"),
    where it does not mean what the abbreviation list says."""
    if span.end - span.start != 1:
        return False
    i = span.start
    return any(vocabulary.compound(pair, folded=True) >= COMPOUND_MIN_ARTICLES
               for pair in (folded[i - 1:i + 1] if i else (), folded[i:i + 2])
               if len(pair) == 2)
