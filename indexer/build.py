"""Full and incremental index builds.

The main process reads and cleans the files; Whoosh's multiprocessing writer hands them
in batches to one sub-writer per core, which segments them with pyvi (the field
analyzers) and writes its own segment. Segmentation is thus spread over the cores and
overlapped with writing instead of being added on top of it, and nothing is pickled twice.

An incremental run diffs the archive against the ``state`` column (size, mtime, checksum)
and only reads files whose size or mtime changed; only files whose checksum changed are
re-segmented.

Exact duplicates are indexed once, as the first of them in id order, which records the
others as its copies; the ids of files that are gone but whose text lives on lead to the
article holding it (``indexer.links``). A full rebuild takes these from the previous
generation, and an incremental run carries them over.

Each segment's writer also writes its common words' decoded posting lists beside it
(``sidecar``), before the commit or publication that makes the segment live; an
incremental run adds those missing from segments written before sidecars existed
(``backfill``).
"""

from __future__ import annotations

import gc
import os
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from . import backfill, fingerprint, runlog, whoosh_internals
from .analysis import SECTION_BREAK
from .arraywriter import ArraySegmentWriter, ParallelArrayWriter
from .articles import (
    DEFAULT_MAX_BYTES,
    ArchiveFile,
    ArchiveScan,
    Article,
    ArticleError,
    file_checksum,
    read_or_reject,
    scan_archive,
    text_hash,
)
from .i18n import _
from .links import Known, Links, Present, column, groups, plan
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
    duplicates: list[list[str]] = field(default_factory=list)
    """Every article with exact duplicates, as [indexed id, copy id, …], after the run."""
    elapsed: float = 0.0
    documents: int = 0
    sidecars_written: int = 0
    """Segments written before sidecars existed that this run gave one (``backfill``)."""

    @property
    def folded(self) -> int:
        """Files not indexed as results of their own: copies of an indexed article."""
        return sum(len(group) - 1 for group in self.duplicates)

    @property
    def indexed(self) -> int:
        return len(self.added) + len(self.updated)


class FileState(NamedTuple):
    """A named tuple rather than a frozen dataclass: an incremental run decodes one for
    every file the index knows, and a tuple is made three times faster."""

    size: int
    mtime: float
    checksum: str

    def encode(self) -> bytes:
        return self.text().encode()

    def text(self) -> str:
        return f"{self.size} {self.mtime!r} {self.checksum}"

    @classmethod
    def decode(cls, raw: bytes | str) -> "FileState":
        size, mtime, checksum = (raw.decode() if isinstance(raw, bytes) else raw).split(" ")
        return cls(int(size), float(mtime), checksum)

    @classmethod
    def of(cls, article: Article) -> "FileState":
        return cls(article.size, article.mtime, article.checksum)


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


def to_document(article: Article, links: Links | None = None) -> dict:
    """The Whoosh document for one article: display fields, columns and text to analyse."""
    stored = {
        "id": article.id,
        "title": article.title,
        "body": article.body,
        "source_url": article.source_url,
        "tags": list(article.tags),
    }
    for name in ("date", "author", "category", "publisher"):
        value = getattr(article, name)
        if value:
            stored[name] = value
    if article.date:
        stored["year"] = article.date[:4]
    return _document(stored, FileState.of(article).encode(), links or Links())


def _document(stored: dict, state: bytes, links: Links) -> dict:
    """The document made from its stored fields: what is analysed and every column derive
    from them, so an article whose links change is rewritten from the index alone."""
    title, body = stored["title"], stored["body"]
    both = title + SECTION_BREAK + in_sections(body)
    doc = dict(stored)
    doc.update({name: both for name in TEXT_FIELDS})
    doc.update({name: title for name in TITLE_FIELDS})
    doc.update(state=state, title_column=title.encode("utf-8"),
               content=text_hash(title, body).encode(), links=links.encode())
    return {k: v for k, v in doc.items() if v is not None}


def _relinked(searcher, doc_id: str, links: Links) -> dict:
    """An indexed article's document again, with other links."""
    docnum = searcher.document_number(id=doc_id)
    return _document(searcher.stored_fields(docnum),
                     column(searcher.reader(), "state")[docnum], links)


def _articles(
    root: Path, files: Iterable[ArchiveFile], max_bytes: int, report: "BuildReport"
) -> Iterator[Article]:
    """Read each file; rejected ones go to the report and the rest of the archive goes on."""
    for file in files:
        article = read_or_reject(root, file, max_bytes)
        if isinstance(article, ArticleError):
            report.rejected.append(article)
        else:
            yield article


