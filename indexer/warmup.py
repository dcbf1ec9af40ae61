"""What a new server worker does before it takes its first request.

A worker that has just started has the index to open, and each of its first queries
would otherwise also pay for what is made once per process and kept: every segment's
sidecar mapped and read into the page cache (``sidecar``; shared with the other workers,
so only the first worker of a cold machine reads the disk), BM25's length norms of the
searched fields, the facet columns, the spelling vocabulary a query without diacritics
consults; and pyvi's model, which loads on first use (1.5-3.5 s: the first query with
an operator or a phrase would wait for it). Two searches, one with diacritics and one
without, make the rest; a missing index leaves only pyvi to load.
"""

from __future__ import annotations

from .analysis import segment
from .arraysearch import warm_sidecars
from .location import IndexMissing
from .search import ArchiveSearcher, SearchParams

WARM_QUERIES = ("Việt Nam", "viet nam")
"""A query with diacritics and its folded form: the second asks for a suggestion, which
builds the spelling vocabulary."""


def warm(searcher: ArchiveSearcher) -> None:
    segment("Việt Nam")
    try:
        with searcher.live.use() as whoosh_searcher:
            warm_sidecars(whoosh_searcher)
        for query in WARM_QUERIES:
            searcher.search(SearchParams(q=query))
    except IndexMissing:
        return
