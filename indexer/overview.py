"""The live index at a glance, for the librarian's page: articles by category, undated
articles, exact duplicates, old addresses that redirect, and the size on disk.

Everything is read from columns (no stored article is decompressed), once per request of
a page that only librarians open.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from .links import Links
from .results import FacetValue, IndexOverview


def overview(reader, generation: Path | None, last_reindex: float | None) -> IndexOverview:
    categories: Counter[str] = Counter()
    undated = 0
    duplicates: list[list[str]] = []
    redirects: list[tuple[str, str]] = []
    for doc_id, category, date, raw_links in _columns(reader, ("id", "category", "date",
                                                               "links")):
        categories[category or ""] += 1
        undated += not date
        links = Links.decode(raw_links or b"")
        if links.copies:
            duplicates.append([doc_id, *sorted(links.copies)])
        redirects.extend((old, doc_id) for old in links.former)
    return IndexOverview(
        documents=reader.doc_count(),
        categories=[FacetValue(value, count) for value, count in
                    sorted(categories.items(), key=lambda item: (-item[1], item[0]))],
        undated=undated,
        duplicates=sorted(duplicates),
        redirects=sorted(redirects),
        size_bytes=_size(generation),
        generation=generation.name if generation else None,
        last_reindex=last_reindex,
    )


def _columns(reader, names: tuple[str, ...]) -> Iterator[tuple]:
    """Each live article's values of the named columns, None where a segment has none:
    Whoosh's column over several segments fails when no segment has that column."""
    for segment, _ in reader.leaf_readers():
        columns = [segment.column_reader(name) if segment.has_column(name) else None
                   for name in names]
        for docnum in segment.all_doc_ids():
            yield tuple(column[docnum] if column is not None else None for column in columns)


def _size(generation: Path | None) -> int:
    """Bytes of the live generation's files (a file removed meanwhile counts nothing)."""
    if generation is None:
        return 0
    total = 0
    for path in generation.iterdir():
        try:
            total += path.stat().st_size
        except OSError:
            continue
    return total
