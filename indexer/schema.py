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

The analyzers are pickled into the index by reference to ``indexer.analysis``: renaming
that module or its classes makes existing indexes unreadable, and an index whose fields
differ from this schema is refused (``schema_signature``); both are fixed by ``--full``.
"""

from __future__ import annotations

from whoosh.columns import VarBytesColumn
from whoosh.fields import COLUMN, ID, STORED, TEXT, Schema

from .analysis import CompoundTokenizer, FoldFilter, PairTokenizer, SyllableTokenizer

TEXT_FIELDS = ("syl", "fold", "pair", "word", "wfold")
TITLE_FIELDS = ("tsyl", "tfold", "tword", "twfold")


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
        source_url=STORED(),
        tags=STORED(),
        state=COLUMN(VarBytesColumn()),
        syl=TEXT(analyzer=syllables, phrase=False),
        fold=TEXT(analyzer=folded, phrase=False),
        pair=TEXT(analyzer=PairTokenizer() | FoldFilter(), phrase=False),
        word=TEXT(analyzer=compounds, phrase=False),
        wfold=TEXT(analyzer=folded_compounds, phrase=False),
        tsyl=TEXT(analyzer=syllables, phrase=False),
        tfold=TEXT(analyzer=folded, phrase=True),
        tword=TEXT(analyzer=compounds, phrase=False),
        twfold=TEXT(analyzer=folded_compounds, phrase=False),
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
