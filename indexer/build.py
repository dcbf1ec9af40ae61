"""Full and incremental index builds.

The main process reads and cleans the files; Whoosh's multiprocessing writer hands them
in batches to one sub-writer per core, which segments them with pyvi (the field
analyzers) and writes its own segment. Segmentation is thus spread over the cores and
overlapped with writing instead of being added on top of it, and nothing is pickled twice.

An incremental run diffs the archive against the ``state`` column (size, mtime, checksum)
and only reads files whose size or mtime changed; only files whose checksum changed are
re-segmented.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .analysis import SECTION_BREAK
from .arraywriter import ArraySegmentWriter, ParallelArrayWriter
from .articles import (
    DEFAULT_MAX_BYTES,
    ArchiveFile,
    Article,
    ArticleError,
    file_checksum,
    read_or_reject,
    scan_archive,
)
from .location import (
    IndexMissing,
    current_dir,
    discard_uncommitted,
    discard_unpublished,
    new_generation,
    open_current,
    publish,
)
from .lock import reindex_lock
from .schema import TEXT_FIELDS, TITLE_FIELDS, build_schema


class IndexWriteFailed(Exception):
    """Articles handed to the writer are missing from what it committed.

    Whoosh's multiprocessing writer ignores a sub-writer that died (killed for memory, a
    crash) and commits the others' segments, so without this check a run would report
    success and publish an index without a share of the archive.
    """


class TooManyDeletions(Exception):
    """A run would remove more than half of the indexed articles.

    An unmounted network share or an emptied folder looks exactly like an archive whose
    articles were all deleted; the index would be wiped without a word. The librarian
    confirms a real mass deletion with ``--allow-deletions``.
    """


DELETION_LIMIT = 0.5
"""Share of the indexed articles a run may delete without ``--allow-deletions``."""


@dataclass
class BuildReport:
    full: bool = False
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    renamed: list[tuple[str, str]] = field(default_factory=list)
    unchanged: int = 0
    skipped: int = 0
    rejected: list[ArticleError] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)  # kept: their folder cannot be read
    elapsed: float = 0.0
    documents: int = 0

    @property
    def indexed(self) -> int:
        return len(self.added) + len(self.updated)

    @property
    def docs_per_second(self) -> float:
        return self.indexed / self.elapsed if self.elapsed > 0 else 0.0


@dataclass(frozen=True)
class FileState:
    size: int
    mtime: float
    checksum: str

    def encode(self) -> bytes:
        return f"{self.size} {self.mtime!r} {self.checksum}".encode()

    @classmethod
    def decode(cls, raw: bytes) -> "FileState":
        size, mtime, checksum = raw.decode().split(" ")
        return cls(int(size), float(mtime), checksum)


SECTION_CHARS = 20_000
"""Longest stretch of an article the analyzers segment at once. pyvi's features for a
stretch take about 500 times its size in memory: a 5 MB article segmented whole peaked at
2.7 GB and 31 s. Analysis segments each section apart (as it does title and body), so an
article cut into sections needs memory for one section only."""


def in_sections(body: str, limit: int = SECTION_CHARS) -> str:
    """``body`` with SECTION_BREAK between stretches of at most ``limit`` characters, cut
    at a paragraph break where there is one (else a line break, else a space).

    The body fields keep no positions, so a break changes nothing for matching but a
    compound or syllable pair across the cut; articles within the limit (nearly all) are
    analysed exactly as before.
    """
    if len(body) <= limit:
        return body
    pieces = []
    start = 0
    while len(body) - start > limit:
        end = start + limit
        cut = -1
        for separator in ("\n\n", "\n", " "):
            cut = body.rfind(separator, start + 1, end)
            if cut > start:
                break
        if cut <= start:
            cut = end
        pieces.append(body[start:cut])
        start = cut
    pieces.append(body[start:])
    return SECTION_BREAK.join(pieces)


def to_document(article: Article) -> dict:
    """The Whoosh document for one article: display fields, columns and text to analyse."""
    both = article.title + SECTION_BREAK + in_sections(article.body)
    doc = {
        "id": article.id,
        "title": article.title,
        "body": article.body,
        "source_url": article.source_url,
        "tags": list(article.tags),
        "state": FileState(article.size, article.mtime, article.checksum).encode(),
        "title_column": article.title.encode("utf-8"),
    }
    doc.update({name: both for name in TEXT_FIELDS})
    doc.update({name: article.title for name in TITLE_FIELDS})
    for name in ("date", "author", "category", "publisher"):
        value = getattr(article, name)
        if value:
            doc[name] = value
    if article.date:
        doc["year"] = article.date[:4]
    return {k: v for k, v in doc.items() if v is not None}


def _documents(
    root: Path, files: list[ArchiveFile], max_bytes: int, report: "BuildReport"
) -> Iterator[dict]:
    """Read each file; rejected ones go to the report and the rest of the archive goes on."""
    for file in files:
        article = read_or_reject(root, file, max_bytes)
        if isinstance(article, ArticleError):
            report.rejected.append(article)
        else:
            yield to_document(article)


def _indexed_states(index) -> dict[str, FileState]:
    with index.reader() as reader:
        ids = reader.column_reader("id")
        states = reader.column_reader("state")
        return {
            ids[docnum]: FileState.decode(states[docnum])
            for docnum in reader.all_doc_ids()
        }


Progress = Callable[[Iterable], Iterable]


def build(
    archive: Path,
    index_root: Path,
    *,
    full: bool = False,
    jobs: int | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    progress: Progress | None = None,
    allow_deletions: bool = False,
) -> BuildReport:
    """Bring the index in line with the archive.

    Raises ``IndexBusy`` if another run holds the index, ``TooManyDeletions`` (changing
    nothing) if the run would delete more than half of the indexed articles and
    ``allow_deletions`` is not given, and ``OSError`` for a full disk, after removing
    whatever it had written.
    """
    started = time.perf_counter()
    jobs = jobs or os.cpu_count() or 1
    with reindex_lock(index_root):
        # Leftovers of a run that failed or was killed are removed first: on a full disk
        # they hold the very space this run needs.
        discard_unpublished(index_root)
        discard_uncommitted(index_root)
        scan = scan_archive(archive)
        report = BuildReport(skipped=scan.skipped, rejected=list(scan.rejected))
        if full or current_dir(index_root) is None or not _readable(index_root):
            report.full = True
            _full(archive, index_root, scan.files, jobs, max_bytes, progress, report,
                  allow_deletions)
        else:
            _incremental(archive, index_root, scan, jobs, max_bytes, progress, report,
                         allow_deletions)
    report.elapsed = time.perf_counter() - started
    return report


PARALLEL_MIN_FILES = 200
"""Below this, starting sub-writers (each loads pyvi's model) costs more than it saves."""


def _writer(index, files: list[ArchiveFile], jobs: int):
    """Segments are written as separate files, not Whoosh's compound file: a reader copies
    a compound segment's term dictionary into private memory (about 380 MB per server
    worker on 50,000 articles), while separate files are read from the page cache."""
    if jobs > 1 and len(files) >= PARALLEL_MIN_FILES:
        return ParallelArrayWriter(index, procs=jobs, batchsize=50, compound=False)
    return ArraySegmentWriter(index, compound=False)


def _abandon(writer) -> None:
    """Cancel a write: stop the multiprocessing writer's sub-writers before their files go.

    Whoosh's own cancel deletes the job files while the sub-writers still read them, and
    each then prints a traceback. A commit that failed (a full disk) has already closed the
    writer, and cancelling it again would replace the real error with "This writer is
    closed".
    """
    for task in getattr(writer, "tasks", ()):
        task.terminate()
        task.join()
    if not writer.is_closed:
        writer.cancel()


def _check_deletions(before: int, after: int, allow_deletions: bool, archive: Path) -> None:
    """Refuse a run after which the index would hold less than half of its articles.

    Counted as a net loss, so that renamed and moved files, which are deleted under one id
    and added under another, never trigger it.
    """
    if allow_deletions or before - after <= DELETION_LIMIT * before:
        return
    raise TooManyDeletions(
        f"this run would remove {before - after:,} of the {before:,} indexed articles, as "
        f"if the archive {archive} had been emptied (an unmounted share?); nothing was "
        f"changed. If these articles were really deleted, run again with --allow-deletions")


def _indexed_ids(index_root: Path) -> set[str]:
    """Ids in the live index (none if there is no readable one), before a full rebuild."""
    try:
        ix = open_current(index_root)
    except IndexMissing:
        return set()
    try:
        return set(_indexed_states(ix))
    finally:
        ix.close()


def _readable(index_root: Path) -> bool:
    """An index written by an older version, or damaged, is rebuilt rather than patched."""
    try:
        open_current(index_root).close()
    except IndexMissing:  # incompatible, or damaged
        return False
    return True


def _write_all(writer, archive, files, max_bytes, progress, report, add) -> set[str]:
    """Feed every readable file to the writer; returns the ids written."""
    written: set[str] = set()
    stream = progress(files) if progress else files
    for doc in _documents(archive, stream, max_bytes, report):
        add(**doc)
        written.add(doc["id"])
    return written


def _full(archive, index_root, files, jobs, max_bytes, progress, report,
          allow_deletions) -> None:
    before = _indexed_ids(index_root)
    generation = new_generation(index_root)
    try:
        _write_generation(generation, archive, files, jobs, max_bytes, progress, report)
        _check_deletions(len(before), report.documents, allow_deletions, archive)
    except BaseException:
        # An unpublished generation is never read: on a full disk it only holds the space.
        shutil.rmtree(generation, ignore_errors=True)
        raise
    publish(index_root, generation)


def _write_generation(generation, archive, files, jobs, max_bytes, progress, report) -> None:
    from whoosh import index as whoosh_index

    ix = whoosh_index.create_in(str(generation), build_schema())
    writer = _writer(ix, files, jobs)
    try:
        written = _write_all(writer, archive, files, max_bytes, progress, report,
                             writer.add_document)
        writer.commit()
    except BaseException:
        _abandon(writer)
        raise
    lost = len(written) - ix.doc_count()
    if lost:
        raise IndexWriteFailed(
            f"{lost} of {len(written)} articles were lost by a writer process (killed, or out "
            f"of memory); nothing was published and the previous index is unchanged")
    report.added = sorted(written)
    report.documents = ix.doc_count()


def _changed(root: Path, files: list[ArchiveFile], indexed: dict[str, FileState], deep: bool
             ) -> tuple[list[ArchiveFile], int]:
    """Files to (re)index and how many are unchanged.

    Size and mtime decide, and a checksum confirms a change before any re-segmenting;
    ``deep`` checksums every file (for ``--verify``).
    """
    to_read: list[ArchiveFile] = []
    unchanged = 0
    for file in files:
        state = indexed.get(file.id)
        if state is None:
            to_read.append(file)
        elif deep or state.size != file.size or state.mtime != file.mtime:
            if state.size == file.size and file_checksum(root, file.abspath) == state.checksum:
                unchanged += 1
            else:
                to_read.append(file)
        else:
            unchanged += 1
    return to_read, unchanged


@dataclass
class VerifyReport:
    missing: list[str] = field(default_factory=list)  # in the archive, not in the index
    stale: list[str] = field(default_factory=list)  # indexed from an older version of the file
    orphaned: list[str] = field(default_factory=list)  # in the index, no longer in the archive
    rejected: list[ArticleError] = field(default_factory=list)  # not indexed, and rightly so
    documents: int = 0

    @property
    def in_sync(self) -> bool:
        return not (self.missing or self.stale or self.orphaned)


def verify(archive: Path, index_root: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> VerifyReport:
    """Compare the index with the archive, checksumming every file; changes nothing."""
    ix = open_current(index_root)
    indexed = _indexed_states(ix)
    scan = scan_archive(archive)
    to_read, _ = _changed(archive, scan.files, indexed, deep=True)
    report = VerifyReport(documents=ix.doc_count(), rejected=list(scan.rejected))
    for file in to_read:
        outcome = read_or_reject(archive, file, max_bytes)
        if isinstance(outcome, ArticleError):
            report.rejected.append(outcome)
            if file.id in indexed:
                report.orphaned.append(file.id)
            continue
        (report.stale if file.id in indexed else report.missing).append(file.id)
    on_disk = {f.id for f in scan.files}
    report.orphaned = sorted(set(report.orphaned) | (set(indexed) - on_disk))
    return report


def _in_folders(doc_id: str, folders: list[str]) -> bool:
    return any(doc_id.startswith(folder + "/") for folder in folders)


def _incremental(archive, index_root, scan, jobs, max_bytes, progress, report,
                 allow_deletions) -> None:
    files = scan.files
    ix = open_current(index_root)
    indexed = _indexed_states(ix)
    on_disk = {f.id: f for f in files}
    to_read, report.unchanged = _changed(archive, files, indexed, deep=False)
    missing = set(indexed) - set(on_disk)
    # A folder that cannot be listed says nothing about its articles: they are kept.
    report.unreadable = sorted(i for i in missing if _in_folders(i, scan.unreadable))
    gone = sorted(missing - set(report.unreadable))
    if not to_read and not gone:
        report.documents = ix.doc_count()
        return
    writer = _writer(ix, to_read, jobs)
    try:
        written = _write_all(writer, archive, to_read, max_bytes, progress, report,
                             writer.update_document)
        rejected_ids = {err.id for err in report.rejected} & set(indexed)
        remaining = (set(indexed) - set(gone) - rejected_ids) | written
        _check_deletions(len(indexed), len(remaining), allow_deletions, archive)
        for doc_id in gone + sorted(rejected_ids):
            writer.delete_by_term("id", doc_id)
        writer.commit()
    except BaseException:
        _abandon(writer)
        # Segment files written before the failure are in no table of contents: on a
        # full disk they only hold the space the next run needs.
        discard_uncommitted(index_root)
        raise
    report.documents = open_current(index_root).doc_count()
    kept = set(indexed) - set(gone) - rejected_ids
    lost = len(kept | written) - report.documents
    if lost:
        raise IndexWriteFailed(
            f"{lost} of {len(written)} new or changed articles were lost by a writer process "
            f"(killed, or out of memory); the rest were indexed. Run the index command "
            f"again to add them.")
    _classify(archive, report, written, indexed, gone, on_disk)


def _classify(archive, report, written, indexed, gone, on_disk) -> None:
    """Name what happened to each file: a deleted id whose checksum reappears was renamed."""
    new_ids = sorted(i for i in written if i not in indexed)
    report.updated = sorted(i for i in written if i in indexed)
    by_checksum = {indexed[i].checksum: i for i in gone}
    report.added = []
    for doc_id in new_ids:
        checksum = file_checksum(archive, on_disk[doc_id].abspath)
        old = by_checksum.pop(checksum, None) if checksum else None
        if old:
            report.renamed.append((old, doc_id))
        else:
            report.added.append(doc_id)
    renamed_from = {old for old, _ in report.renamed}
    report.deleted = [i for i in gone if i not in renamed_from]
