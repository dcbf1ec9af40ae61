"""What a new server worker does before it takes its first request.

A worker that has just started has the index to open, and each of its first queries
would otherwise also pay for what is made once per process and kept: every segment's
sidecar mapped and read into the page cache (``sidecar``; shared with the other workers,
so only the first worker of a cold machine reads the disk), BM25's length norms of the
searched fields, the facet columns, every written syllable by its folded form (which
spelling consults for a query without diacritics), and pyvi's model, which loads on
first use (1.5-3.5 s: the first query with an operator or a phrase would wait for it).
Two searches, one with diacritics and one without, make the rest; a missing index
leaves only pyvi to load.
"""

from __future__ import annotations

from .analysis import load_segmenter
from .arraysearch import warm_sidecars
from .location import IndexMissing
from .search import ArchiveSearcher, SearchParams
from .spelling import read_written_forms

WARM_QUERIES = ("Việt Nam", "viet nam")
"""A query with diacritics and its folded form: the second asks for a suggestion, which
builds the spelling vocabulary."""


def warm(searcher: ArchiveSearcher) -> None:
    load_segmenter()
    try:
        with searcher.live.use() as whoosh_searcher:
            warm_sidecars(whoosh_searcher)
            read_written_forms(whoosh_searcher.reader())
        for query in WARM_QUERIES:
            searcher.search(SearchParams(q=query))
    except IndexMissing:
        return