@dataclass
class Recorded:
    """What an index recorded: every file it knew (indexed or copies) and the links of
    each indexed article."""

    known: dict[str, Known] = field(default_factory=dict)
    links: dict[str, Links] = field(default_factory=dict)

    @property
    def indexed(self) -> set[str]:
        return set(self.links)

    def states(self) -> dict[str, FileState]:
        return {doc_id: FileState.decode(k.state) for doc_id, k in self.known.items()}

    def former(self) -> dict[str, list[str]]:
        return {doc_id: links.former for doc_id, links in self.links.items() if links.former}


@contextmanager
def _bookkeeping() -> Iterator[None]:
    """Python's cycle collector is off while a run lists the archive and reads what the
    index recorded: both make a few small objects per file and no reference cycles, and the
    collector walking them over and over took 45% of an incremental run that changed
    nothing (79,147 articles: 4.3 s → 2.3 s)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _recorded(index) -> Recorded:
    """Read segment by segment, each column in one piece: an incremental run that changes
    nothing is mostly this and the archive scan."""
    recorded = Recorded()
    with index.reader() as reader:
        for leaf, _ in reader.leaf_readers():
            ids, states, texts, linked = (
                whoosh_internals.bytes_column_values(leaf, name)
                for name in ("id", "state", "content", "links"))
            for docnum in leaf.all_doc_ids():
                doc_id, text = ids[docnum].decode(), texts[docnum].decode()
                links = recorded.links[doc_id] = Links.decode(linked[docnum])
                recorded.known[doc_id] = Known(states[docnum].decode(), text, doc_id)
                for copy, state in links.copies.items():
                    recorded.known[copy] = Known(state, text, doc_id)
    return recorded


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
    trigger: str = "index",
) -> BuildReport:
    """Bring the index in line with the archive, and save what the run did for the
    librarian's page (``runlog``; ``trigger`` says who started it: "index" or "watch").

    Raises ``WhooshVersionError`` (before reading or writing anything) if the installed
    Whoosh is not the release vnsearch writes the index format of, ``IndexBusy`` if another
    run holds the index, ``TooManyDeletions`` (changing nothing) if the run would delete
    more than half of the indexed articles and ``allow_deletions`` is not given, and
    ``OSError`` for a full disk, after removing whatever it had written.
    """
    whoosh_internals.check_version()
    started, started_at = time.perf_counter(), time.time()
    jobs = jobs or os.cpu_count() or 1
    with reindex_lock(index_root):
        # Leftovers of a run that failed or was killed are removed first: on a full disk
        # they hold the very space this run needs.
        discard_unpublished(index_root)
        discard_uncommitted(index_root)
        with _bookkeeping():
            scan = scan_archive(archive)
        report = BuildReport(skipped=scan.skipped, rejected=list(scan.rejected))
        try:
            if full or current_dir(index_root) is None or not _readable(index_root):
                report.full = True
                _full(archive, index_root, scan.files, jobs, max_bytes, progress, report,
                      allow_deletions)
            else:
                _incremental(archive, index_root, scan, jobs, max_bytes, progress, report,
                             allow_deletions)
                report.sidecars_written = backfill.add_missing(index_root)
        except Exception as err:
            report.elapsed = time.perf_counter() - started
            runlog.record(index_root, report, trigger=trigger, started=started_at,
                          error=_failure(err))
            raise
        report.elapsed = time.perf_counter() - started
        runlog.record(index_root, report, trigger=trigger, started=started_at)
    return report


def _failure(err: Exception) -> str:
    """Why a run failed, in a line (a full disk says which file)."""
    if isinstance(err, OSError) and err.strerror:
        return f"could not write the index: {err.strerror} ({err.filename or 'index'})"
    return str(err) or type(err).__name__


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
        _("this run would remove {removed} of the {before} indexed articles, as if the "
          "archive {archive} had been emptied (an unmounted share?); nothing was changed. If "
          "these articles were really deleted, run again with --allow-deletions").format(
            removed=f"{before - after:,}", before=f"{before:,}", archive=archive))


def _recorded_live(index_root: Path) -> Recorded:
    """What the live index recorded (nothing if there is no readable one), before a full
    rebuild: how many articles it held, and where old addresses lead."""
    try:
        ix = open_current(index_root)
    except IndexMissing:
        return Recorded()
    try:
        return _recorded(ix)
    finally:
        ix.close()


def _readable(index_root: Path) -> bool:
    """An index written by an older version, or damaged, is rebuilt rather than patched."""
    try:
        open_current(index_root).close()
    except IndexMissing:  # incompatible, or damaged
        return False
    return True


def _full(archive, index_root, files, jobs, max_bytes, progress, report,
          allow_deletions) -> None:
    before = _recorded_live(index_root)
    generation = new_generation(index_root)
    try:
        present = _write_generation(generation, archive, files, jobs, max_bytes, progress,
                                    report)
        _check_deletions(len(before.known), len(present), allow_deletions, archive)
        links = plan(present, before.known, before.former())
        _write_links(generation, links)
        report.duplicates = groups(links)
        _record_fingerprint(_open_generation(generation), generation, present,
                            report.duplicates)
    except BaseException:
        # An unpublished generation is never read: on a full disk it only holds the space.
        shutil.rmtree(generation, ignore_errors=True)
        raise
    publish(index_root, generation)


def _open_generation(generation: Path):
    from whoosh import index as whoosh_index

    return whoosh_index.open_dir(str(generation))


def _write_generation(generation, archive, files, jobs, max_bytes, progress, report
                      ) -> dict[str, Present]:
    """Index the first file of each text (files come in id order) and return every usable
    file; the links are written afterwards, once every copy is known (``_write_links``)."""
    from whoosh import index as whoosh_index

    ix = whoosh_index.create_in(str(generation), build_schema())
    writer = _writer(ix, files, jobs)
    present: dict[str, Present] = {}
    first: set[str] = set()
    try:
        stream = progress(files) if progress else files
        for article in _articles(archive, stream, max_bytes, report):
            text = article.text_hash
            present[article.id] = Present(text, FileState.of(article).text())
            if text not in first:
                first.add(text)
                writer.add_document(**to_document(article))
        writer.commit()
    except BaseException:
        _abandon(writer)
        raise
    lost = len(first) - ix.doc_count()
    if lost:
        raise IndexWriteFailed(
            _("{lost} of {count} articles were lost by a writer process (killed, or out of "
              "memory); nothing was published and the previous index is unchanged").format(
                lost=lost, count=len(first)))
    report.added = sorted(present)
    report.documents = ix.doc_count()
    return present


def _write_links(generation: Path, links: dict[str, Links]) -> None:
    """Rewrite the articles of a new, unpublished generation that have copies or former
    ids: a second commit that no reader sees before the generation is published."""
    linked = {doc_id: article for doc_id, article in links.items() if article}
    if not linked:
        return
    ix = _open_generation(generation)
    with ix.searcher() as searcher:
        docs = [_relinked(searcher, doc_id, article) for doc_id, article in linked.items()]
    writer = ArraySegmentWriter(ix, compound=False)
    try:
        for doc in docs:
            writer.update_document(**doc)
        writer.commit()
    except BaseException:
        _abandon(writer)
        raise


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
    """Compare the index with the archive, checksumming every file; changes nothing. A copy
    counts as indexed: the index records it with the article it duplicates."""
    ix = open_current(index_root)
    known = _recorded(ix).states()
    scan = scan_archive(archive)
    to_read, _ = _changed(archive, scan.files, known, deep=True)
    report = VerifyReport(documents=ix.doc_count(), rejected=list(scan.rejected))
    for file in to_read:
        outcome = read_or_reject(archive, file, max_bytes)
        if isinstance(outcome, ArticleError):
            report.rejected.append(outcome)
            if file.id in known:
                report.orphaned.append(file.id)
            continue
        (report.stale if file.id in known else report.missing).append(file.id)
    on_disk = {f.id for f in scan.files}
    report.orphaned = sorted(set(report.orphaned) | (set(known) - on_disk))
    return report


def _in_folders(doc_id: str, folders: list[str]) -> bool:
    return any(doc_id.startswith(folder + "/") for folder in folders)


def _record_fingerprint(ix, folder: Path, present: dict[str, Present],
                        duplicates: list[list[str]]) -> None:
    """``present``: every usable file, with the state the index now records for it."""
    ids = sorted(present)
    states = [FileState.decode(present[doc_id].state) for doc_id in ids]
    fingerprint.record(folder, ix.latest_generation(),
                       fingerprint.Listing(ids, [s.size for s in states],
                                           [s.mtime for s in states]),
                       duplicates)


def _scan_listing(scan: ArchiveScan) -> fingerprint.Listing:
    return fingerprint.Listing([f.id for f in scan.files], [f.size for f in scan.files],
                               [f.mtime for f in scan.files])


def _incremental(archive, index_root, scan, jobs, max_bytes, progress, report,
                 allow_deletions) -> None:
    ix = open_current(index_root)
    folder = current_dir(index_root)
    duplicates = fingerprint.unchanged(folder, ix.latest_generation(), _scan_listing(scan))
    if duplicates is not None:
        report.unchanged = len(scan.files)
        report.documents = ix.doc_count()
        report.duplicates = duplicates
        return
    with _bookkeeping():
        before = _recorded(ix)
        on_disk = {f.id: f for f in scan.files}
        to_read, report.unchanged = _changed(archive, scan.files, before.states(), deep=False)
    missing = set(before.known) - set(on_disk)
    # A folder that cannot be listed says nothing about its articles: they are kept.
    report.unreadable = sorted(i for i in missing if _in_folders(i, scan.unreadable))
    gone = sorted(missing - set(report.unreadable))
    if not to_read and not gone:
        report.documents = ix.doc_count()
        report.duplicates = groups(before.links)
        _record_fingerprint(ix, folder, {doc_id: Present(k.text, k.state)
                                         for doc_id, k in before.known.items()},
                            report.duplicates)
        return
    # Every changed file is read before anything is written: whether it is indexed, or a
    # copy of another, depends on all of them.
    stream = progress(to_read) if progress else to_read
    articles = {a.id: a for a in _articles(archive, stream, max_bytes, report)}
    changed = set(articles)
    unread = {f.id for f in to_read} | set(gone)
    present = {doc_id: Present(k.text, k.state) for doc_id, k in before.known.items()
               if doc_id not in unread}
    present.update((a.id, Present(a.text_hash, FileState.of(a).text()))
                   for a in articles.values())
    links = _settle(archive, on_disk, present, before, articles, max_bytes, report)
    _check_deletions(len(before.known), len(present), allow_deletions, archive)
    write = [doc_id for doc_id, article in sorted(links.items())
             if doc_id in articles or before.links.get(doc_id) != article]
    drop = sorted(before.indexed - set(links))
    if write or drop:
        _commit(ix, index_root, write, drop, articles, links, jobs)
    committed = open_current(index_root)
    report.documents = committed.doc_count()
    lost = len(links) - report.documents
    if lost:
        raise IndexWriteFailed(
            _("{lost} of {count} new or changed articles were lost by a writer process "
              "(killed, or out of memory); the rest were indexed. Run the index command "
              "again to add them.").format(lost=lost, count=len(write)))
    _classify(report, articles, changed, before, gone)
    report.duplicates = groups(links)
    _record_fingerprint(committed, folder, present, report.duplicates)


def _settle(archive, on_disk, present, before, articles, max_bytes, report
            ) -> dict[str, Links]:
    """The links of every article, once each article to index has been read.

    A copy becomes the indexed article when the one it duplicated is deleted, edited or
    rejected; it was not read (it had not changed), so it is read now, and if it cannot be
    used, or turns out to hold another text, the links are planned again.
    """
    while True:
        links = plan(present, before.known, before.former())
        unread = [doc_id for doc_id in links
                  if doc_id not in before.links and doc_id not in articles]
        if not unread:
            return links
        for doc_id in unread:
            file = on_disk.get(doc_id)
            outcome = read_or_reject(archive, file, max_bytes) if file else None
            if isinstance(outcome, Article):
                articles[doc_id] = outcome
                present[doc_id] = Present(outcome.text_hash, FileState.of(outcome).text())
                continue
            if outcome is not None:
                report.rejected.append(outcome)
            del present[doc_id]  # rejected, or in a folder that cannot be read


def _commit(ix, index_root, write, drop, articles, links, jobs) -> None:
    """Write the changed and relinked articles, delete the others, in one commit."""
    writer = _writer(ix, write, jobs)
    try:
        with ix.searcher() as searcher:
            for doc_id in write:
                writer.update_document(**(
                    to_document(articles[doc_id], links[doc_id]) if doc_id in articles
                    else _relinked(searcher, doc_id, links[doc_id])))
        for doc_id in drop:
            writer.delete_by_term("id", doc_id)
        writer.commit()
    except BaseException:
        _abandon(writer)
        # Segment files written before the failure are in no table of contents: on a
        # full disk they only hold the space the next run needs.
        discard_uncommitted(index_root)
        raise


def _classify(report, articles, changed, before, gone) -> None:
    """Name what happened to each file: a deleted id whose checksum reappears was renamed.
    Copies count like any file: a new copy was added, an edited one updated."""
    report.updated = sorted(i for i in changed if i in before.known)
    by_checksum = {FileState.decode(before.known[i].state).checksum: i for i in gone}
    for doc_id in sorted(i for i in changed if i not in before.known):
        old = by_checksum.pop(articles[doc_id].checksum, None)
        if old:
            report.renamed.append((old, doc_id))
        else:
            report.added.append(doc_id)
    renamed_from = {old for old, _ in report.renamed}
    report.deleted = [i for i in gone if i not in renamed_from]
