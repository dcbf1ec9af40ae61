"""Decoded posting lists of a segment's common words, written beside the segment.

Decoding a posting list costs about half a microsecond per posting, so a server worker
that has just started spends its first queries decoding its common words' lists, and every
worker keeps its own decoded copy. The writer (``arraywriter``) holds each term's ids and
weights as arrays while it writes a segment, so it also writes them out, already in the
forms ``arraysearch`` keeps (``postingforms``), into ``<segment id>.vnp``. A reader maps
the file and gets a list as array views: nothing is decoded or copied, and the operating
system's page cache holds one copy for every worker.

The file: a header (magic, format version, segment id, document count, where the parts
start, the file's length and a CRC of the index), the lists (each array starting on an
8-byte boundary), then the index: sorted keys (field name, a zero byte, the term) as one
fixed-width byte array, searched with ``np.searchsorted``, and a table of where and in
which form each list is. The name follows Whoosh's segment file names, so Whoosh removes
the file with its segment (a merge, an uncommitted run's leftovers).

A file that is missing, from another segment or format version, truncated, or whose index
is damaged is not used: its segment's lists are decoded as before, and the problem is said
once per file on stderr. A segment written by Whoosh itself (or before sidecars existed)
has none and is served the same way; ``vnsearch index --full`` writes them all.
"""

from __future__ import annotations

import mmap
import os
import sys
import zlib
from pathlib import Path

import numpy as np

from . import postingforms
from .postingforms import Compact, Dense
from .schema import TEXT_FIELDS

EXTENSION = ".vnp"
FORMAT_VERSION = 1
MAGIC = b"VNPOSTS\x00"
FIELDS = TEXT_FIELDS
"""The fields whose words ``arraysearch`` matches."""
MIN_POSTINGS = postingforms.MIN_POSTINGS
ALIGN = 8

_HEADER = np.dtype([("magic", "S8"), ("version", "<u4"), ("doc_count", "<u4"),
                    ("entries", "<u4"), ("key_width", "<u4"), ("keys_at", "<u8"),
                    ("table_at", "<u8"), ("length", "<u8"), ("index_crc", "<u4"),
                    ("segment", "S64")])
HEADER_BYTES = 128
_ENTRY = np.dtype([("gaps_at", "<u8"), ("weights_at", "<u8"), ("count", "<u4"),
                   ("first", "<i4"), ("dense", "u1"), ("gaps", "S1"), ("weights", "S1")])
REMEMBERED = 20_000
"""Lookups a sidecar remembers, found or not, before starting over."""
_UNSEEN = object()
_FORMS = {np.dtype(t).char: np.dtype(t) for t in ("<u1", "<u2", "<i4", "<f4")}
"""The element types a stored array may have, by their one-letter code."""


def path_of(folder: Path, segment_id: str) -> Path:
    return Path(folder) / f"{segment_id}{EXTENSION}"


