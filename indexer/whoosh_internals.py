"""Every use of Whoosh's internals, written for one version of whoosh3 and checked against it.

vnsearch reaches inside Whoosh where its public API is too slow or lacks a hook, and
``arraywriter`` writes Whoosh 3's on-disk posting format itself. Nothing of that is
promised to stay the same from one whoosh3 release to the next: on another version these
uses may fail, or quietly read and write something else. So they are all here, written
for ``WRITTEN_FOR``, and the module refuses to load on any other version
(``check_version``); the command line, the web app and ``build`` call the check first and
stop with one line naming both versions.

What is used, and why:

- ``W3LeafMatcher.skip_to`` and ``_read_ids`` are replaced (``apply_patches``): Whoosh's
  skip steps one posting at a time through three method calls each, where intersections
  spend most of their time; the replacement jumps whole blocks by their highest id and
  bisects the block (eval p50 on 50,000 articles 31 -> 22 ms). Block ids were decoded by a
  Python generator, one call per id (6.8 million for 60 headline queries); ``accumulate``
  does the same sum in C.
- ``W3TermsReader`` lookups are remembered (``apply_patches``): setting up one query word
  looks its term up about seven times, each walking a bucket of the on-disk hash table
  (``_keycoder``, ``_tindex``): 13% of the time of keyword, title and phrase queries.
  A lookup not yet remembered reads the hash table from a memory map of its file
  (``mapped_hash_table``: the ``HashReader``'s ``dbfile``, ``startoffset``, ``hashfn``,
  ``tables``, and ``filetables``' record structs), four times faster than Whoosh's.
- ``posting_list``: ``arraysearch`` decodes whole posting lists, read in one piece from
  the terms reader's ``_postfile`` and decoded block by block in Whoosh 3's block layout
  (``W3LeafMatcher``'s); Whoosh offers them only one posting at a time.
- ``length_column_bytes``: ``bm25`` reads a segment's field lengths as one byte string
  (``_perdoc``, ``_cached_reader``, the ``_<field>_len`` column, its ``_dbfile``,
  ``_basepos`` and ``_count``) instead of five calls and a file read per scored posting.
- ``mapped_bytes_column``: the second stage reads a hundred titles a query from the
  ``title_column``, by slicing a memory map of its file (``VarBytesColumn.Reader``'s
  ``_dbfile``, ``_basepos``, ``_offsets``, ``_lengths``) instead of a seek and a read each.
- ``index_segments``: cleaning up after a failed run needs the committed segments
  (``FileIndex._segments``).
- ``reader_folder``: ``arraysearch`` opens the file written beside a segment
  (``sidecar``), in the folder of the reader's storage (``SegmentReader._storage``).
- ``OwnMatcher``, ``compound_matcher``, ``tree_matcher``, ``span_context``,
  ``PhraseSpans``, ``RewrappingQuery``, ``RewrappingMatcher``, ``ExactAndNotMatcher``:
  ``intersect``'s queries build their matchers through Whoosh's private hooks
  (``_matcher``, ``_tree_matcher``, ``_span_context``, ``_rewrap``, ``_replacement``),
  run its phrase check over their own intersection (``SpanNear2Matcher``'s internals),
  and correct ``AndNotMatcher._find_first``.
- ``COMPRESSION_MIN_SIZE``, ``WHOOSH3_HEADER_MAGIC``, ``posting_writer_parts``:
  ``arraywriter`` writes posting blocks and term infos in Whoosh 3's format into the field
  writer's own files (``_postwriter``'s ``_blocklimit``, ``_inlinelimit`` and
  ``_compression``; ``_postfile``, ``_tindex``, ``_fieldid``). Its tests compare the
  files byte for byte with Whoosh's writer, on this version.
- ``PoolFreeSegmentWriter``, ``SegmentsSubWriterTask``, ``ParallelSegmentsWriter``:
  Whoosh's writers with the posting pool left to the subclass, segments finished before
  the commit, and sub-writers that send back several segments each; they are built from
  Whoosh's private writer steps (``_check_state``, ``_doc_boost``, ``_finalize_segment``,
  ``_merge_segments``, ``_flush_segment``, ``_commit``, ``_new_task``, …).

Not here: the per-segment memos that other modules keep on Whoosh's readers
(``reader.__dict__``) rely only on readers being ordinary objects that live as long as
their segment, not on any of Whoosh's attributes.
"""

