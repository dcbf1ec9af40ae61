"""The one place that defines every field of the index.

Text arrives pre-analysed (segmentation runs in worker processes, see ``build.py``): each
indexed field receives a space-separated string of terms that ``PretokenizedTokenizer``
splits without touching, so the analyzer pickled into the index is tiny and stable.

Fields, and why each exists:

- ``syl`` / ``fold``: every syllable of title and body, with and without diacritics, with
  positions. They give all-of matching, exact phrases (with or without marks) and a
  syllable-level fallback that never depends on how pyvi segmented anything.
- ``word`` / ``wfold``: the multi-syllable words pyvi found ("đảng_bộ"), so a compound
  scores as one rarer unit rather than as two common syllables.
- ``tsyl`` / ``tfold`` / ``tword`` / ``twfold``: the same for the title alone, so a title
  match adds to, but never replaces, the evidence from the whole article.
- stored display fields and sortable columns for filters, facets and sorting; ``state``
  holds size, mtime and checksum so an incremental run can diff the archive cheaply.
"""

from __future__ import annotations

from whoosh.analysis import Token, Tokenizer
from whoosh.fields import COLUMN, ID, STORED, TEXT, Schema
from whoosh.columns import VarBytesColumn

from .analysis import GAP

GAP_POSITIONS = 16
"""How far apart title and body positions sit, so no phrase spans the two."""


class PretokenizedTokenizer(Tokenizer):
    """Split on single spaces; ``GAP`` advances the position without emitting a token."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PretokenizedTokenizer)

    def __hash__(self) -> int:
        return hash(type(self))

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        tokenize=True,
        mode="",
        **kwargs,
    ):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        pos = start_pos
        for text in value.split(" "):
            if not text:
                continue
            if text == GAP:
                pos += GAP_POSITIONS
                continue
            token.text = text
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = text
            if positions:
                token.pos = pos
            pos += 1
            yield token


def _positional() -> TEXT:
    return TEXT(analyzer=PretokenizedTokenizer(), phrase=True)


def _counted() -> TEXT:
    return TEXT(analyzer=PretokenizedTokenizer(), phrase=False)


SEARCH_FIELDS = ("syl", "fold", "word", "wfold", "tsyl", "tfold", "tword", "twfold")


def build_schema() -> Schema:
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
        syl=_positional(),
        fold=_positional(),
        word=_counted(),
        wfold=_counted(),
        tsyl=_positional(),
        tfold=_positional(),
        tword=_counted(),
        twfold=_counted(),
    )
