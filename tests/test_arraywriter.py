"""indexer.arraywriter: the array writers write what Whoosh's own writers write.

The single-process writer is compared file by file, byte for byte, with Whoosh's
``SegmentWriter`` on the same documents, also when the commit merges small segments that
have deletions. The multiprocessing writer hands documents to whichever sub-writer is free,
so its segments differ from run to run; it is compared by what a reader sees: every term's
statistics and postings (by article id) and every field length.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from whoosh import index as whoosh_index
from whoosh.fields import TEXT, Schema
from whoosh.multiproc import MpWriter
from whoosh.writing import SegmentWriter

from indexer import sidecar
from indexer.arraywriter import ArraySegmentWriter, ParallelArrayWriter
from indexer.articles import Article
from indexer.build import to_document
from indexer.schema import build_schema

WORDS = ["đường", "dương", "hoà", "bình", "Hà", "Nội", "kinh", "tế", "thị", "trường",
         "người", "dân", "nhà", "nước", "đại", "học", "bóng", "đá", "công", "nghệ", "2024",
         "Việt", "Nam", "giá", "vàng", "tăng"]


def _documents(count: int, seed: int, prefix: str = "bai") -> list[dict]:
    rng = random.Random(seed)
    documents = []
    for n in range(count):
        title = " ".join(rng.sample(WORDS, rng.randint(2, 6))).capitalize()
        # Some words appear in hundreds of articles, so posting lists span several blocks.
        body = ". ".join(" ".join(rng.choices(WORDS, k=rng.randint(3, 15)))
                         for _ in range(rng.randint(1, 8)))
        rare = f" mã{seed}x{n}" if n % 3 else ""
        documents.append(to_document(Article(
            id=f"{prefix}-{n:04d}.txt", title=title, body=body + rare,
            date=f"20{10 + n % 12}-0{1 + n % 9}-1{n % 10}" if n % 4 else None,
            author=["Minh Anh", "Thu Hà", None][n % 3], category=["Thời sự", "Thể thao"][n % 2],
            source_url=None, publisher=["VnExpress", None][n % 2], tags=(), checksum=f"{n:064x}", size=100 + n, mtime=1.0e9 + n)))
    return documents


def _new_index(path: Path, schema=None):
    path.mkdir(parents=True)
    return whoosh_index.create_in(str(path), schema or build_schema())


def _segment_files(index_dir: Path) -> dict[str, bytes]:
    """The committed segments' Whoosh files by segment number and extension (names are
    random); the sidecar our writer adds beside them is not Whoosh's (``test_sidecar``)."""
    ix = whoosh_index.open_dir(str(index_dir))
    files = {}
    for number, segment in enumerate(ix._segments()):
        prefix = segment.segment_id()
        for path in index_dir.glob(f"{prefix}.*"):
            if path.suffix != sidecar.EXTENSION:
                files[f"{number}{path.name.removeprefix(prefix)}"] = path.read_bytes()
    ix.close()
    return files


def _write(ix, writer_class, documents, delete=(), optimize=False):
    writer = writer_class(ix, compound=False)
    for doc in documents:
        writer.add_document(**doc)
    for doc_id in delete:
        writer.delete_by_term("id", doc_id)
    writer.commit(optimize=optimize)


def test_segment_files_are_byte_identical_to_whooshs_writer(tmp_path):
    documents = _documents(300, seed=1)
    for name, writer_class in (("whoosh", SegmentWriter), ("arrays", ArraySegmentWriter)):
        _write(_new_index(tmp_path / name), writer_class, documents)
    ours, theirs = _segment_files(tmp_path / "arrays"), _segment_files(tmp_path / "whoosh")
    assert any(name.endswith(".pst") for name in ours)  # the posting file is among them
    assert ours.keys() == theirs.keys()
    for name in ours:
        assert ours[name] == theirs[name], name