from __future__ import annotations

import io
import mmap
import pickle
import queue
import struct
import zlib
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from itertools import accumulate
from typing import Any

DISTRIBUTION = "whoosh3"
WRITTEN_FOR = "3.54.0"
"""The whoosh3 release these uses were written for and tested with (pinned in pyproject.toml)."""


class WhooshVersionError(ImportError):
    """The installed Whoosh is not the release this module was written for.

    An ``ImportError``: it is raised while this module is imported, before the Whoosh
    imports below, which may not even exist on another release."""


def check_version(installed: str | None = None) -> None:
    """Raise ``WhooshVersionError`` unless whoosh3 ``WRITTEN_FOR`` is installed (or, when
    given, ``installed`` is that version)."""
    if installed is None:
        try:
            installed = metadata.version(DISTRIBUTION)
        except metadata.PackageNotFoundError:
            installed = ""
    if installed == WRITTEN_FOR:
        return
    found = f"{DISTRIBUTION} {installed} is installed" if installed else (
        f"{DISTRIBUTION} is not installed")
    raise WhooshVersionError(
        f"{found}, but vnsearch uses Whoosh's internals and writes its index format as "
        f"{DISTRIBUTION} {WRITTEN_FOR} has them: install {DISTRIBUTION}=={WRITTEN_FOR}, "
        f"the version vnsearch was tested with")


# Before anything of Whoosh's internals is imported: on another release they may be
# missing, or mean something else.
check_version()

from whoosh import columns, matching  # noqa: E402
from whoosh.codec.whoosh3 import COMPRESSION_MIN_SIZE, WHOOSH3_HEADER_MAGIC  # noqa: E402, F401
from whoosh.codec.whoosh3 import (  # noqa: E402
    LENGTHS_COLUMN, W3LeafMatcher, W3TermInfo, W3TermsReader)
from whoosh.filedb.filetables import _lengths as _LENGTHS  # noqa: E402
from whoosh.filedb.filetables import _pointer as _POINTER  # noqa: E402
from whoosh.matching import ReadTooFar  # noqa: E402
from whoosh.multiproc import MpWriter, SubWriterTask  # noqa: E402
from whoosh.query import SpanNear2  # noqa: E402
from whoosh.query.wrappers import WrappingQuery  # noqa: E402
from whoosh.reading import CorruptIndexError, TermNotFound  # noqa: E402
from whoosh.writing import SegmentWriter  # noqa: E402


# ------------------------------------------------------------------ posting lists


def _bisecting_skip_to(self: W3LeafMatcher, targetid: int) -> None:
    if not self.is_active():
        raise ReadTooFar
    if self._ids is None:
        self._read_ids()
    if targetid <= self._ids[self._i]:
        return
    if targetid > self._maxid:
        while targetid > self._maxid:
            if self._lastblock:
                self._atend = True
                return
            self._goto(self._nextoffset)
        self._read_ids()
    self._i = bisect_left(self._ids, targetid, self._i)


def _read_ids_accumulated(self: W3LeafMatcher) -> None:
    if self._data is None:
        self._read_data()
    ids = self._data[0]
    self._ids = ids if self._byteids else tuple(accumulate(ids))


_BLOCK_SIZE = struct.Struct("!i")
"""A posting block's length before it (``StructFile.read_int``), negative for the last."""


