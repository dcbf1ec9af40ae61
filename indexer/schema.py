"""The one place that defines every field of the index.

Fields, and why each exists:

- ``syl`` / ``fold``: every syllable of title and body, with and without diacritics. They
  give all-of matching and a syllable-level fallback that never depends on how pyvi
  segmented anything.
- ``pair``: every two adjacent syllables, folded, for exact phrases: a phrase matches the
  articles holding all its pairs, confirmed on the stored text (``intersect.PairPhrase``).
  A phrase typed with marks is the folded phrase plus its exact syllables. No field of
  title and body keeps positions: they made the index 2.5x larger with pairs and every
  intersection slower.
- ``word`` / ``wfold``: the multi-syllable words pyvi found ("đảng_bộ"), so a compound
  scores as one rarer unit rather than as two common syllables.
- ``tsyl`` / ``tfold`` / ``tword`` / ``twfold``: the same for the title alone, so a title
  match adds to, but never replaces, the evidence from the whole article. Titles are
  short, so ``title:"..."`` phrases use positions on ``tfold`` rather than a pair field.
- stored display fields and sortable columns for filters, facets and sorting; ``state``
  holds size, mtime and checksum so an incremental run can diff the archive cheaply.
- ``title_column``: the title again, as a column, for the second stage of ranking, which
  reads the titles of the best hundred matches of every query. Stored fields are one
  compressed record per article, so reading a title from them decompressed and unpickled
  the whole body.
- ``content``: ``Article.text_hash`` of title and body, so an incremental run finds the
  exact duplicates of a changed file without reading the others; ``links``: the article's
  copies and the old ids that redirect to it (``indexer.links``).

Postings keep only what ranking reads. Whoosh's ``Frequency`` format stores each term
count twice, as the posting's weight and again as a 4-byte value nothing here reads;
``TermWeights`` keeps the weight alone, and ``pair`` (which only selects candidates for a
phrase) keeps no weight at all. On 10,000 articles the index went from 221 to 166 MB.

The analyzers and formats are pickled into the index by reference to ``indexer.analysis``
and this module: renaming either or their classes makes existing indexes unreadable, and an
index whose fields differ from this schema is refused (``schema_signature``); both are
fixed by ``--full``.
"""

from __future__ import annotations

from collections import Counter

from whoosh.columns import VarBytesColumn
from whoosh.fields import COLUMN, ID, STORED, TEXT, Schema
from whoosh.formats import Existence, Format

from .analysis import (
    CompoundTokenizer,
    FoldFilter,
    PairTokenizer,
    SyllableTokenizer,
    term_texts,
)

TEXT_FIELDS = ("syl", "fold", "pair", "word", "wfold")
TITLE_FIELDS = ("tsyl", "tfold", "tword", "twfold")


class TermWeights(Format):
    """A term's count in the document as its posting weight, which BM25 scores, and no
    per-posting value besides (so it supports no ``value_as``)."""

    posting_size = 0

    def __init__(self, field_boost: float = 1.0, **options):
        self.field_boost = field_boost
        self.options = options

    def word_values(self, value, analyzer, **kwargs):
        counts = Counter(term_texts(analyzer, value))
        return ((word, n, n * self.field_boost, b"") for word, n in counts.items())

    def encode(self, value) -> bytes:
        return b""

    def combine(self, vs) -> bytes:
        return b""


class TermPresence(Existence):
    """Whoosh's ``Existence``, made from plain term texts (``analysis.term_texts``)."""

    def word_values(self, value, analyzer, **kwargs):
        return ((word, 1, self.field_boost, b"") for word in set(term_texts(analyzer, value)))


def _text(analyzer, weighted: bool = True) -> TEXT:
    field = TEXT(analyzer=analyzer, phrase=False)
    field.format = TermWeights() if weighted else TermPresence()
    return field


def build_schema() -> Schema:
    syllables = SyllableTokenizer()
    folded = SyllableTokenizer() | FoldFilter()
    compounds = CompoundTokenizer()
    folded_compounds = CompoundTokenizer() | FoldFilter()
    return Schema(
        id=ID(stored=True, unique=True, sortable=True),
        title=STORED(),
        body=STORED(),
        date=ID(stored=True, sortable=True),
        year=ID(stored=True, sortable=True),
        author=ID(stored=True, sortable=True),
        category=ID(stored=True, sortable=True),
        publisher=ID(stored=True, sortable=True),
        source_url=STORED(),
        tags=STORED(),
        state=COLUMN(VarBytesColumn()),
        title_column=COLUMN(VarBytesColumn()),
        content=COLUMN(VarBytesColumn()),
        links=COLUMN(VarBytesColumn()),
        syl=_text(syllables),
        fold=_text(folded),
        pair=_text(PairTokenizer() | FoldFilter(), weighted=False),
        word=_text(compounds),
        wfold=_text(folded_compounds),
        tsyl=_text(syllables),
        tfold=TEXT(analyzer=folded, phrase=True),
        tword=_text(compounds),
        twfold=_text(folded_compounds),
    )


def schema_signature(schema: Schema) -> tuple:
    """What must match for an index to be read with this code: field names, kinds,
    posting formats and analyzers (Whoosh's own schema equality also compares column
    objects by identity, so it never holds across processes)."""
    return tuple(
        (name, type(f).__name__, type(getattr(f, "format", None)).__name__,
         repr(getattr(f, "analyzer", None)))
        for name, f in schema.items()
    )
