"""Read search parameters from the URL: lenient for pages, strict for the API.

Pages are shared and edited by hand, so a stale or mistyped link should still show a useful
page: HTML views clamp or drop bad values. API clients get a 400 naming the parameter
instead, because silently answering a different question would hide their bug.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from urllib.parse import unquote

from indexer.search import DEFAULT_PER_PAGE, MAX_PAGE, MAX_PER_PAGE, SORTS, SearchParams

MAX_FILTER_CHARS = 200
MAX_ID_CHARS = 1024
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_YEAR_RE = re.compile(r"\d{4}")
_INT_RE = re.compile(r"[+-]?\d+")


class BadParameter(ValueError):
    """A parameter an API client must fix; ``name`` is the URL parameter at fault."""

    def __init__(self, name: str, message: str):
        super().__init__(message)
        self.name = name
        self.message = message


def clean_text(value: str | None, limit: int | None = None) -> str:
    """Drop control characters (NUL, escapes, line breaks) that no one means to search for.

    They would otherwise be echoed into the search box and JSON, where they only cause
    trouble; each becomes a space so the words on either side stay apart.
    """
    if not value:
        return ""
    text = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in value)
    text = " ".join(text.split())
    return text[:limit] if limit else text


def _integer(args: Mapping[str, str], name: str, default: int, high: int, strict: bool) -> int:
    raw = (args.get(name) or "").strip()
    if not raw:
        return default
    if not _INT_RE.fullmatch(raw):
        if strict:
            raise BadParameter(name, f"'{name}' must be a whole number from 1 to {high}")
        return default
    if len(raw.lstrip("+-")) > 9:  # out of range whatever it is; int() of 5,000 digits fails
        value = 0 if raw.startswith("-") else high + 1
    else:
        value = int(raw)
    if 1 <= value <= high:
        return value
    if strict:
        raise BadParameter(name, f"'{name}' must be a whole number from 1 to {high}")
    return min(max(1, value), high)


def _date(args: Mapping[str, str], name: str, strict: bool) -> str | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    if _DATE_RE.fullmatch(raw):
        try:
            return dt.date.fromisoformat(raw).isoformat()
        except ValueError:
            pass
    if strict:
        raise BadParameter(name, f"'{name}' must be a date written YYYY-MM-DD")
    return None


def _year(args: Mapping[str, str], strict: bool) -> str | None:
    raw = (args.get("year") or "").strip()
    if not raw:
        return None
    if _YEAR_RE.fullmatch(raw):
        return raw
    if strict:
        raise BadParameter("year", "'year' must be a four-digit year")
    return None


def _sort(args: Mapping[str, str], strict: bool) -> str:
    raw = (args.get("sort") or "").strip()
    if raw in SORTS:
        return raw
    if raw and strict:
        raise BadParameter("sort", f"'sort' must be one of: {', '.join(SORTS)}")
    return "relevance"


def _spell(args: Mapping[str, str], strict: bool) -> bool:
    raw = (args.get("spell") or "1").strip()
    if raw in ("0", "1"):
        return raw == "1"
    if strict:
        raise BadParameter("spell", "'spell' must be 0 (search exactly as typed) or 1")
    return True


def search_params(args: Mapping[str, str], *, strict: bool) -> SearchParams:
    """SearchParams from URL arguments; raises BadParameter only when ``strict``."""
    date_from, date_to = _date(args, "from", strict), _date(args, "to", strict)
    if date_from and date_to and date_from > date_to:
        if strict:
            raise BadParameter("to", "'to' must not be earlier than 'from'")
        date_from, date_to = date_to, date_from
    return SearchParams(
        q=clean_text(args.get("q")),
        page=_integer(args, "page", 1, MAX_PAGE, strict),
        per_page=_integer(args, "per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE, strict),
        category=clean_text(args.get("category"), MAX_FILTER_CHARS) or None,
        author=clean_text(args.get("author"), MAX_FILTER_CHARS) or None,
        publisher=clean_text(args.get("publisher"), MAX_FILTER_CHARS) or None,
        year=_year(args, strict),
        date_from=date_from,
        date_to=date_to,
        sort=_sort(args, strict),
        spell=_spell(args, strict),
    )


def is_plausible_id(article_id: str) -> bool:
    """Whether an article id could be a path relative to the archive.

    Ids are only ever looked up in the index, never opened, so this is defence in depth:
    anything that looks like path traversal, even after further percent-decoding, is
    refused before it reaches any lookup.
    """
    if not article_id or len(article_id) > MAX_ID_CHARS:
        return False
    forms = [article_id]
    for _ in range(3):
        decoded = unquote(forms[-1])
        if decoded == forms[-1]:
            break
        forms.append(decoded)
    return all(_is_relative_path(form) for form in forms)


def _is_relative_path(path: str) -> bool:
    if path.startswith("/") or "\\" in path:
        return False
    if any(unicodedata.category(ch) == "Cc" for ch in path):
        return False
    return all(segment not in ("", ".", "..") for segment in path.split("/"))