def posting_list(reader: Any, fieldname: str, tbytes: bytes
                 ) -> tuple[list[int], list[float]]:
    """Every id and weight of a segment's posting list, deleted documents included
    (``TermNotFound`` if the segment lacks the term, as from ``postings``). The list is read in one piece (the term info's
    ``extent``) and its blocks decoded as ``W3LeafMatcher`` decodes them (``_goto``,
    ``_read_data``, ``_read_ids``, ``_read_weights``): through a matcher, each block took
    three file reads and a dozen method calls, 90 us for a list of a few blocks against
    40 here."""
    terms = reader._terms
    info = _term_info(terms, fieldname, tbytes)
    if info.is_inlined():
        ids, weights, _ = info.inlined_postings()
        return list(ids), list(weights)
    offset, length = info.extent()
    if isinstance(length, tuple):  # ``W3TermInfo.from_bytes`` leaves it in its 1-tuple
        (length,) = length
    data = memoryview(terms._postfile.get(offset, length))
    if data[:len(WHOOSH3_HEADER_MAGIC)] != WHOOSH3_HEADER_MAGIC:
        raise CorruptIndexError(f"Bad postings header at offset {offset} "
                                f"for {fieldname}:{tbytes!r}")
    ids: list[int] = []
    weights: list[float] = []
    at = len(WHOOSH3_HEADER_MAGIC)
    while True:
        (size,) = _BLOCK_SIZE.unpack_from(data, at)
        block = io.BytesIO(data[at + _BLOCK_SIZE.size:at + _BLOCK_SIZE.size + abs(size)])
        count, _, _, compression, _, _ = pickle.load(block)
        payload = block.read()
        block_ids, block_weights, _ = pickle.loads(zlib.decompress(payload) if compression
                                                   else payload)
        ids.extend(accumulate(block_ids))
        if block_weights is None or isinstance(block_weights, float):
            weights.extend([1.0 if block_weights is None else block_weights] * count)
        else:
            weights.extend(block_weights)
        if size < 0:
            return ids, weights
        at += _BLOCK_SIZE.size + size


# ------------------------------------------------------------------ term lookups

MAX_TERMS = 50_000
"""Lookups a segment's terms reader remembers, present or absent, before starting over (a
segment never changes once written, so what was found stays true)."""
_UNSEEN = object()


class MappedHashTable:
    """A segment's term dictionary (Whoosh's on-disk hash file, ``filetables.HashReader``)
    looked up in a memory map of its file. Whoosh's lookup seeks and reads the file three
    or four times per key through Python generators, about 40 us; a query's first look at
    its words and their pairs (spelling, restoration) made 5 of the 7 extra seconds of a
    first pass over the public queries. Same table, same answers: the hash function,
    directory, slot and record layouts are the reader's (``hashfn``, ``tables``,
    ``dbfile``, ``startoffset``; ``filetables._pointer`` and ``_lengths``)."""

    __slots__ = ("_map", "_hash", "_tables")

    def __init__(self, mapped: mmap.mmap, hashfn: Callable[[bytes], int],
                 tables: list[tuple[int, int]]):
        self._map, self._hash, self._tables = mapped, hashfn, tables

    def get(self, key: bytes) -> bytes | None:
        keyhash = self._hash(key)
        start, slots = self._tables[keyhash & 255]
        if not slots:
            return None
        mapped, size = self._map, _POINTER.size
        end = start + slots * size
        at = start + ((keyhash >> 8) % slots) * size
        for _ in range(slots):
            slot_hash, item = _POINTER.unpack_from(mapped, at)
            if not item:
                return None
            if slot_hash == keyhash:
                key_length, data_length = _LENGTHS.unpack_from(mapped, item)
                key_start = item + _LENGTHS.size
                if (key_length == len(key)
                        and mapped[key_start:key_start + key_length] == key):
                    data_start = key_start + key_length
                    return mapped[data_start:data_start + data_length]
            at += size
            if at == end:
                at = start
        return None


def mapped_hash_table(table: Any) -> MappedHashTable | None:
    """``table`` (a ``filetables.HashReader``) as a ``MappedHashTable``, or None where it
    is not a file of its own (a compound segment): callers then use Whoosh's lookup."""
    mapped = None if table.startoffset else _file_map(table.dbfile)
    if mapped is None:
        return None
    return MappedHashTable(mapped, table.hashfn, list(table.tables))


def _file_map(structfile: Any) -> mmap.mmap | None:
    """A read-only memory map of the whole file a Whoosh ``StructFile`` reads (its
    ``file``), or None where it reads something else (a part of a compound file)."""
    opened = getattr(structfile, "file", None)
    if not isinstance(opened, io.BufferedReader):
        return None
    return mmap.mmap(opened.fileno(), 0, access=mmap.ACCESS_READ)