class SidecarWriter:
    """Collects a segment's long lists field by field and writes the file when closed,
    under a temporary name renamed into place: a reader sees a whole file or none, and the
    segment's commit (which makes it live) comes after."""

    def __init__(self, path: Path, segment_id: str, doc_count: int):
        self.path, self.segment_id, self.doc_count = Path(path), segment_id, doc_count
        self._partial = self.path.with_name(self.path.name + ".part")
        self._file = open(self._partial, "wb")
        self._file.write(bytes(HEADER_BYTES))
        self._keys: list[bytes] = []
        self._entries: list[tuple] = []

    def add_field(self, fieldname: str, terms: list[bytes], term_sizes: np.ndarray,
                  docs: np.ndarray, weights: np.ndarray) -> None:
        """A field's postings in term order (``terms`` sorted, ``term_sizes`` postings each,
        ids ascending within a term), as the writer has them."""
        if fieldname not in FIELDS:
            return
        ends = np.cumsum(term_sizes)
        for n in np.flatnonzero(term_sizes >= MIN_POSTINGS).tolist():
            end = int(ends[n])
            start = end - int(term_sizes[n])
            form = postingforms.kept(docs[start:end].astype(np.int32), weights[start:end],
                                     self.doc_count)
            self._keys.append(fieldname.encode() + b"\x00" + terms[n])
            self._entries.append(self._write_form(form))

    def _write_form(self, form: Compact | Dense) -> tuple:
        if isinstance(form, Dense):
            at = self._write_array(form.weights)
            return (at, at, len(form.weights), 0, 1, b"B", b"B")
        gaps_at = self._write_array(form.gaps)
        weights_at = self._write_array(form.weights)
        return (gaps_at, weights_at, len(form.weights), form.first, 0,
                form.gaps.dtype.char.encode(), form.weights.dtype.char.encode())

    def _write_array(self, array: np.ndarray) -> int:
        at = self._aligned()
        self._file.write(np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<"),
                                                             copy=False).tobytes())
        return at

    def _aligned(self) -> int:
        at = self._file.tell()
        padding = -at % ALIGN
        if padding:
            self._file.write(bytes(padding))
        return at + padding

    def close(self) -> None:
        """Write the index and the header, and put the file in place."""
        order = sorted(range(len(self._keys)), key=self._keys.__getitem__)
        width = max((len(k) for k in self._keys), default=1)
        keys = np.array([self._keys[i] for i in order], dtype=f"S{width}")
        table = np.array([self._entries[i] for i in order], dtype=_ENTRY)
        keys_at = self._aligned()
        self._file.write(keys.tobytes())
        table_at = self._aligned()
        self._file.write(table.tobytes())
        length = self._file.tell()
        header = np.zeros(1, dtype=_HEADER)
        header[0] = (MAGIC, FORMAT_VERSION, self.doc_count, len(keys), width, keys_at,
                     table_at, length, zlib.crc32(table.tobytes(), zlib.crc32(keys.tobytes())),
                     self.segment_id.encode())
        self._file.seek(0)
        self._file.write(header.tobytes())
        self._file.close()
        os.replace(self._partial, self.path)

    def abandon(self) -> None:
        self._file.close()
        self._partial.unlink(missing_ok=True)


class SidecarInvalid(Exception):
    """The file cannot be trusted for its segment (the message says why)."""


