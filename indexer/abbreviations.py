"""Query-time expansion of the abbreviations and alternative names of Vietnamese news.

The same thing is written several ways across an archive: "TP.HCM", "TPHCM" and "Thành
phố Hồ Chí Minh"; "UBND" and "Ủy ban nhân dân"; "Mỹ" and "Hoa Kỳ". A reader types one of
them and expects articles that use any. The index is left alone (an article keeps the
words it was written with); instead a query's syllables are looked up in a table of
groups of equivalent forms, and each form found brings the group's other forms as
alternatives for the searcher to add.

Forms are kept as ``match_form`` syllables, the form queries arrive in (``syllable_keys``),
so punctuation never matters ("TP.HCM" = "TP HCM") and both tone-mark styles meet.

The table is the shipped ``abbreviations.txt`` plus an optional file the archive's
librarian edits (``LIBRARIAN_FILE``), which is re-read when it changes, so a local name
can be added without a release or a restart.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from .analysis import fold, syllable_keys
from .i18n import _
from .conffile import LibrarianFile, content_lines

LIBRARIAN_FILE = "abbreviations.conf"
"""In the archive folder; the indexer ignores ``.conf`` files, so it is never read as an article."""

SHIPPED_FILE = "abbreviations.txt"

Form = tuple[str, ...]
"""One way of writing a name, as ``match_form`` syllables: ("tp", "hcm")."""

_VOWELS = frozenset("aeiouy")


@dataclass(frozen=True)
class Expansion:
    """The keys ``start:end`` of a query spell a form; ``alternatives`` are its group's others."""

    start: int
    end: int
    alternatives: tuple[Form, ...]


def _is_abbreviation(syllable: str) -> bool:
    """No vowel: letters read one by one ("hcm", "đh"), never a Vietnamese word."""
    return not _VOWELS.intersection(fold(syllable))


def _without_d_stroke(form: Form) -> Form:
    """How ``form`` is typed on a keyboard without "đ": only abbreviations are rewritten,
    as words are already covered by diacritics-insensitive matching."""
    return tuple(fold(s) if _is_abbreviation(s) else s for s in form)


def _parse_line(content: str) -> tuple[dict[Form, str], str]:
    """The distinct forms of one line of the file, each with its text as written there
    (what the page shows), or the reason the line cannot be used."""
    forms: dict[Form, str] = {}
    for text in content.split("="):
        form = tuple(syllable_keys(text))
        if not form:
            return {}, _("a form without letters or digits in {line}").format(
                line=repr(content))
        forms.setdefault(form, text.strip())
    if len(forms) < 2:
        return {}, _("needs at least two different forms separated by ' = ': {line}").format(
            line=repr(content))
    return forms, ""


def _join(groups: Iterable[tuple[Form, ...]]) -> list[tuple[Form, ...]]:
    """Groups that share a form become one, in order of first appearance.

    This is what lets the librarian extend a shipped group by writing one line that repeats
    any of its forms ("TP.HCM = Sài Gòn") rather than copying the whole group.
    """
    joined: list[list[Form]] = []
    owner: dict[Form, int] = {}
    for group in groups:
        hits = sorted({owner[form] for form in group if form in owner})
        if hits:
            target = hits[0]
        else:
            target = len(joined)
            joined.append([])
        for other in hits[1:]:
            for form in joined[other]:
                owner[form] = target
            joined[target] += joined[other]
            joined[other] = []
        for form in group:
            if form not in owner:
                owner[form] = target
                joined[target].append(form)
    return [tuple(group) for group in joined if group]