def _lookup(self: W3TermsReader, key: bytes) -> bytes | None:
    memo = self.__dict__
    if "_vnsearch_table" not in memo:
        memo["_vnsearch_table"] = mapped_hash_table(self._tindex)
    table = memo["_vnsearch_table"]
    if table is not None:
        return table.get(key)
    try:
        return self._tindex[key]
    except KeyError:
        return None


def _raw(self: W3TermsReader, fieldname: str, tbytes: bytes) -> bytes | None:
    """The term's stored statistics, or None if the segment does not have it."""
    cache = self.__dict__.setdefault("_vnsearch_terms", {})
    key = self._keycoder(fieldname, tbytes)
    raw = cache.get(key, _UNSEEN)
    if raw is _UNSEEN:
        if len(cache) >= MAX_TERMS:
            cache.clear()
        raw = cache[key] = _lookup(self, key)
    return raw


def _term_info(self: W3TermsReader, fieldname: str, tbytes: bytes) -> W3TermInfo:
    raw = _raw(self, fieldname, tbytes)
    if raw is None:
        raise TermNotFound(f"No term {fieldname}:{tbytes!r}")
    return W3TermInfo.from_bytes(raw)


def _contains(self: W3TermsReader, term: tuple[str, bytes]) -> bool:
    return _raw(self, *term) is not None


def _statistics(self: W3TermsReader, fieldname: str, tbytes: bytes) -> W3TermInfo:
    """KeyError for a missing term, as Whoosh's readers expect from these two."""
    raw = _raw(self, fieldname, tbytes)
    if raw is None:
        raise KeyError((fieldname, tbytes))
    return W3TermInfo.from_bytes(raw)


def _frequency(self: W3TermsReader, fieldname: str, tbytes: bytes) -> float:
    return _statistics(self, fieldname, tbytes).weight()


def _doc_frequency(self: W3TermsReader, fieldname: str, tbytes: bytes) -> int:
    return _statistics(self, fieldname, tbytes).doc_frequency()


def apply_patches() -> None:
    """Replace the leaf matcher's skip and id decoding, and remember term lookups (see the
    module docstring); the same answers, faster. Applying them again changes nothing."""
    W3LeafMatcher.skip_to = _bisecting_skip_to
    W3LeafMatcher._read_ids = _read_ids_accumulated
    W3TermsReader.term_info = _term_info
    W3TermsReader.__contains__ = _contains
    W3TermsReader.frequency = _frequency
    W3TermsReader.doc_frequency = _doc_frequency


# ------------------------------------------------------------------ readers and indexes


def length_column_bytes(reader: Any, fieldname: str) -> bytes | None:
    """Every document's length of ``fieldname`` in one segment, a byte each (Whoosh's
    quantized length), or None where the codec keeps them some other way."""
    perdoc = getattr(reader, "_perdoc", None)
    cached_reader = getattr(perdoc, "_cached_reader", None)
    if cached_reader is None:
        return None
    column = cached_reader(f"_{fieldname}_len", LENGTHS_COLUMN)
    if column is None:
        return None
    return column._dbfile.get(column._basepos, column._count)


class MappedBytesColumn:
    """A segment's variable-length bytes column read from a memory map of its file: a
    value is one slice, where Whoosh's reader seeks and reads the file for each (about
    7 us; the second stage reads a hundred titles a query). The mapped pages are the page
    cache's, shared by every worker."""

    __slots__ = ("_map", "_base", "_offsets", "_lengths")

    def __init__(self, mapped: mmap.mmap, base: int, offsets: Sequence[int],
                 lengths: Sequence[int]):
        self._map, self._base, self._offsets, self._lengths = mapped, base, offsets, lengths

    def __getitem__(self, docnum: int) -> bytes:
        start = self._base + self._offsets[docnum]
        return self._map[start:start + self._lengths[docnum]]


def mapped_bytes_column(reader: Any, fieldname: str) -> MappedBytesColumn | None:
    """The segment's ``VarBytesColumn`` of ``fieldname`` as a ``MappedBytesColumn``, or
    None where it is not one in a file of its own (a compound segment, another column
    type): callers then read it through Whoosh (``VarBytesColumn.Reader``'s ``_dbfile``,
    ``_basepos``, ``_offsets`` and ``_lengths``; the ``StructFile``'s ``file``)."""
    column = reader.column_reader(fieldname, translate=False)
    if type(column) is not columns.VarBytesColumn.Reader or not column._doccount:
        return None
    mapped = _file_map(column._dbfile)
    if mapped is None:
        return None
    return MappedBytesColumn(mapped, column._basepos, column._offsets, column._lengths)


