"""Turn scored matches into what a reader sees: hits with marked titles and snippets,
facet counts, and the article page, all marked from the same plan the matching used."""

from __future__ import annotations

from markupsafe import Markup

from .analysis import SECTION_BREAK
from .categories import CategoryNames
from .highlight import Marks, article_spans, mark, snippet_spans
from .results import ArticleView, FacetValue, Hit, RelatedArticle

FACETS = ("category", "year", "author", "publisher")
FACET_LIMIT = 30
"""Facet values returned per facet, most frequent first (an archive can have thousands of authors)."""


def facet_values(groups: dict, names: CategoryNames) -> dict[str, list[FacetValue]]:
    """Each facet's values, most frequent first; articles without a value are not a value.
    Categories are counted by the name they are shown with (folders "kinh-te" and
    "Kinh tế" in front matter are one value)."""
    facets = {}
    for name in FACETS:
        counts: dict[str, int] = {}
        for value, count in groups[name].items():
            if value not in (None, ""):
                shown = names.shown(str(value)) if name == "category" else str(value)
                counts[shown] = counts.get(shown, 0) + count
        facets[name] = sorted((FacetValue(v, n) for v, n in counts.items()),
                              key=lambda f: (-f.count, f.value))[:FACET_LIMIT]
    return facets


def dated(groups: dict) -> int:
    """How many of the counted matches have a date (a year is kept for every dated one)."""
    return sum(n for year, n in groups["year"].items() if year not in (None, ""))


def hit(stored: dict, score: float, rank: int, marks: Marks, snippets: bool,
        names: CategoryNames) -> Hit:
    title = stored.get("title", "")
    body = stored.get("body", "")
    text, snippet_marks, title_marks = "", [], []
    if snippets:
        title_marks, body_marks = article_spans(title, body, marks)
        text, snippet_marks = snippet_spans(body, body_marks)
    return Hit(
        id=stored["id"], title=title, title_spans=title_marks, snippet_text=text,
        snippet_spans=snippet_marks, date=stored.get("date"),
        category=names.shown(stored.get("category")),
        author=stored.get("author"), publisher=stored.get("publisher"),
        source_url=stored.get("source_url"), score=score, rank=rank,
    )


def article(article_id: str, stored: dict, marks: Marks, related: list[RelatedArticle],
            copies: list[str], names: CategoryNames) -> ArticleView:
    title, body = stored.get("title", ""), stored.get("body", "")
    title_marks, body_marks = article_spans(title, body, marks)
    return ArticleView(
        id=article_id,
        title=title,
        title_html=mark(title, title_marks),
        paragraphs_html=_paragraphs(body, body_marks),
        body=body,
        date=stored.get("date"),
        author=stored.get("author"),
        category=names.shown(stored.get("category")),
        publisher=stored.get("publisher"),
        source_url=stored.get("source_url"),
        tags=list(stored.get("tags") or []),
        related=related,
        copies=copies,
    )


def related_articles(searcher, docnum: int, stored: dict, top: int) -> list[RelatedArticle]:
    text = stored.get("title", "") + SECTION_BREAK + stored.get("body", "")
    found = searcher.more_like(docnum, "syl", text=text, top=top, numterms=20)
    return [RelatedArticle(found_hit["id"], found_hit["title"]) for found_hit in found]


def _paragraphs(body: str, spans: list[tuple[int, int]]) -> list[Markup]:
    """The body's paragraphs, each with the marks found in the whole body (so a word's
    spelling is chosen once per article, not per paragraph)."""
    out = []
    pos = 0
    for paragraph in body.split("\n\n"):
        start, end = pos, pos + len(paragraph)
        pos = end + 2
        if not paragraph.strip():
            continue
        inside = [(max(s, start) - start, min(e, end) - start) for s, e in spans
                  if s < end and e > start]
        out.append(mark(paragraph, inside))
    return out