class Abbreviations:
    """Groups of equivalent forms, and the look-up of a query's syllables among them."""

    def __init__(self, groups: Iterable[tuple[Form, ...]],
                 written: dict[Form, str] | None = None) -> None:
        self._written = dict(written or {})
        self._groups = _join(groups)
        owner = {form: index for index, group in enumerate(self._groups) for form in group}
        # Every way a form can be typed folds to the form's folded syllables, so one dict
        # look-up finds the few candidates and the per-syllable rule decides among them.
        self._by_fold: dict[Form, list[tuple[Form, int, bool]]] = {}
        for form, index in owner.items():
            # "dn" typed for "đn" only while "dn" is not another group's own form
            # (DN = doanh nghiệp must not expand to ĐN).
            d_typed = owner.get(_without_d_stroke(form), index) == index
            key = tuple(map(fold, form))
            self._by_fold.setdefault(key, []).append((form, index, d_typed))
        self._longest = max((len(form) for form in owner), default=0)

    @classmethod
    def parse(cls, text: str, source: str) -> tuple[Abbreviations, list[str]]:
        """Read the file format: one group a line, forms separated by " = ", "#" comments.

        A bad line is skipped and reported as "source:line: reason" rather than failing the
        whole file, so one typo by the librarian never takes the other groups away.
        """
        groups: list[tuple[Form, ...]] = []
        written: dict[Form, str] = {}
        problems: list[str] = []
        for number, content in content_lines(text):
            forms, problem = _parse_line(content)
            if problem:
                problems.append(f"{source}:{number}: {problem}")
            else:
                groups.append(tuple(forms))
                for form, shown in forms.items():
                    written.setdefault(form, shown)
        return cls(groups, written), problems

    def merged(self, other: Abbreviations) -> Abbreviations:
        """This table with ``other``'s groups added; a form in both joins the two groups."""
        return Abbreviations(self._groups + other._groups, {**other._written, **self._written})

    def written(self, form: Form) -> str:
        """A form as the file writes it ("TP.HCM", "Thành phố Hồ Chí Minh"), for the page."""
        return self._written.get(form, " ".join(form))

    def __len__(self) -> int:
        return len(self._groups)

    def expansions(self, keys: list[str]) -> list[Expansion]:
        """Every form spelled by a run of ``keys`` (``syllable_keys`` of a query run).

        Left to right, the longest form at each position wins and the search resumes after
        it, so "đội tuyển Việt Nam" is one name (ĐTVN), not "đội tuyển" plus "Việt Nam".
        """
        found: list[Expansion] = []
        start = 0
        while start < len(keys):
            for end in range(min(len(keys), start + self._longest), start, -1):
                alternatives = self._alternatives(tuple(keys[start:end]))
                if alternatives is not None:
                    if alternatives:
                        found.append(Expansion(start, end, alternatives))
                    start = end
                    break
            else:
                start += 1
        return found

    def _alternatives(self, typed: Form) -> tuple[Form, ...] | None:
        """The other forms of the group ``typed`` spells, or None if it spells no form.

        Forms that ``typed`` itself matches are left out: the query already finds those.
        """
        candidates = [
            (form, index)
            for form, index, d_typed in self._by_fold.get(tuple(map(fold, typed)), ())
            if _typed_as(typed, form, d_typed)
        ]
        if not candidates:
            return None
        exact = [index for form, index in candidates if form == typed]
        group = exact[0] if exact else candidates[0][1]
        matched = {form for form, index in candidates if index == group}
        return tuple(form for form in self._groups[group] if form not in matched)


def _typed_as(typed: Form, form: Form, d_typed: bool) -> bool:
    """Whether the query syllables ``typed`` are a way of typing ``form``, syllable by syllable.

    A syllable typed with marks means exactly that spelling. One typed without marks
    matches a word whatever its marks (as diacritics-insensitive search does), but an
    abbreviation only in its "đ"→"d" spelling, and only when ``d_typed`` says that spelling
    belongs to no other group. ``typed`` and ``form`` already fold to the same syllables.
    """
    for key, syllable in zip(typed, form):
        if key == syllable:
            continue
        if fold(key) != key or (_is_abbreviation(syllable) and not d_typed):
            return False
    return True


@lru_cache(maxsize=1)
def default_abbreviations() -> Abbreviations:
    """The shipped list, parsed once; tests keep it free of problems, so none are kept here."""
    text = resources.files(__package__).joinpath(SHIPPED_FILE).read_text(encoding="utf-8")
    table, _ = Abbreviations.parse(text, SHIPPED_FILE)
    return table


class AbbreviationSource(LibrarianFile[Abbreviations]):
    """The shipped list plus the librarian's groups (LIBRARIAN_FILE in the archive folder),
    re-read when that file changes, so edits apply without a restart."""

    NAME = LIBRARIAN_FILE

    def shipped(self) -> Abbreviations:
        return default_abbreviations()

    def parse(self, text: str, source: str) -> tuple[Abbreviations, list[str]]:
        local, problems = Abbreviations.parse(text, source)
        return default_abbreviations().merged(local), problems