def bytes_column_values(reader: Any, fieldname: str) -> Sequence[bytes]:
    """Every value of one segment's bytes column ``fieldname``, by segment document number
    (deleted documents included), read in one piece where it is a ``VarBytesColumn``:
    Whoosh's reader seeks and reads the file for each value, and going through an
    index-wide reader also searches for the segment of each document, which made reading
    four columns of 79,147 articles take 2.2 s of an incremental run that changes nothing
    (``VarBytesColumn.Reader``'s ``_dbfile``, ``_basepos``, ``_offsets`` and
    ``_lengths``)."""
    column = reader.column_reader(fieldname, translate=False)
    if type(column) is not columns.VarBytesColumn.Reader or not column._doccount:
        return list(column)
    offsets, lengths = column._offsets, column._lengths
    data = column._dbfile.get(column._basepos, offsets[-1] + lengths[-1])
    return [data[start:start + length] for start, length in zip(offsets, lengths)]


def reader_folder(reader: Any) -> str | None:
    """The folder a segment reader's files are in, or None when they are not files."""
    return getattr(reader._storage, "folder", None)


def index_segments(index: Any) -> list:
    """The segments of the index's latest committed generation."""
    return index._segments()


# ------------------------------------------------------------------ queries and matchers


class OwnMatcher:
    """Mixed into a Whoosh compound query (``And``, ``Or``, ``DisjunctionMax``) whose
    matcher is built by ``own_matcher``: Whoosh's ``CompoundQuery.matcher`` prepares the
    subqueries and hands them to the private hook ``_matcher``, which its subclasses
    implement."""

    def own_matcher(self, subs: list, searcher: Any, context: Any) -> matching.Matcher:
        raise NotImplementedError

    def _matcher(self, subs: list, searcher: Any, context: Any) -> matching.Matcher:
        return self.own_matcher(subs, searcher, context)


def compound_matcher(query: Any, subs: list, searcher: Any, context: Any) -> matching.Matcher:
    """Whoosh's own matcher of a compound query over subqueries prepared by ``matcher``."""
    return query._matcher(subs, searcher, context)


def tree_matcher(query: Any, subs: list, matcher_class: type, searcher: Any, context: Any,
                 weight_of: Callable[[Any], float], **kwargs: Any) -> matching.Matcher:
    """Whoosh's tree of two-way ``matcher_class`` matchers over the subqueries, as its
    compound queries build (weighted by ``weight_of``)."""
    return query._tree_matcher(subs, matcher_class, searcher, context, weight_of, **kwargs)


def span_context(context: Any) -> Any:
    """The search context with the positions span queries need (Whoosh's span queries
    make their sub-matchers with it)."""
    return SpanNear2._span_context(context)


class PhraseSpans(SpanNear2.SpanNear2Matcher):
    """Whoosh's check that a phrase's words stand side by side, over an intersection of the
    words' matchers that the caller makes: ``SpanNear2Matcher.__init__`` would build its own
    (a tree in phrase order), and its check reads ``ms``, ``slop``, ``ordered`` and
    ``mindist``."""

    def __init__(self, ms: list, intersection: matching.Matcher):
        self.ms = ms
        self.slop, self.ordered, self.mindist = 1, True, 1
        SpanNear2.SpanNear2Matcher.__bases__[0].__init__(self, intersection)


class RewrappingQuery(WrappingQuery):
    """A wrapping query that ``rewrap`` makes again around a new child, for Whoosh's
    ``apply`` and ``with_boost`` (which call the private ``_rewrap``; by default it passes
    the child alone to the class)."""

    def rewrap(self, child: Any) -> WrappingQuery:
        raise NotImplementedError

    def _rewrap(self, child: Any) -> WrappingQuery:
        return self.rewrap(child)


