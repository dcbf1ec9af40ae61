"""The two forms a decoded posting list is kept in, in memory and in a segment's sidecar.

A list decoded once (``arraysearch``'s cache) and a list written beside its segment at
index time (``sidecar``) are the same arrays: one definition of the forms keeps the two
byte for byte alike, so a list answers the same wherever it was read from.
"""

from __future__ import annotations

import numpy as np

MIN_POSTINGS = 512
"""Shorter posting lists (four blocks or fewer) are neither cached nor written beside their
segment. Decoding one costs about 20 us on average (``whoosh_internals.posting_list``, one
read; 107 through Whoosh's matcher), a kept one 30-50; and on 79,147 articles writing the
128-511 ones too made the sidecars 29% larger (pairs mostly) for about 0.3 ms a query on the
public queries, with the slower decoding."""
DENSE_FROM = 4
"""A list held by at least 1/``DENSE_FROM`` of its segment is kept as ``Dense``."""


class Compact:
    """A decoded posting list in about three bytes per posting: the gaps between ids
    (two bytes while they fit) and the weights (term counts, one byte while they fit).
    Rebuilding the ids costs one ``cumsum``, a few microseconds per thousand postings."""

    __slots__ = ("first", "gaps", "weights")

    def __init__(self, ids: np.ndarray, weights: np.ndarray):
        self.first = int(ids[0]) if len(ids) else 0
        gaps = np.diff(ids)
        self.gaps = gaps.astype(np.uint16) if len(gaps) and gaps.max() <= 0xFFFF else gaps
        self.weights = _narrowest(weights)

    @classmethod
    def of(cls, first: int, gaps: np.ndarray, weights: np.ndarray) -> "Compact":
        """The list from its parts as stored (views of a mapped file, not copied)."""
        kept = cls.__new__(cls)
        kept.first, kept.gaps, kept.weights = first, gaps, weights
        return kept

    @property
    def nbytes(self) -> int:
        return self.gaps.nbytes + self.weights.nbytes

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        ids = np.empty(len(self.weights), dtype=np.int32)
        if len(ids):
            # Widened first, then summed in place: twice as fast as a cumsum that casts.
            ids[0] = self.first
            ids[1:] = self.gaps
            np.add.accumulate(ids, out=ids)
        return ids, self.weights


class Dense:
    """A common word's posting list as one byte per document of the segment, its weight
    there (0: absent). Held by a quarter of the segment or more, it takes no more room
    than ``Compact`` (three bytes per posting), and a lookup is one read per candidate:
    no ids to rebuild, no search. The common syllables of a headline are most lookups."""

    __slots__ = ("weights",)

    def __init__(self, ids: np.ndarray, weights: np.ndarray, size: int):
        self.weights = np.zeros(size, dtype=np.uint8)
        self.weights[ids] = weights

    @classmethod
    def of(cls, weights: np.ndarray) -> "Dense":
        """The list from its bytes as stored (a view of a mapped file, not copied)."""
        kept = cls.__new__(cls)
        kept.weights = weights
        return kept

    @property
    def nbytes(self) -> int:
        return self.weights.nbytes

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        ids = np.flatnonzero(self.weights).astype(np.int32)
        return ids, self.weights[ids]

    def at(self, docs: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
        """Which of ``docs`` hold the word, and its weights there (as stored: small
        counts, which callers widen once for scoring)."""
        found = self.weights[docs]
        return found > 0, found


def kept(ids: np.ndarray, weights: np.ndarray, size: int) -> Compact | Dense:
    """The kept form of a decoded list: dense for a common word whose weights are small
    counts (a zero weight would read as absent), compact otherwise."""
    if (len(ids) * DENSE_FROM >= size and np.array_equal(weights, np.floor(weights))
            and weights.min() >= 1 and weights.max() <= np.iinfo(np.uint8).max):
        return Dense(ids, weights, size)
    return Compact(ids, weights)


def _narrowest(weights: np.ndarray) -> np.ndarray:
    if len(weights) and np.array_equal(weights, np.floor(weights)) and weights.min() >= 0:
        for dtype in (np.uint8, np.uint16):
            if weights.max() <= np.iinfo(dtype).max:
                return weights.astype(dtype)
    return weights
