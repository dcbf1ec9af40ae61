"""BM25F that reads document lengths from a list instead of Whoosh's length column.

Whoosh's BM25F scorer asks the segment reader for a document's field length every time it
scores a term there: five method calls, a file read and a byte decode, 10% of the time
of long headline queries on 79,147 articles. A segment's lengths are one byte per
document, so the whole column of each field searched is decoded once per reader and kept.
"""

from __future__ import annotations

from whoosh import scoring
from whoosh.util.numeric import byte_to_length

from . import whoosh_internals

_BYTE_TO_LENGTH = [byte_to_length(b) for b in range(256)]


LENGTHS_MEMO = "_vnsearch_field_lengths"
"""Where a segment reader keeps its decoded field lengths (see ``arraysearch.SEGMENT_MEMOS``)."""


def field_lengths(reader, fieldname: str) -> list[int] | None:
    """Every document's length of ``fieldname`` in one segment, or None where the codec
    keeps them some other way (then Whoosh's own lookup is used)."""
    cache = reader.__dict__.setdefault(LENGTHS_MEMO, {})
    if fieldname not in cache:
        cache[fieldname] = _decode_column(reader, fieldname)
    return cache[fieldname]


def _decode_column(reader, fieldname: str) -> list[int] | None:
    raw = whoosh_internals.length_column_bytes(reader, fieldname)
    if raw is None:
        return None
    lengths = [_BYTE_TO_LENGTH[b] for b in raw]
    return lengths + [0] * (reader.doc_count_all() - len(lengths))


class ListedLengthBM25F(scoring.BM25F):
    def scorer(self, searcher, fieldname, text, qf=1):
        scorer = super().scorer(searcher, fieldname, text, qf=qf)
        if isinstance(scorer, scoring.BM25FScorer):
            lengths = field_lengths(searcher.reader(), fieldname)
            if lengths is not None:
                scorer.dfl = lengths.__getitem__
        return scorer