class Sidecar:
    """A segment's sidecar, mapped: lists as views of the mapping."""

    def __init__(self, path: Path, segment_id: str, doc_count: int):
        """Raises ``OSError`` if the file cannot be read, ``SidecarInvalid`` if it is not
        this segment's or is damaged."""
        with open(path, "rb") as file:
            size = os.fstat(file.fileno()).st_size
            if size < HEADER_BYTES:
                raise SidecarInvalid(f"truncated ({size} bytes)")
            self._map = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
        self.bytes = np.frombuffer(self._map, dtype=np.uint8)
        header = self.bytes[:_HEADER.itemsize].view(_HEADER)[0]
        _check_header(header, size, segment_id, doc_count)
        self.doc_count = doc_count
        entries, width = int(header["entries"]), int(header["key_width"])
        keys_at, table_at = int(header["keys_at"]), int(header["table_at"])
        keys_end, table_end = keys_at + entries * width, table_at + entries * _ENTRY.itemsize
        if not (HEADER_BYTES <= keys_at <= keys_end <= table_at <= table_end <= size):
            raise SidecarInvalid("its index lies outside the file")
        keys_crc = zlib.crc32(self.bytes[keys_at:keys_end])
        if zlib.crc32(self.bytes[table_at:table_end], keys_crc) != int(header["index_crc"]):
            raise SidecarInvalid("its index is damaged")
        self.keys = self.bytes[keys_at:keys_end].view(f"S{width}")
        self.table = self.bytes[table_at:table_end].view(_ENTRY)
        self._check_table(keys_at)
        self._column = {name: self.table[name] for name in _ENTRY.names}
        self._found: dict[bytes, Compact | Dense | None] = {}

    def _check_table(self, data_end: int) -> None:
        table = self.table
        if not set(table["gaps"].tolist() + table["weights"].tolist()) <= set(
                c.encode() for c in _FORMS):
            raise SidecarInvalid("unknown array types in its index")
        counts = table["count"].astype(np.int64)
        itemsize = {code.encode(): dtype.itemsize for code, dtype in _FORMS.items()}
        gap_bytes, weight_bytes = (np.array([itemsize[c] for c in table[part].tolist()],
                                            dtype=np.int64) for part in ("gaps", "weights"))
        dense = table["dense"].astype(bool)
        gaps_end = table["gaps_at"].astype(np.int64) + np.maximum(counts - 1, 0) * gap_bytes
        weights_end = table["weights_at"].astype(np.int64) + np.where(
            dense, self.doc_count, counts * weight_bytes)
        if len(table) and (max(gaps_end.max(), weights_end.max()) > data_end
                           or min(table["gaps_at"].min(), table["weights_at"].min())
                           < HEADER_BYTES):
            raise SidecarInvalid("a list lies outside the file")

    def get(self, fieldname: str, term: bytes) -> Compact | Dense | None:
        """The term's list, or None if it is not in the file (a short list, or no such
        term). Answers are remembered: a search asks for each of its words several times,
        and a remembered answer costs a dictionary lookup, not a search of the keys."""
        key = fieldname.encode() + b"\x00" + term
        found = self._found.get(key, _UNSEEN)
        if found is _UNSEEN:
            if len(self._found) >= REMEMBERED:
                self._found.clear()
            found = self._found[key] = self._find(key)
        return found

    def _find(self, key: bytes) -> Compact | Dense | None:
        if len(key) > self.keys.dtype.itemsize:
            return None
        n = int(np.searchsorted(self.keys, key))
        if n == len(self.keys) or self.keys[n] != key:
            return None
        weights_at = int(self._column["weights_at"][n])
        if self._column["dense"][n]:
            return Dense.of(self.bytes[weights_at:weights_at + self.doc_count])
        count = int(self._column["count"][n])
        gaps = _view(self.bytes, int(self._column["gaps_at"][n]), count - 1,
                     self._column["gaps"][n])
        return Compact.of(int(self._column["first"][n]), gaps,
                          _view(self.bytes, weights_at, count, self._column["weights"][n]))

    def warm(self) -> None:
        """Ask the system to read the whole file into the page cache now (shared by every
        process mapping it), rather than page by page under the first queries."""
        if hasattr(mmap, "MADV_WILLNEED"):
            self._map.madvise(mmap.MADV_WILLNEED)


def _view(data: np.ndarray, at: int, count: int, code: bytes) -> np.ndarray:
    dtype = _FORMS[code.decode()]
    return data[at:at + count * dtype.itemsize].view(dtype)


def _check_header(header, size: int, segment_id: str, doc_count: int) -> None:
    if header["magic"] != MAGIC.rstrip(b"\x00"):
        raise SidecarInvalid("not a sidecar file")
    if int(header["version"]) != FORMAT_VERSION:
        raise SidecarInvalid(f"format version {int(header['version'])}, this vnsearch "
                             f"reads {FORMAT_VERSION}")
    owner = header["segment"].decode(errors="replace")
    if owner != segment_id:
        raise SidecarInvalid(f"it belongs to segment {owner}")
    if int(header["doc_count"]) != doc_count:
        raise SidecarInvalid(f"it counts {int(header['doc_count'])} documents, the segment "
                             f"{doc_count}")
    if int(header["length"]) != size:
        raise SidecarInvalid(f"truncated or padded ({size} bytes, {int(header['length'])} "
                             f"written)")


_reported: set[Path] = set()


def open_for(path: Path, segment_id: str, doc_count: int) -> Sidecar | None:
    """The segment's sidecar, or None if it has none or it cannot be trusted (said once
    per file on stderr: its lists are then decoded, as without a sidecar)."""
    try:
        return Sidecar(path, segment_id, doc_count)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, SidecarInvalid) as err:
        if path not in _reported:
            _reported.add(path)
            print(f"vnsearch: not using {path}: {err}; its segment's posting lists are "
                  f"decoded instead", file=sys.stderr, flush=True)
        return None