class RewrappingMatcher(matching.WrappingMatcher):
    """A wrapping matcher that ``rewrap`` makes again around a new child, for Whoosh's
    ``replace`` (which calls the private ``_replacement``; by default it passes the child
    and a boost to the class)."""

    def rewrap(self, child: matching.Matcher) -> matching.Matcher:
        raise NotImplementedError

    def _replacement(self, newchild: matching.Matcher) -> matching.Matcher:
        return self.rewrap(newchild)


class ExactAndNotMatcher(matching.AndNotMatcher):
    """Whoosh's ``AndNotMatcher`` checks its first match against the excluded documents
    only when both lists start on the same one, so an article holding an excluded word
    came first in its segment whenever the word's postings started before it."""

    def _find_first(self) -> None:
        if self.a.is_active() and self.b.is_active():
            self._find_next()


# ------------------------------------------------------------------ writing


@dataclass(frozen=True)
class PostingWriterParts:
    """What a whoosh3 field writer holds, between ``start_field`` and ``finish_field``, that
    writing a field's posting lists and term infos in its format takes."""

    block_limit: int
    """Postings per block."""
    inline_limit: int
    """Posting lists this long or shorter are kept inside their term info."""
    compression: int
    """zlib level of blocks of ``COMPRESSION_MIN_SIZE`` bytes or more."""
    postfile: Any
    """The segment's postings file, written at its end."""
    term_index: Any
    """The segment's term dictionary: ``add(key, term info)``."""
    field_id: int
    """The field's number, which starts each of its terms' keys."""


def posting_writer_parts(fieldwriter: Any) -> PostingWriterParts:
    """The parts of a whoosh3 field writer that has started a field."""
    postwriter = fieldwriter._postwriter
    return PostingWriterParts(
        block_limit=postwriter._blocklimit, inline_limit=postwriter._inlinelimit,
        compression=postwriter._compression, postfile=fieldwriter._postfile,
        term_index=fieldwriter._tindex, field_id=fieldwriter._fieldid)


class PoolFreeSegmentWriter(SegmentWriter):
    """Whoosh's ``SegmentWriter`` for a subclass that keeps a segment's postings itself
    (``hold_document``, ``hold_posting``) instead of in Whoosh's posting pool, writes them
    when the segment is flushed (``write_held_postings``), and may finish a segment before
    the commit and go on in a new one (``start_next_segment``).

    ``add_document`` is Whoosh's own, less the pool, the spelling words and term vectors,
    which such a subclass does not write.
    """

    def __init__(self, ix: Any, **kwargs: Any):
        super().__init__(ix, **kwargs)
        self.written_segments: list = []

    def hold_document(self, fieldname: str, items: Any, docnum: int, boost: float) -> int:
        """Keep one document's ``(term, frequency, weight, value)`` items of the field,
        weights times ``boost``; returns the sum of frequencies (the field's length)."""
        raise NotImplementedError

    def hold_posting(self, fieldname: str, tbytes: bytes, docnum: int, weight: float,
                     vbytes: bytes) -> None:
        """Keep one posting of a segment merged into this one."""
        raise NotImplementedError

    def write_held_postings(self, lengths: Any) -> None:
        """Write what is held into ``self.fieldwriter``; ``lengths`` reads the segment's
        field lengths (None when the codec keeps none)."""
        raise NotImplementedError

    def add_document(self, **fields):
        self._check_state()
        perdocwriter = self.perdocwriter
        schema = self.schema
        docnum = self.docnum
        docboost = self._doc_boost(fields)
        fieldnames = sorted(name for name in fields if not name.startswith("_"))
        self._check_fields(schema, fieldnames)
        perdocwriter.start_doc(docnum)
        try:
            for fieldname in fieldnames:
                value = fields.get(fieldname)
                if value is None:
                    continue
                field = schema[fieldname]
                length = 0
                if field.indexed:
                    boost = self._field_boost(fields, fieldname, docboost)
                    length = self.hold_document(fieldname, field.index(value), docnum, boost)
                    if not field.scorable:
                        length = 0
                stored = fields.get(f"_stored_{fieldname}", value)
                perdocwriter.add_field(fieldname, field, stored if field.stored else None,
                                       length)
                column = field.column_type
                if column and stored is not None:
                    perdocwriter.add_column_value(fieldname, column,
                                                  field.to_column_value(stored))
        except ValueError:
            perdocwriter.cancel_doc()
            raise
        perdocwriter.finish_doc()
        self._added = True
        self.docnum += 1

    def add_postings_to_pool(self, reader, startdoc, docmap):
        """Postings of segments merged into this one (Whoosh's merge policy) are held too."""
        for fieldname, tbytes, docnum, weight, vbytes in self._process_posts(
                reader.iter_postings(), startdoc, docmap):
            self.hold_posting(fieldname, tbytes, docnum, weight, vbytes)

    def start_next_segment(self) -> None:
        """Finish the segment being written (into ``written_segments``) and go on in a new,
        empty one."""
        self.written_segments.append(self._finalize_segment())
        codec = self.codec
        self.newsegment = codec.new_segment(self.storage, self.indexname)
        self.perdocwriter = codec.per_document_writer(self.storage, self.newsegment)
        self.fieldwriter = codec.field_writer(self.storage, self.newsegment)
        self.docnum = self.docbase
        self._added = False

    def finish_current_segment(self) -> list:
        """The segment being written, finished, if it holds a document (else it is closed)."""
        if self._added:
            return [self._finalize_segment()]
        self._close_segment()
        return []

    def finished_segments(self) -> list:
        """Every segment this writer wrote, for a parent writer to commit."""
        return self.written_segments + self.finish_current_segment()

    def _merge_segments(self, mergetype, optimize, merge):
        """The segments kept by Whoosh's merge policy, and those this writer finished."""
        return super()._merge_segments(mergetype, optimize, merge) + self.written_segments

    def _flush_segment(self):
        self.perdocwriter.close()
        lengths = self.per_document_reader() if self.codec.length_stats else None
        self.write_held_postings(lengths)
        self.fieldwriter.close()
        if lengths:
            lengths.close()