def test_merging_segments_with_deletions_writes_what_whoosh_writes(tmp_path):
    for name, writer_class in (("whoosh", SegmentWriter), ("arrays", ArraySegmentWriter)):
        ix = _new_index(tmp_path / name)
        for batch in range(3):  # three small segments, which the next commit merges
            _write(ix, SegmentWriter, _documents(40, seed=10 + batch, prefix=f"lo{batch}"),
                   delete=[f"lo{batch - 1}-{n:04d}.txt" for n in range(0, 40, 7)] if batch else ())
        _write(ix, writer_class, _documents(60, seed=20, prefix="moi"),
               delete=["lo2-0003.txt"], optimize=True)
        assert len(ix._segments()) == 1
    ours, theirs = _segment_files(tmp_path / "arrays"), _segment_files(tmp_path / "whoosh")
    assert ours.keys() == theirs.keys()
    for name in ours:
        assert ours[name] == theirs[name], name


def _reader_view(index_dir: Path) -> tuple[dict, dict]:
    ix = whoosh_index.open_dir(str(index_dir))
    terms, lengths = {}, {}
    with ix.reader() as reader:
        ids = {docnum: fields["id"] for docnum, fields in reader.iter_docs()}
        for fieldname, text in reader.all_terms():
            info = reader.term_info(fieldname, text)
            matcher = reader.postings(fieldname, text)
            postings = []
            while matcher.is_active():
                postings.append((ids[matcher.id()], matcher.weight(), matcher.value()))
                matcher.next()
            terms[fieldname, text] = (info.doc_frequency(), info.weight(), info.min_length(),
                                      info.max_length(), info.max_weight(), sorted(postings))
        for docnum, doc_id in ids.items():
            for fieldname in ix.schema.scorable_names():
                # None (no length stored) and 0 (a segment without the field) both mean 0
                lengths[doc_id, fieldname] = reader.doc_field_length(docnum, fieldname) or 0
    ix.close()
    return terms, lengths


def test_parallel_writer_indexes_what_whooshs_multiprocessing_writer_does(tmp_path):
    documents = _documents(500, seed=3)
    for name, writer_class in (("whoosh", MpWriter), ("arrays", ParallelArrayWriter)):
        ix = _new_index(tmp_path / name)
        writer = writer_class(ix, procs=2, batchsize=25, multisegment=True, compound=False) \
            if writer_class is MpWriter else writer_class(ix, procs=2, batchsize=25,
                                                          compound=False)
        for doc in documents:
            writer.add_document(**doc)
        writer.commit()
        assert len(ix._segments()) == 2  # one per sub-writer, not merged
    ours, theirs = _reader_view(tmp_path / "arrays"), _reader_view(tmp_path / "whoosh")
    assert len(ours[0]) > 1000
    assert ours == theirs


def test_schema_with_term_vectors_is_refused_naming_the_field(tmp_path):
    ix = _new_index(tmp_path / "ix", Schema(noidung=TEXT(vector=True)))
    with pytest.raises(ValueError, match="'noidung'"):
        ArraySegmentWriter(ix)


def test_writers_start_a_new_segment_when_they_hold_enough_postings(tmp_path):
    documents = _documents(300, seed=5)
    ix = _new_index(tmp_path / "whoosh")
    _write(ix, SegmentWriter, documents)
    single = _new_index(tmp_path / "single")
    writer = ArraySegmentWriter(single, segment_postings=5_000, compound=False)
    for doc in documents:
        writer.add_document(**doc)
    writer.commit()
    parallel = _new_index(tmp_path / "parallel")
    writer = ParallelArrayWriter(parallel, procs=2, batchsize=25, segment_postings=5_000,
                                 compound=False)
    for doc in documents:
        writer.add_document(**doc)
    writer.commit()
    assert len(single._segments()) > 3
    assert len(parallel._segments()) > 3
    whoosh_view = _reader_view(tmp_path / "whoosh")
    assert _reader_view(tmp_path / "single") == whoosh_view
    assert _reader_view(tmp_path / "parallel") == whoosh_view
