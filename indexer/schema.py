"""The one place that defines every field of the index.

Fields, and why each exists:

- ``syl`` / ``fold``: every syllable of title and body, with and without diacritics. They
  give all-of matching and a syllable-level fallback that never depends on how pyvi
  segmented anything. ``fold`` keeps positions for exact phrases; a phrase typed with
  marks is the folded phrase plus its exact syllables, so ``syl`` needs no positions.
- ``word`` / ``wfold``: the multi-syllable words pyvi found ("đảng_bộ"), so a compound
  scores as one rarer unit rather than as two common syllables.
- ``tsyl`` / ``tfold`` / ``tword`` / ``twfold``: the same for the title alone, so a title
  match adds to, but never replaces, the evidence from the whole article.
- stored display fields and sortable columns for filters, facets and sorting; ``state``
  holds size, mtime and checksum so an incremental run can diff the archive cheaply.

The analyzers are pickled into the index by reference to ``indexer.analysis``: renaming
that module or its classes makes existing indexes unreadable (rebuild with ``--full``).
"""

from __future__ import annotations

from whoosh.columns import VarBytesColumn
from whoosh.fields import COLUMN, ID, STORED, TEXT, Schema

from .analysis import CompoundTokenizer, FoldFilter, SyllableTokenizer

SEARCH_FIELDS = ("syl", "fold", "word", "wfold", "tsyl", "tfold", "tword", "twfold")
TEXT_FIELDS = ("syl", "fold", "word", "wfold")
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
        fold=TEXT(analyzer=folded, phrase=True),
        word=TEXT(analyzer=compounds, phrase=False),
        wfold=TEXT(analyzer=folded_compounds, phrase=False),
        tsyl=TEXT(analyzer=syllables, phrase=False),
        tfold=TEXT(analyzer=folded, phrase=True),
        tword=TEXT(analyzer=compounds, phrase=False),
        twfold=TEXT(analyzer=folded_compounds, phrase=False),
    )
