"""What a search and an article page return: plain data, so that callers (the website, the
JSON API, the command line, the evaluation) never touch Whoosh objects."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from markupsafe import Markup

from .highlight import mark

MAX_PER_PAGE = 50
MAX_PAGE = 500
DEFAULT_PER_PAGE = 10
SORTS = ("relevance", "newest", "oldest")


@dataclass(frozen=True)
class SearchParams:
    q: str = ""
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    category: str | None = None
    author: str | None = None
    publisher: str | None = None
    year: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    sort: str = "relevance"
    spell: bool = True
    """False: search the words exactly as typed, without correcting them."""

    def bounded(self) -> "SearchParams":
        return SearchParams(
            q=self.q,
            page=min(max(1, self.page), MAX_PAGE),
            per_page=min(max(1, self.per_page), MAX_PER_PAGE),
            category=self.category or None,
            author=self.author or None,
            publisher=self.publisher or None,
            year=self.year or None,
            date_from=self.date_from or None,
            date_to=self.date_to or None,
            sort=self.sort if self.sort in SORTS else "relevance",
            spell=self.spell,
        )


@dataclass(frozen=True)
class Hit:
    id: str
    title: str
    title_spans: list[tuple[int, int]]
    """Where the query's words are in the title (what ``title_html`` marks)."""
    snippet_text: str
    snippet_spans: list[tuple[int, int]]
    date: str | None
    category: str | None
    author: str | None
    publisher: str | None
    source_url: str | None
    score: float
    rank: int

    @property
    def title_html(self) -> Markup:
        return mark(self.title, self.title_spans)

    @property
    def snippet_html(self) -> Markup:
        return mark(self.snippet_text, self.snippet_spans)


@dataclass(frozen=True)
class FacetValue:
    value: str
    count: int


@dataclass
class SearchResults:
    params: SearchParams
    total: int = 0
    hits: list[Hit] = field(default_factory=list)
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    dated: int | None = None
    """How many of the matches have a date, counted with the facets (None when they are
    not counted): sorting by date and the date filter are offered only when some have."""
    suggestion: str | None = None
    took_ms: float = 0.0
    relaxed: bool = False  # no article had all the words: showing those with most of them
    timed_out: bool = False
    truncated: bool = False  # the query was cut to MAX_QUERY_CHARS / MAX_TERMS
    corrected: str | None = None
    """The query as searched, when misspelt words were corrected ("Đang hiển thị kết quả
    cho …"); ``params.q`` is what was typed."""
    expansions: list[tuple[str, list[str]]] = field(default_factory=list)
    """Abbreviations met in the query and the other forms searched for them."""

    @property
    def pages(self) -> int:
        return min(MAX_PAGE, math.ceil(self.total / self.params.per_page)) if self.total else 0


@dataclass(frozen=True)
class RelatedArticle:
    id: str
    title: str


@dataclass(frozen=True)
class ArticleView:
    id: str
    title: str
    title_html: Markup
    paragraphs_html: list[Markup]
    body: str
    date: str | None
    author: str | None
    category: str | None
    publisher: str | None
    source_url: str | None
    tags: list[str]
    related: list[RelatedArticle]
    copies: list[str] = field(default_factory=list)
    """Ids of the files holding the same text, which are not results of their own."""


@dataclass(frozen=True)
class IndexOverview:
    """The live index at a glance, for the librarian's page."""

    documents: int
    categories: list[FacetValue]
    """Articles per category, most first; "" counts those without one."""
    undated: int
    duplicates: list[list[str]]
    """[indexed id, copy id, …] for every article with exact duplicates."""
    redirects: list[tuple[str, str]]
    """(old id, id of the article its address leads to)."""
    size_bytes: int
    generation: str | None
    last_reindex: float | None

    @property
    def copies(self) -> int:
        return sum(len(group) - 1 for group in self.duplicates)
