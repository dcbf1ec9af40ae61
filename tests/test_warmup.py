"""indexer.warmup: a worker warmed before its first request has what queries need made,
and answers as an unwarmed one does."""

from __future__ import annotations

from helpers import write_article

from indexer import sidecar
from indexer.analysis import fold
from indexer.build import build
from indexer.location import open_current
from indexer.search import ArchiveSearcher, SearchParams
from indexer.spelling import Vocabulary, read_written_forms
from indexer.warmup import warm


def test_a_warmed_worker_has_its_index_open_and_its_sidecars_mapped(tmp_path, monkeypatch):
    monkeypatch.setattr(sidecar, "MIN_POSTINGS", 1)
    for n in range(12):
        write_article(tmp_path / "archive", f"tin/bai-{n}.txt", f"Việt Nam {n}",
                      "Kinh tế Việt Nam tăng trưởng." if n % 2 else "Bóng đá Việt Nam.")
    build(tmp_path / "archive", tmp_path / "index", jobs=1)
    searcher = ArchiveSearcher(tmp_path / "index")
    try:
        warm(searcher)
        with searcher.live.use() as whoosh_searcher:
            readers = [sub.reader() for sub, _ in whoosh_searcher.leaf_searchers()]
            # Mapped by the warm-up itself, not on this first look.
            assert readers and all(isinstance(r.__dict__.get("_vnsearch_sidecar"),
                                              sidecar.Sidecar) for r in readers)
        assert searcher.search(SearchParams(q="kinh te")).total == 6
    finally:
        searcher.close()


def test_warming_without_an_index_leaves_it_to_the_requests(tmp_path):
    searcher = ArchiveSearcher(tmp_path / "index")
    warm(searcher)
    build_later = tmp_path / "archive"
    write_article(build_later, "a.txt", "Hà Nội", "Tin Hà Nội.")
    build(build_later, tmp_path / "index", jobs=1)
    assert searcher.search(SearchParams(q="ha noi")).total == 1
    searcher.close()


def test_spelling_finds_the_same_forms_from_the_warmed_lexicon(tmp_path):
    """Read from the lexicon or looked up one possible spelling at a time, a syllable's
    written forms and their counts are the same."""
    texts = ["Hòa bình và hoà giải", "Bàn bạc về bản án", "Bán hàng ở bến cảng", "Đường đua"]
    for n, text in enumerate(texts * 3):
        write_article(tmp_path / "archive", f"tin/{n}.txt", f"Tin {n}", text + ".")
    build(tmp_path / "archive", tmp_path / "index", jobs=1)
    ix = open_current(tmp_path / "index")
    try:
        with ix.reader() as reader:
            keys = {fold(term.decode()) for term in reader.lexicon("syl")} | {"ban", "xyz"}
            looked_up = {key: Vocabulary(reader).forms(key) for key in keys}
            reader.__dict__.pop("_vnsearch_forms")
            read_written_forms(reader)
            assert {key: Vocabulary(reader).forms(key) for key in keys} == looked_up
            assert set(looked_up["ban"]) == {("bàn", 3), ("bản", 3), ("bán", 3)}
    finally:
        ix.close()


def test_after_a_reindex_a_warmed_worker_keeps_what_it_made_of_unchanged_segments(tmp_path):
    """The commit of an incremental run reopens the index: the segments it kept come with
    what the worker had made of them, the new one is prepared, and the written forms
    cover both (an unmarked query's new syllable is restored from the new article)."""
    archive = tmp_path / "archive"
    for n in range(8):
        write_article(archive, f"tin/bai-{n}.txt", f"Kinh tế {n}", "Kinh tế Việt Nam tăng.",
                      category="Kinh tế")
    build(archive, tmp_path / "index", jobs=1)
    searcher = ArchiveSearcher(tmp_path / "index")
    try:
        warm(searcher)
        assert searcher.search(SearchParams(q="kinh te")).total == 8
        with searcher.live.use() as whoosh_searcher:
            (old,) = [sub.reader() for sub, _ in whoosh_searcher.leaf_searchers()]
            memos = {key: old.__dict__[key] for key in
                     ("_vnsearch_sidecar", "_vnsearch_facets", "_vnsearch_field_lengths",
                      "_vnsearch_segment_written")}
        write_article(archive, "tin/moi.txt", "Xuồng cứu hộ", "Xuồng cứu hộ ở Quỳnh Lưu.")
        build(archive, tmp_path / "index", jobs=1)
        searcher.live._checked = 0.0  # as when the once-a-second check comes round
        results = searcher.search(SearchParams(q="xuong cuu ho quynh luu"))
        assert [hit.id for hit in results.hits] == ["tin/moi.txt"]
        with searcher.live.use() as whoosh_searcher:
            reader = whoosh_searcher.reader()
            leaves = [leaf for leaf, _ in reader.leaf_readers()]
            assert len(leaves) == 2
            kept = next(leaf for leaf in leaves
                        if leaf.segment().segment_id() == old.segment().segment_id())
            assert kept is not old
            for key, memo in memos.items():
                assert kept.__dict__[key] is memo, key
            written = reader.__dict__["_vnsearch_written"]
            assert any("quỳnh" in segment.get("quynh", ()) for segment in written)
            assert all("_vnsearch_sidecar" in leaf.__dict__ for leaf in leaves)
    finally:
        searcher.close()
