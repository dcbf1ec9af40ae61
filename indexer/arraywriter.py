"""Whoosh segment writers that keep a segment's postings in flat arrays.

A profile of a full build (cProfile, 5,000 articles, one process) put half of the time in
two parts of Whoosh's writer: its posting pool, which makes a Python tuple of every posting,
sorts them and spills and merges runs of them, and ``FieldWriter.add_postings``, which makes
a Python call per posting and reads each posting's document length back from the length
column. Here a field's postings are appended to three arrays as documents arrive (term
number, document, weight), put in term order once with numpy when the segment is written,
and written out block by block in Whoosh 3's posting format. The files are Whoosh's own:
tests compare them byte for byte with what Whoosh's writer makes of the same documents.
What the writers take from inside Whoosh (its private writer steps, the field writer's
files, the format's constants) comes from ``whoosh_internals``.
"""

from __future__ import annotations

import errno
import os
import struct
import sys
import threading
import time
import zlib
from array import array
from pickle import dumps

import numpy as np
from whoosh.system import pack_int, pack_long, pack_ushort
from whoosh.util.numeric import length_to_byte

from . import whoosh_internals
from .sidecar import SidecarWriter, path_of
from .whoosh_internals import COMPRESSION_MIN_SIZE, WHOOSH3_HEADER_MAGIC, PostingWriterParts

SEGMENT_POSTINGS = 50_000_000
"""Postings a writer holds (about 12 bytes each, plus its term dictionaries) before it writes
them out as a segment and starts another, so that the memory a build needs stays bounded
however large the archive: 79,147 articles hold about 80 million postings, so two
sub-writers build them as two segments, and a larger archive gets more segments."""


class _FieldPostings:
    """One field's postings in arrival order. Arrival order is document order within each
    term (documents are numbered as they arrive, and a merged reader's postings come term by
    term with ascending, higher numbers), so a stable sort by term keeps each list sorted."""

    __slots__ = ("terms", "term_ids", "docs", "weights", "values")

    def __init__(self, keeps_values: bool):
        self.terms: dict[bytes, int] = {}
        self.term_ids = array("I")
        self.docs = array("I")
        self.weights = array("f")
        self.values: list[bytes] | None = [] if keeps_values else None

    def add_document(self, items, docnum: int, boost: float) -> int:
        """Add one document's ``(term, frequency, weight, value)`` items; returns the sum of
        frequencies, the field length Whoosh records."""
        terms, term_ids, weights, values = self.terms, self.term_ids, self.weights, self.values
        length = count = 0
        for tbytes, freq, weight, vbytes in items:
            term_id = terms.get(tbytes)
            if term_id is None:
                term_id = terms[tbytes] = len(terms)
            term_ids.append(term_id)
            weights.append(weight * boost)
            if values is not None:
                values.append(vbytes)
            length += freq
            count += 1
        self.docs.extend([docnum] * count)
        return length

    def add_posting(self, tbytes: bytes, docnum: int, weight: float, vbytes: bytes) -> None:
        term_id = self.terms.get(tbytes)
        if term_id is None:
            term_id = self.terms[tbytes] = len(self.terms)
        self.term_ids.append(term_id)
        self.docs.append(docnum)
        self.weights.append(weight)
        if self.values is not None:
            self.values.append(vbytes)


class ArraySegmentWriter(whoosh_internals.PoolFreeSegmentWriter):
    """A ``SegmentWriter`` whose postings bypass the posting pool (see the module docstring).

    Spelling words and term vectors are not written: no field of ours uses them, and a
    schema that has them is refused.
    """

    def __init__(self, ix, segment_postings: int = SEGMENT_POSTINGS, **kwargs):
        super().__init__(ix, **kwargs)
        self._hold_postings(segment_postings)

    def _hold_postings(self, segment_postings: int) -> None:
        _refuse_unsupported(self.schema)
        self._postings: dict[str, _FieldPostings] = {}
        self._segment_postings = segment_postings
        self._held = 0

    def _field_postings(self, fieldname: str) -> _FieldPostings:
        postings = self._postings.get(fieldname)
        if postings is None:
            keeps_values = self.schema[fieldname].format.posting_size != 0
            postings = self._postings[fieldname] = _FieldPostings(keeps_values)
        return postings

    def hold_document(self, fieldname: str, items, docnum: int, boost: float) -> int:
        postings = self._field_postings(fieldname)
        held = len(postings.docs)
        length = postings.add_document(items, docnum, boost)
        self._held += len(postings.docs) - held
        return length

    def hold_posting(self, fieldname: str, tbytes: bytes, docnum: int, weight: float,
                     vbytes: bytes) -> None:
        self._field_postings(fieldname).add_posting(tbytes, docnum, weight, vbytes)

    def write_held_postings(self, lengths) -> None:
        """Each field's posting lists, and the long ones decoded beside them (``sidecar``)
        where the segment is a folder's files."""
        segment_id = self.newsegment.segment_id()
        folder = getattr(self.storage, "folder", None)
        sidecar = folder and SidecarWriter(path_of(folder, segment_id), segment_id,
                                           self.docnum)
        try:
            for fieldname in sorted(self._postings):
                _write_field(self.fieldwriter, fieldname, self.schema[fieldname],
                             self._postings.pop(fieldname), lengths, self.docnum, sidecar)
        except BaseException:
            if sidecar:
                sidecar.abandon()
            raise
        if sidecar:
            sidecar.close()

    def add_document(self, **fields):
        """Whoosh's ``add_document`` into the arrays; a writer holding ``segment_postings``
        writes them out as a segment and goes on in a new one."""
        super().add_document(**fields)
        if self._held >= self._segment_postings:
            self.start_next_segment()
            self._held = 0


