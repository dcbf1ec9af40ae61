"""Parse what a user typed into a small, safe query structure.

What people type is text first: headline punctuation (`` - ``, ``:``, ``?``, ``*``, ``'``,
parentheses) never becomes an operator. Only these are syntax:

- ``"…"``  an exact phrase (an unclosed quote runs to the end of the query);
- ``-word`` / ``-"…"``  exclusion, when the minus starts a word;
- ``OR`` (upper case) between two syllables or phrases: either side may match;
- ``title:word`` / ``title:"…"``  search the title only (also ``tieude:``).

Everything else is split into syllables; plain words mean all-of.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .analysis import fold, has_diacritics, syllable_keys

MAX_QUERY_CHARS = 500
MAX_TERMS = 32

FIELD_ALIASES = {"title": "title", "tieude": "title", "tiêuđề": "title"}

_TOKEN_RE = re.compile(
    r'(?P<neg>(?<!\S)-)?(?:(?P<field>[^\W\d_]+):)?(?:"(?P<phrase>[^"]*)(?:"|$)|(?P<word>[^\s"]+))'
)


@dataclass(frozen=True)
class Unit:
    """A run of syllables: adjacent plain words (all required) or an exact phrase."""

    keys: tuple[str, ...]
    phrase: bool = False
    title_only: bool = False

    @property
    def folded(self) -> tuple[str, ...]:
        return tuple(fold(k) for k in self.keys)


@dataclass
class ParsedQuery:
    text: str
    required: list[list[Unit]] = field(default_factory=list)  # each inner list: OR of units
    excluded: list[Unit] = field(default_factory=list)
    accented: bool = False
    truncated: bool = False

    @property
    def is_empty(self) -> bool:
        return not self.required

    def all_units(self) -> list[Unit]:
        return [unit for group in self.required for unit in group]

    def display_keys(self) -> list[str]:
        """Every positive syllable, in order."""
        return [k for unit in self.all_units() for k in unit.keys]

    def highlight_terms(self) -> tuple[list[str], list[tuple[str, ...]]]:
        """What highlighting looks for: syllables to mark wherever they are, and phrases
        (folded) whose syllables are marked only where they stand together."""
        words = [k for unit in self.all_units() if len(unit.keys) < 2 or not unit.phrase
                 for k in unit.keys]
        phrases = [unit.folded for unit in self.all_units() if unit.phrase and len(unit.keys) > 1]
        return words, phrases


def parse(text: str) -> ParsedQuery:
    text = text or ""
    truncated = len(text) > MAX_QUERY_CHARS
    text = text[:MAX_QUERY_CHARS]
    query = ParsedQuery(text=text, accented=has_diacritics(text), truncated=truncated)
    pending_or = False
    budget = MAX_TERMS
    run: list[str] = []

    def flush_run() -> None:
        if run:
            _add(query, Unit(tuple(run)), pending=False)
            run.clear()

    for match in _TOKEN_RE.finditer(text):
        word, phrase = match.group("word"), match.group("phrase")
        fieldname = (match.group("field") or "").lower()
        title_only = FIELD_ALIASES.get(fieldname) == "title"
        raw = phrase if phrase is not None else word
        if match.group("field") and not title_only:
            raw = f"{match.group('field')} {raw}"
        if word == "OR" and not match.group("neg"):
            last = run.pop() if run else None
            flush_run()
            if last:
                _add(query, Unit((last,)), pending=False)
            pending_or = bool(query.required)
            continue
        keys = syllable_keys(raw)
        if keys and budget == 0:
            query.truncated = True
            break
        if len(keys) > budget:
            keys, query.truncated = keys[:budget], True
        if not keys:
            continue
        budget -= len(keys)
        is_phrase = phrase is not None and len(keys) > 1
        if match.group("neg"):
            flush_run()
            query.excluded.append(Unit(tuple(keys), phrase=is_phrase, title_only=title_only))
        elif is_phrase or title_only or pending_or:
            flush_run()
            _add(query, Unit(tuple(keys), phrase=is_phrase, title_only=title_only), pending_or)
            pending_or = False
        else:
            run.extend(keys)
    flush_run()
    return query


def _add(query: ParsedQuery, unit: Unit, pending: bool) -> None:
    if pending and query.required:
        query.required[-1].append(unit)
    else:
        query.required.append([unit])