class SegmentsSubWriterTask(SubWriterTask):
    """Whoosh's sub-writer process with a writer of ``writer_class``, which sends back every
    segment it wrote (Whoosh's sends one)."""

    writer_class: type[PoolFreeSegmentWriter]

    def write_segments(self) -> None:
        """Write the documents of each job file the parent hands over until it says stop
        (``SubWriterTask.run``), then send back the segments."""
        ix = self.storage.open_index(self.indexname)
        writer = self.writer = self.writer_class(ix, _lk=False, **self.kwargs)
        while self.running:
            job = self.jobqueue.get()
            if job is None:
                break
            self._process_file(*job)
        if not self.running:
            writer.cancel()
            return
        self.resultqueue.put((None, set(), writer.finished_segments()), timeout=5)


class ParallelSegmentsWriter(MpWriter, PoolFreeSegmentWriter):
    """Whoosh's multiprocessing writer whose sub-writers (``task_class``) each write their
    own segments, which the commit adds to the index as they are (Whoosh's
    ``multisegment``, with a list of segments from each sub-writer instead of one)."""

    task_class: type[SegmentsSubWriterTask]

    def __init__(self, ix: Any, procs: int, subargs: dict, **kwargs: Any):
        MpWriter.__init__(self, ix, procs=procs, multisegment=True, subargs=subargs, **kwargs)
        self.written_segments = []

    def check_sub_writers(self) -> None:
        """Called when every sub-writer has ended, before their segments are committed:
        raise to commit nothing."""
        raise NotImplementedError

    def _new_task(self):
        task = self.task_class(self.storage, self.indexname, self.jobqueue, self.resultqueue,
                               self.subargs, True)
        self.tasks.append(task)
        task.start()
        return task

    def _commit(self, mergetype, optimize, merge):
        if self.docbuffer:
            self._enqueue()
        for _ in self.tasks:
            self.jobqueue.put(None)
        segments = self._merge_segments(mergetype, optimize, merge)
        for task in self.tasks:
            task.join()
        self.check_sub_writers()
        for _ in self.tasks:
            try:
                segments += self.resultqueue.get(timeout=1)[2]
            except queue.Empty:
                pass
        segments += self.finish_current_segment()
        self._commit_toc(segments)
        self._finish()
