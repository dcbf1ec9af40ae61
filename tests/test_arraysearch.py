"""indexer.arraysearch: all-of queries over decoded posting arrays give Whoosh's answers.

The archive is generated from a small hand-picked vocabulary so that every word is common
(posting lists span several blocks) and one incremental run leaves two segments and
deleted documents, the states a live index is in.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from whoosh import sorting

from conftest import needs_corpus
from helpers import write_article
from indexer import arraysearch
from indexer.build import build
from indexer.intersect import ExactAndNot
from indexer.query import parse
from indexer.analysis import fold
from indexer.search import FACETS, ArchiveSearcher, SearchParams, _filter, build_query

SYLLABLES = ["đường", "dương", "hòa", "bình", "hà", "nội", "kinh", "tế", "thị", "trường",
             "người", "dân", "nhà", "nước", "đại", "học", "bóng", "đá", "công", "nghệ"]
CATEGORIES = ["Thời sự", "Kinh tế", "Thể thao"]
AUTHORS = ["Minh Anh", "Thu Hà", ""]
ARTICLES = 400


def _article(rng: random.Random) -> tuple[str, str]:
    title = " ".join(rng.sample(SYLLABLES, 4)).capitalize()
    sentences = [" ".join(rng.choices(SYLLABLES, k=rng.randint(4, 12))).capitalize() + "."
                 for _ in range(rng.randint(1, 6))]
    return title, " ".join(sentences)


def _write(archive, n: int, rng: random.Random) -> None:
    title, body = _article(rng)
    write_article(archive, f"muc/bai-{n:04d}.txt", title, body,
                  date=f"20{10 + n % 12}-0{1 + n % 9}-1{n % 10}",
                  author=AUTHORS[n % 3] or None, category=CATEGORIES[n % 3])


@pytest.fixture(scope="module")
def index_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("arrays")
    archive = root / "archive"
    rng = random.Random(7)
    for n in range(ARTICLES):
        _write(archive, n, rng)
    build(archive, root / "index", jobs=1)
    for n in range(0, ARTICLES, 9):
        (archive / f"muc/bai-{n:04d}.txt").unlink()
    for n in range(ARTICLES, ARTICLES + 60):
        _write(archive, n, rng)
    build(archive, root / "index", jobs=1)
    return root / "index"


@pytest.fixture(scope="module")
def searcher(index_root):
    s = ArchiveSearcher(index_root)
    yield s
    s.close()


@pytest.fixture(params=["probing", "decoding"])
def lookups(request, monkeypatch):
    """Each test runs with uncached lists probed by skipping, then decoded whole."""
    monkeypatch.setattr(arraysearch, "_CACHE", arraysearch._PostingCache(arraysearch.CACHE_BYTES))
    monkeypatch.setattr(arraysearch, "CACHE_MIN_POSTINGS", 10**9)
    monkeypatch.setattr(arraysearch, "POSTINGS_PER_BLOCK", 0 if request.param == "probing" else 10**9)
    return request.param


def _queries() -> list[str]:
    rng = random.Random(11)
    queries = []
    for _ in range(40):
        words = rng.sample(SYLLABLES, rng.randint(1, 4))
        queries.append(" ".join(words))
    return queries + ["duong hoa binh", "kinh te thi truong", "dai hoc", "nguoi dan",
                      '"hòa bình" nước', "title:đường nhà", "title:duong kinh te",
                      "hòa OR bình", "duong OR nha OR hoc", "hòa bình hòa", "kinh tế xyzqv",
                      "hòa -bình", "nha -da -hoc", 'duong -"kinh te"', "dân -nước dân",
                      "đường -dương -\"hà nội\" xyzqv", "bóng OR đá -công"]


def test_the_fixture_has_segments_deletions_and_long_posting_lists(searcher):
    whoosh_searcher = searcher._fresh()
    assert len(whoosh_searcher.leaf_searchers()) >= 2
    assert any(sub.reader().deleted_docs_set for sub, _ in whoosh_searcher.leaf_searchers())
    assert whoosh_searcher.reader().doc_frequency("fold", "duong") > 128


@pytest.mark.parametrize("with_filter", [False, True])
def test_matches_scores_order_and_facets_equal_whooshs(searcher, lookups, with_filter):
    category = "Kinh tế" if with_filter else None
    assert _compare_with_whoosh(searcher, _queries(), category) > 20


def _compare_with_whoosh(searcher, queries: list[str], category: str | None = None) -> int:
    """Asserts arrays and Whoosh agree on every query; returns how many matched something."""
    whoosh_searcher = searcher._fresh()
    compared = 0
    for q in queries:
        parsed = parse(q)
        for mode in (*(("exact",) if parsed.accented else ()), "folded", "relaxed"):
            query = build_query(parsed, mode)
            params = SearchParams(q=q, category=category)
            found = arraysearch.search(whoosh_searcher, query, _filter(params), 20, FACETS)
            assert found is not None, (q, mode)
            groupedby = {name: sorting.FieldFacet(name, maptype=sorting.Count) for name in FACETS}
            # Exclusions as Whoosh's search mask: independent of the matcher that excludes.
            positive, mask = (query.a, query.b) if type(query) is ExactAndNot else (query, None)
            expected = whoosh_searcher.search(positive, limit=None, groupedby=groupedby,
                                              filter=_filter(params), mask=mask,
                                              optimize=False, terms=mode == "relaxed")
            assert found.total == len(expected), (q, mode)
            for name in FACETS:
                assert _named(found.groups[name]) == _named(expected.groups(name)), (q, name)
            if mode == "relaxed":
                ranked = _document_by_document(whoosh_searcher, positive, expected)[:20]
                assert [sorted(h.matched_terms()) for h in found.hits] == [
                    sorted(terms) for _, _, terms in ranked], q
            else:
                ranked = [(h.docnum, h.score, None) for h in expected][:20]
            assert [h.docnum for h in found.hits] == [d for d, _, _ in ranked], (q, mode)
            assert [h.score for h in found.hits] == pytest.approx(
                [score for _, score, _ in ranked], rel=1e-12), (q, mode)
            compared += bool(found.total)
    return compared


@needs_corpus
def test_real_headlines_get_whooshs_answers(corpus_sample, lookups):
    titles = [r["title"] for r in corpus_sample.records[::97] if r.get("title")]
    queries = titles + [fold(t) for t in titles]
    assert _compare_with_whoosh(corpus_sample.searcher, queries) >= len(queries) * 0.9


def _document_by_document(whoosh_searcher, query, expected) -> list[tuple[int, float, list]]:
    """(document, score, matched terms) of Whoosh's matches, best first, each scored by
    moving a fresh matcher to it.

    Whoosh's own search replaces a union's exhausted branch as it goes, and the
    coordination factor is recounted over the terms left, so documents after the last
    posting of a rare word score higher than those before it: an order the arrays do not
    reproduce. Scored one by one, every document sees every term of its segment."""
    wanted = {hit.docnum for hit in expected}
    scored = []
    for subsearcher, offset in whoosh_searcher.leaf_searchers():
        matcher = query.matcher(subsearcher)
        for docnum in sorted(d - offset for d in wanted
                             if offset <= d < offset + subsearcher.doc_count_all()):
            matcher.skip_to(docnum)
            assert matcher.id() == docnum
            scored.append((docnum + offset, matcher.score(),
                           list(matcher.matching_terms(docnum))))
    return sorted(scored, key=lambda item: (-item[1], item[0]))


def _named(counts: dict) -> dict:
    return {value: n for value, n in counts.items() if value not in (None, "")}


def test_archive_searcher_answers_the_same_with_and_without_arrays(searcher, monkeypatch):
    def answers():
        out = []
        for q in _queries():
            r = searcher.search(SearchParams(q=q, per_page=10, page=2))
            out.append((r.total, [(h.id, round(h.score, 9)) for h in r.hits], r.facets,
                        r.relaxed, r.suggestion))
        return out

    with_arrays = answers()
    monkeypatch.setattr(arraysearch, "search", lambda *args: None)
    assert with_arrays == answers()


def test_long_lists_are_kept_for_the_next_query(searcher, monkeypatch):
    monkeypatch.setattr(arraysearch, "_CACHE", arraysearch._PostingCache(arraysearch.CACHE_BYTES))
    monkeypatch.setattr(arraysearch, "CACHE_MIN_POSTINGS", 100)
    whoosh_searcher = searcher._fresh()
    first = arraysearch.search(whoosh_searcher, build_query(parse("duong hoa"), "folded"),
                               None, 10, ())
    assert arraysearch._CACHE.used > 0
    kept = arraysearch._CACHE.used
    again = arraysearch.search(whoosh_searcher, build_query(parse("duong hoa"), "folded"),
                               None, 10, ())
    assert arraysearch._CACHE.used == kept
    assert [(h.docnum, h.score) for h in again.hits] == [(h.docnum, h.score) for h in first.hits]


def test_shapes_arrays_do_not_reproduce_are_left_to_whoosh():
    for q in ['"hòa bình nhà"', 'hòa -"bình nhà đá"', 'hòa OR "bình nhà đá"']:
        parsed = parse(q)
        assert arraysearch.plan(build_query(parsed, "folded")) is None, q
    assert arraysearch.plan(build_query(parse('duong "hoa binh nha"'), "relaxed")) is None
    planned = arraysearch.plan(build_query(parse("đường hòa bình"), "exact"))
    assert [t.text for t in planned.terms] == ["đường", "hòa", "bình"]
    assert {t.fieldname for t in planned.bonus} == {"word"}
    assert not planned.any_of
    planned = arraysearch.plan(build_query(parse("duong hoa binh"), "relaxed"))
    assert [t.text for t in planned.terms] == ["duong", "hoa", "binh"]
    assert planned.any_of and planned.driven and planned.scale
    planned = arraysearch.plan(build_query(parse("hòa OR bình"), "exact"))
    assert planned.any_of and not planned.driven and not planned.scale
    planned = arraysearch.plan(build_query(parse('hòa -bình -"nhà đá"'), "exact"))
    assert [[t.text for t in group] for group in planned.excluded] == [
        ["bình"], ["nha_da", "nhà", "đá"]]


@given(st.lists(st.integers(0, 5_000_000), min_size=1, max_size=400, unique=True),
       st.lists(st.integers(1, 70_000), min_size=400, max_size=400))
def test_compact_posting_lists_round_trip(ids, counts):
    ids = np.array(sorted(ids), dtype=np.int32)
    weights = np.array(counts[:len(ids)], dtype=np.float32)
    back_ids, back_weights = arraysearch._Compact(ids, weights).arrays()
    assert back_ids.tolist() == ids.tolist()
    assert back_weights.tolist() == weights.tolist()


def test_the_posting_cache_stays_within_its_budget():
    ids = np.arange(0, 2000, 2, dtype=np.int32)
    weights = np.ones(len(ids), dtype=np.float32)
    one = arraysearch._Compact(ids, weights).nbytes
    cache = arraysearch._PostingCache(budget=3 * one)
    for n in range(5):
        cache.put(("seg", "fold", str(n).encode()), arraysearch._Compact(ids, weights))
        cache.get(("seg", "fold", b"0"))
    assert cache.used <= cache.budget
    assert cache.get(("seg", "fold", b"0")) is not None  # recently used: kept
    assert cache.get(("seg", "fold", b"1")) is None  # least recently used: dropped


def test_lists_whose_first_block_is_all_deleted_give_whooshs_answers(tmp_path, lookups):
    """Whoosh's deleted-documents filter moves a posting list past its deleted documents
    (here a whole block) when it is made: the arrays read the list themselves."""
    archive = tmp_path / "archive"
    for n in range(300):
        body = "Hoa sen nở." if n < 200 else "Hoa cúc nở."
        write_article(archive, f"hoa/bai-{n:03d}.txt", f"Vườn hoa {n}", body)
    build(archive, tmp_path / "index", jobs=1)
    for n in range(150):
        (archive / f"hoa/bai-{n:03d}.txt").unlink()
    build(archive, tmp_path / "index", jobs=1)
    searcher = ArchiveSearcher(tmp_path / "index")
    try:
        assert _compare_with_whoosh(searcher, ["sen", "sen hoa", "hoa sen nở"]) == 7
    finally:
        searcher.close()