def _refuse_unsupported(schema) -> None:
    for name, field in schema.items():
        if field.indexed and (field.vector or field.separate_spelling()):
            raise ValueError(f"field {name!r}: term vectors and separate spelling words are "
                             f"not supported by {ArraySegmentWriter.__name__}")


def _document_lengths(lengths, fieldname: str, doc_count: int) -> np.ndarray:
    """Each document's field length as Whoosh's posting writer receives it: the stored,
    byte-quantized length, and 0 where there is none."""
    if lengths is None:
        return np.zeros(doc_count, dtype=np.int32)
    length_of = lengths.doc_field_length_reader(fieldname)
    return np.array([length_of(d) or 0 for d in range(doc_count)], dtype=np.int32)


def _write_field(fieldwriter, fieldname, fieldobj, postings: _FieldPostings, lengths,
                 doc_count: int, sidecar: SidecarWriter | None) -> None:
    terms = sorted(postings.terms)
    if not terms:
        return
    rank = np.empty(len(terms), dtype=np.uint32)
    rank[np.fromiter((postings.terms[t] for t in terms), np.uint32, len(terms))] = (
        np.arange(len(terms), dtype=np.uint32))
    keys = rank[np.frombuffer(postings.term_ids, dtype=np.uint32)]
    order = np.argsort(keys, kind="stable")
    term_sizes = np.bincount(keys, minlength=len(terms))
    del keys
    docs = np.frombuffer(postings.docs, dtype=np.uint32)[order]
    weights = np.frombuffer(postings.weights, dtype=np.float32)[order]
    values = None if postings.values is None else [postings.values[i] for i in order.tolist()]
    del order, postings
    if sidecar:
        sidecar.add_field(fieldname, terms, term_sizes, docs, weights)

    fieldwriter.start_field(fieldname, fieldobj)
    parts = whoosh_internals.posting_writer_parts(fieldwriter)
    if parts.inline_limit > 1:
        raise ValueError("codecs that inline short posting lists are not supported")
    blocks = _Blocks(term_sizes, parts.block_limit, docs, weights,
                     _document_lengths(lengths, fieldname, doc_count))
    _Whoosh3Terms(parts, fieldobj.format.fixed_value_size()).write(terms, blocks, docs,
                                                                   weights, values)
    fieldwriter.finish_field()


class _Whoosh3Terms:
    """Writes a field's posting lists and term infos as Whoosh 3's codec does
    (``W3PostingsWriter``, ``W3TermInfo``), from arrays: the per-term objects and per-posting
    calls of Whoosh's writer cost more than the rest of writing a segment together
    (cProfile: 59 of 200 s for 5,000 articles, most terms having one posting)."""

    def __init__(self, parts: PostingWriterParts, fixed_value_size: int | None):
        self.postfile = parts.postfile
        self.tindex = parts.term_index
        self.key_prefix = pack_ushort(parts.field_id)
        self.fixed_value_size = fixed_value_size
        self.compression = parts.compression

    def write(self, terms: list[bytes], blocks: "_Blocks", docs: np.ndarray,
              weights: np.ndarray, values: list[bytes] | None) -> None:
        deltas = np.diff(docs.astype(np.int64), prepend=0)
        starts = np.asarray(blocks.starts)
        deltas[starts] = docs[starts]
        offset = self.postfile.tell()
        block = 0
        for term, blocks_of_term in zip(terms, blocks.per_term):
            term_first, term_last = blocks.starts[block], blocks.ends[block + blocks_of_term - 1]
            pieces = [WHOOSH3_HEADER_MAGIC]
            total_weight = 0
            min_length = None
            max_length = max_weight = 0
            for n in range(blocks_of_term):
                first, last = blocks.starts[block], blocks.ends[block]
                block_weights = weights[first:last].tolist()
                total_weight += sum(block_weights)
                block_min = blocks.min_length[block]
                if block_min is not None:
                    min_length = block_min if min_length is None else min(min_length, block_min)
                max_length = max(max_length, blocks.max_length[block])
                max_weight = max(max_weight, blocks.max_weight[block])
                data = dumps((tuple(deltas[first:last].tolist()),
                              _mini_weights(block_weights),
                              self._mini_values(values, first, last)), 2)
                compression = self.compression if len(data) >= COMPRESSION_MIN_SIZE else 0
                if compression:
                    data = zlib.compress(data, compression)
                info = dumps((last - first, int(docs[last - 1]), blocks.max_weight[block],
                              compression, length_to_byte(block_min),
                              length_to_byte(blocks.max_length[block])), 2)
                size = len(info) + len(data)
                pieces += [pack_int(-size if n == blocks_of_term - 1 else size), info, data]
                block += 1
            posting_bytes = b"".join(pieces)
            self.postfile.write(posting_bytes)
            term_info = _TERM_INFO.pack(
                0, total_weight, term_last - term_first,
                0 if min_length is None else length_to_byte(min_length),
                length_to_byte(max_length), max_weight, int(docs[term_first]),
                int(docs[term_last - 1]))
            self.tindex.add(self.key_prefix + term, term_info + pack_long(offset)
                            + pack_int(len(posting_bytes)))
            offset += len(posting_bytes)

    def _mini_values(self, values: list[bytes] | None, first: int, last: int):
        if self.fixed_value_size == 0:
            return None
        present = [v for v in values[first:last] if v] if values else []
        if self.fixed_value_size is None:
            return tuple(present)
        return b"".join(present)


