"""Full and incremental index builds.

Reading, cleaning and pyvi segmentation run in worker processes while the main process
feeds their output to the single Whoosh writer, so segmentation is spread over the cores
and overlapped with writing instead of being added on top of it.

An incremental run diffs the archive against the ``state`` column (size, mtime, checksum)
and only reads files whose size or mtime changed; only files whose checksum changed are
re-segmented.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from .analysis import GAP, analyze
from .articles import (
    DEFAULT_MAX_BYTES,
    ArchiveFile,
    Article,
    ArticleError,
    read_article,
    scan_archive,
)
from .location import (
    current_dir,
    discard_unpublished,
    new_generation,
    open_current,
    publish,
)
from .lock import reindex_lock
from .schema import build_schema

WRITER_MEMORY_MB = 256


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


def _terms(title: list[str], body: list[str]) -> str:
    return " ".join(title) + f" {GAP} " + " ".join(body)


def to_document(article: Article) -> dict:
    """The Whoosh document for one article: display fields, columns and analysed terms."""
    title = analyze(article.title)
    body = analyze(article.body)
    doc = {
        "id": article.id,
        "title": article.title,
        "body": article.body,
        "source_url": article.source_url,
        "tags": list(article.tags),
        "state": FileState(article.size, article.mtime, article.checksum).encode(),
        "syl": _terms(title.syllables, body.syllables),
        "fold": _terms(title.folded, body.folded),
        "word": _terms(title.compounds, body.compounds),
        "wfold": _terms(title.folded_compounds, body.folded_compounds),
        "tsyl": " ".join(title.syllables),
        "tfold": " ".join(title.folded),
        "tword": " ".join(title.compounds),
        "twfold": " ".join(title.folded_compounds),
    }
    for name in ("date", "author", "category"):
        value = getattr(article, name)
        if value:
            doc[name] = value
    if article.date:
        doc["year"] = article.date[:4]
    return {k: v for k, v in doc.items() if v is not None}


def _prepare(root: Path, max_bytes: int, file: ArchiveFile) -> dict | ArticleError:
    try:
        return to_document(read_article(root, file, max_bytes))
    except ArticleError as err:
        return err
    except Exception as err:  # a reader bug must not stop the whole archive
        return ArticleError(file.id, f"could not be read ({type(err).__name__}: {err})")


def _prepared(
    root: Path, files: list[ArchiveFile], jobs: int, max_bytes: int
) -> Iterator[dict | ArticleError]:
    work = partial(_prepare, root, max_bytes)
    if jobs <= 1 or len(files) < 8:
        yield from map(work, files)
        return
    context = multiprocessing.get_context("fork" if sys.platform != "win32" else "spawn")
    with context.Pool(jobs) as pool:
        yield from pool.imap(work, files, chunksize=4)


def _checksum(path: Path) -> str | None:
    try:
        with open(path, "rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    except OSError:
        return None


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
) -> BuildReport:
    """Bring the index in line with the archive; raises ``IndexBusy`` if another run holds it."""
    started = time.perf_counter()
    jobs = jobs or os.cpu_count() or 1
    with reindex_lock(index_root):
        discard_unpublished(index_root)
        scan = scan_archive(archive)
        report = BuildReport(skipped=scan.skipped, rejected=list(scan.rejected))
        if full or current_dir(index_root) is None:
            report.full = True
            _full(archive, index_root, scan.files, jobs, max_bytes, progress, report)
        else:
            _incremental(archive, index_root, scan.files, jobs, max_bytes, progress, report)
    report.elapsed = time.perf_counter() - started
    return report


def _write_all(writer, prepared, progress, report, add) -> set[str]:
    """Feed worker output to the writer; returns the ids written."""
    written: set[str] = set()
    stream = progress(prepared) if progress else prepared
    for item in stream:
        if isinstance(item, ArticleError):
            report.rejected.append(item)
            continue
        add(**item)
        written.add(item["id"])
    return written


def _full(archive, index_root, files, jobs, max_bytes, progress, report) -> None:
    generation = new_generation(index_root)
    from whoosh import index as whoosh_index

    ix = whoosh_index.create_in(str(generation), build_schema())
    writer = ix.writer(limitmb=WRITER_MEMORY_MB)
    try:
        written = _write_all(
            writer, _prepared(archive, files, jobs, max_bytes), progress, report,
            writer.add_document,
        )
        writer.commit()
    except BaseException:
        writer.cancel()
        raise
    report.added = sorted(written)
    report.documents = ix.doc_count()
    publish(index_root, generation)


def _incremental(archive, index_root, files, jobs, max_bytes, progress, report) -> None:
    ix = open_current(index_root)
    indexed = _indexed_states(ix)
    on_disk = {f.id: f for f in files}
    to_read: list[ArchiveFile] = []
    for file in files:
        state = indexed.get(file.id)
        if state is None:
            to_read.append(file)
        elif state.size != file.size or state.mtime != file.mtime:
            if state.size == file.size and _checksum(file.abspath) == state.checksum:
                report.unchanged += 1
            else:
                to_read.append(file)
        else:
            report.unchanged += 1
    gone = sorted(set(indexed) - set(on_disk))
    if not to_read and not gone:
        report.documents = ix.doc_count()
        return
    writer = ix.writer(limitmb=WRITER_MEMORY_MB)
    try:
        written = _write_all(
            writer, _prepared(archive, to_read, jobs, max_bytes), progress, report,
            writer.update_document,
        )
        rejected_ids = {err.id for err in report.rejected} & set(indexed)
        for doc_id in gone + sorted(rejected_ids):
            writer.delete_by_term("id", doc_id)
        writer.commit()
    except BaseException:
        writer.cancel()
        raise
    _classify(report, written, indexed, gone, on_disk)
    report.documents = open_current(index_root).doc_count()


def _classify(report, written, indexed, gone, on_disk) -> None:
    """Name what happened to each file: a deleted id whose checksum reappears was renamed."""
    new_ids = sorted(i for i in written if i not in indexed)
    report.updated = sorted(i for i in written if i in indexed)
    by_checksum = {indexed[i].checksum: i for i in gone}
    report.added = []
    for doc_id in new_ids:
        checksum = _checksum(on_disk[doc_id].abspath)
        old = by_checksum.pop(checksum, None) if checksum else None
        if old:
            report.renamed.append((old, doc_id))
        else:
            report.added.append(doc_id)
    renamed_from = {old for old, _ in report.renamed}
    report.deleted = [i for i in gone if i not in renamed_from]
