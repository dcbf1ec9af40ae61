"""Every search page is a plain URL: build the links that change one thing about it.

Facets add a filter, chips remove one, sort and paging links change one parameter; all keep
the rest of the search, so any page can be bookmarked or shared as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for

from indexer.search import DEFAULT_PER_PAGE, SearchParams

URL_NAMES = {
    "q": "q", "page": "page", "per_page": "per_page", "category": "category",
    "author": "author", "publisher": "publisher", "year": "year", "date_from": "from",
    "date_to": "to", "sort": "sort", "spell": "spell",
}
"""SearchParams attribute → URL parameter (``from`` is a Python keyword)."""

FILTER_LABELS = {
    "category": "Chuyên mục", "year": "Năm", "author": "Tác giả", "publisher": "Báo",
    "from": "Từ ngày", "to": "Đến ngày",
}
FACET_NAMES = ("category", "publisher", "year", "author")
SORT_LABELS = {"relevance": "Liên quan nhất", "newest": "Mới nhất", "oldest": "Cũ nhất"}
_DEFAULTS = {"page": 1, "per_page": DEFAULT_PER_PAGE, "sort": "relevance", "spell": "1"}


def url_args(params: SearchParams) -> dict[str, str]:
    """The URL parameters that differ from the defaults, in a stable order."""
    args: dict[str, str] = {}
    for attribute, name in URL_NAMES.items():
        value = getattr(params, attribute)
        if isinstance(value, bool):
            value = "1" if value else "0"
        if value not in (None, "") and value != _DEFAULTS.get(name):
            args[name] = str(value)
    return args


@dataclass(frozen=True)
class ActiveFilter:
    name: str
    label: str
    value: str
    remove_url: str


@dataclass(frozen=True)
class SearchLinks:
    params: SearchParams

    def url(self, endpoint: str = "views.search", **changes: object) -> str:
        """This search with ``changes`` (URL names; None removes one); paging restarts."""
        args: dict[str, object] = url_args(self.params)
        args.pop("page", None)
        for name, value in changes.items():
            if value is None or value == _DEFAULTS.get(name):
                args.pop(name, None)
            else:
                args[name] = value
        return url_for(endpoint, **args)

    def page(self, number: int) -> str:
        return self.url(page=number)

    def sort(self, name: str) -> str:
        return self.url(sort=name)

    def add_filter(self, name: str, value: str) -> str:
        return self.url(**{name: value})

    def is_active(self, name: str, value: str) -> bool:
        return url_args(self.params).get(name) == value

    def for_query(self, q: str) -> str:
        return self.url(q=q, spell=None)

    def as_typed(self) -> str:
        """This search without spelling correction ("Tìm chính xác")."""
        return self.url(spell="0")

    def without_filters(self) -> str:
        return self.url(**{name: None for name in FILTER_LABELS})

    def active_filters(self) -> list[ActiveFilter]:
        args = url_args(self.params)
        return [
            ActiveFilter(name, label, args[name], self.url(**{name: None}))
            for name, label in FILTER_LABELS.items()
            if name in args
        ]

    def hidden_fields(self, *names: str) -> dict[str, str]:
        """Parameters to carry as hidden inputs in a form that sets the others."""
        args = url_args(self.params)
        return {name: args[name] for name in names if name in args}


def page_window(current: int, last: int, radius: int = 2) -> list[int | None]:
    """Page numbers to show: first, last and a few around the current one; None = a gap."""
    if last <= 1:
        return [1] if last == 1 else []
    shown = {1, last, *range(max(1, current - radius), min(last, current + radius) + 1)}
    window: list[int | None] = []
    previous = 0
    for number in sorted(shown):
        if number - previous > 1:
            window.append(number - 1 if number - previous == 2 else None)
        window.append(number)
        previous = number
    return window
