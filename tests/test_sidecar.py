"""indexer.sidecar: the lists a segment's writer puts beside it are the lists Whoosh's
posting files hold, in the forms ``arraysearch`` keeps, for full and incremental runs."""

from __future__ import annotations

import re

import numpy as np
import pytest
from click.testing import CliRunner
from helpers import write_article

from indexer import arraysearch, postingforms, sidecar
from indexer.build import build
from indexer.cli import main
from indexer.location import current_dir, open_current

WORDS = ["hòa", "bình", "kinh", "tế", "nhà", "nước", "bóng", "đá"]


def _write(archive, n: int) -> None:
    words = [WORDS[(n * 7 + i) % len(WORDS)] for i in range(3 + n % 5)]
    body = " ".join(words * (1 + n % 3)).capitalize() + "."
    write_article(archive, f"muc/bai-{n:03d}.txt", f"Bài {n} {WORDS[n % 8]}", body)


def _segment_lists(index_root):
    """(reader, its sidecar) for every segment of the live index, and the index."""
    ix = open_current(index_root)
    searcher = ix.searcher()
    return searcher, [(sub.reader(), arraysearch._sidecar(sub.reader()))
                      for sub, _ in searcher.leaf_searchers()]


@pytest.mark.parametrize("min_postings", [1, 40])
def test_sidecar_lists_equal_the_decoded_lists_after_full_and_incremental_runs(
        tmp_path, monkeypatch, min_postings):
    monkeypatch.setattr(sidecar, "MIN_POSTINGS", min_postings)
    archive, index_root = tmp_path / "archive", tmp_path / "index"
    for n in range(120):
        _write(archive, n)
    build(archive, index_root, jobs=1)
    for n in range(0, 120, 5):
        (archive / f"muc/bai-{n:03d}.txt").unlink()
    for n in range(120, 150):
        _write(archive, n)
    build(archive, index_root, jobs=1)
    searcher, segments = _segment_lists(index_root)
    try:
        assert len(segments) == 2  # the incremental run added a segment, with its sidecar
        forms = set()
        for reader, stored in segments:
            assert stored is not None
            for fieldname in sidecar.FIELDS:
                for term in reader.lexicon(fieldname):
                    found = stored.get(fieldname, term)
                    if reader.doc_frequency(fieldname, term) < min_postings:
                        assert found is None
                        continue
                    ids, weights = arraysearch.decoded(reader, fieldname, term)
                    expected = postingforms.kept(ids, weights, reader.doc_count_all())
                    assert type(found) is type(expected)
                    got_ids, got_weights = found.arrays()
                    want_ids, want_weights = expected.arrays()
                    assert np.array_equal(got_ids, want_ids)
                    assert got_weights.dtype == want_weights.dtype
                    assert np.array_equal(got_weights, want_weights)
                    forms.add(type(found))
            assert stored.get("tsyl", "hòa".encode()) is None  # title fields are not kept
        # A list held by a quarter of its segment is dense, and only such lists are this
        # long in 120 articles.
        assert forms == ({postingforms.Compact, postingforms.Dense} if min_postings == 1
                         else {postingforms.Dense})
    finally:
        searcher.close()


def test_lists_are_views_of_the_mapped_file(tmp_path, monkeypatch):
    """Nothing is copied: workers mapping the same file share it in the page cache."""
    monkeypatch.setattr(sidecar, "MIN_POSTINGS", 1)
    for n in range(60):
        _write(tmp_path / "archive", n)
    build(tmp_path / "archive", tmp_path / "index", jobs=1)
    searcher, [(reader, stored)] = _segment_lists(tmp_path / "index")
    try:
        dense = stored.get("fold", b"hoa")
        assert isinstance(dense, postingforms.Dense)
        assert not dense.weights.flags.owndata and not dense.weights.flags.writeable
        assert np.shares_memory(dense.weights, stored.bytes)
    finally:
        searcher.close()


def test_a_failed_write_leaves_no_sidecar(tmp_path):
    path = tmp_path / f"MAIN_x{sidecar.EXTENSION}"
    writer = sidecar.SidecarWriter(path, "MAIN_x", 10)
    writer.abandon()
    assert list(tmp_path.iterdir()) == []
    assert sidecar.open_for(path, "MAIN_x", 10) is None


def test_whoosh_removes_a_sidecar_with_its_segment(tmp_path, monkeypatch):
    """A sidecar is named as its segment's files are, so the commit that drops a segment
    (an optimize here, a merge in general) removes it too."""
    from whoosh import index as whoosh_index

    for n in range(30):
        _write(tmp_path / "archive", n)
    build(tmp_path / "archive", tmp_path / "index", jobs=1)
    for n in range(30, 40):
        _write(tmp_path / "archive", n)
    build(tmp_path / "archive", tmp_path / "index", jobs=1)
    live = current_dir(tmp_path / "index")
    before = sorted(live.glob(f"*{sidecar.EXTENSION}"))
    ix = whoosh_index.open_dir(str(live))
    ix.optimize()
    ix.close()
    after = sorted(live.glob(f"*{sidecar.EXTENSION}"))
    assert len(before) == 2 and not set(after) & set(before)


def test_an_index_run_adds_the_sidecars_an_older_index_lacks(tmp_path, monkeypatch):
    """A run that changes nothing writes each missing sidecar, as the segment's writer
    would have (byte for byte); one that is there is left alone."""
    monkeypatch.setattr(sidecar, "MIN_POSTINGS", 10)
    for n in range(80):
        _write(tmp_path / "archive", n)
    build(tmp_path / "archive", tmp_path / "index", jobs=1)
    [written] = current_dir(tmp_path / "index").glob(f"*{sidecar.EXTENSION}")
    original = written.read_bytes()
    written.unlink()
    said = CliRunner().invoke(main, ["index", "--archive", str(tmp_path / "archive"),
                                     "--index", str(tmp_path / "index"), "--jobs", "1"])
    assert said.exit_code == 0, said.output
    assert re.search(r"unchanged\W+80\b", said.output)
    assert ("Wrote the quick-lookup file of 1 index segment made by an older version"
            in said.output)
    assert written.read_bytes() == original
    before = written.stat().st_mtime_ns
    report = build(tmp_path / "archive", tmp_path / "index", jobs=1)
    assert report.unchanged == 80 and report.sidecars_written == 0
    assert written.stat().st_mtime_ns == before