def _mini_weights(weights: list[float]):
    if all(w == 1.0 for w in weights):
        return None
    if all(w == weights[0] for w in weights):
        return weights[0]
    return tuple(weights)


_TERM_INFO = struct.Struct("!BfIBBfII")
"""``W3TermInfo``'s layout: flags, total weight, document frequency, shortest and longest
document (as length bytes), highest weight, first and last document."""


class _Blocks:
    """Where every posting block of a field starts and ends, and the statistics Whoosh keeps
    for it (highest weight, shortest and longest document), computed for all blocks at once:
    a Python loop over tens of millions of postings is what this module exists to avoid."""

    def __init__(self, term_sizes: np.ndarray, block_size: int, docs: np.ndarray,
                 weights: np.ndarray, doc_lengths: np.ndarray):
        per_term = -(-term_sizes // block_size)
        term_starts = np.cumsum(term_sizes) - term_sizes
        first_block = np.cumsum(per_term) - per_term
        nth = np.arange(int(per_term.sum())) - np.repeat(first_block, per_term)
        starts = np.repeat(term_starts, per_term) + nth * block_size
        ends = np.minimum(starts + block_size, np.repeat(term_starts + term_sizes, per_term))
        lengths = doc_lengths[docs]
        longest = np.maximum.reduceat(lengths, starts)
        shortest = np.minimum.reduceat(np.where(lengths > 0, lengths, _NO_LENGTH), starts)
        self.per_term = per_term.tolist()
        self.starts = starts.tolist()
        self.ends = ends.tolist()
        self.max_weight = np.maximum(np.maximum.reduceat(weights, starts), 0).tolist()
        self.max_length = longest.tolist()
        self.min_length = [None if s == _NO_LENGTH else s for s in shortest.tolist()]


_NO_LENGTH = np.iinfo(np.int32).max

_NO_SPACE_ERRNOS = (errno.ENOSPC, errno.EDQUOT)
NO_SPACE_EXIT = 28
"""Exit status of a sub-writer that ran out of disk space (28 is ENOSPC on Linux): it exits
quietly with it, instead of printing a traceback, and the parent raises one OSError."""


PARENT_CHECK_S = 0.2


def _exit_with_parent() -> None:
    """Exit this sub-writer as soon as the process that started it is gone.

    Killing only the main indexer (``kill -9 <pid>``, as an operator does with the pid the
    lock message names) left the sub-writers running on for 20-30 s, or waiting forever
    for jobs that would never come. Their work can no longer be committed by anyone, so a
    thread watches the parent and ends the process; it needs no platform-specific call.
    """
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_S)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


class _ArraySubWriterTask(whoosh_internals.SegmentsSubWriterTask):
    """Whoosh's sub-writer process with an ``ArraySegmentWriter``; it always writes its own
    segments (Whoosh's ``multisegment``), which the parent adds to the index as they are."""

    writer_class = ArraySegmentWriter

    def run(self):
        _exit_with_parent()
        try:
            self.write_segments()
        except OSError as err:
            if err.errno not in _NO_SPACE_ERRNOS:
                raise
            sys.exit(NO_SPACE_EXIT)


class ParallelArrayWriter(whoosh_internals.ParallelSegmentsWriter, ArraySegmentWriter):
    """Whoosh's multiprocessing writer with array sub-writers, each writing its own segments.
    The parent itself only merges small existing segments (Whoosh's merge policy), through
    the same arrays."""

    task_class = _ArraySubWriterTask

    def __init__(self, ix, procs: int, segment_postings: int = SEGMENT_POSTINGS, **kwargs):
        whoosh_internals.ParallelSegmentsWriter.__init__(
            self, ix, procs, subargs=dict(kwargs, segment_postings=segment_postings), **kwargs)
        self._hold_postings(segment_postings)

    def check_sub_writers(self) -> None:
        """A sub-writer that ran out of disk space exits quietly; the commit fails here."""
        if any(task.exitcode == NO_SPACE_EXIT for task in self.tasks):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), self.storage.folder)
