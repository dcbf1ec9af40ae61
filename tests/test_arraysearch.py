"""indexer.arraysearch: query plans over decoded posting arrays give Whoosh's answers.

The archive is generated from a small hand-picked vocabulary so that every word is common
(posting lists span several blocks) and one incremental run leaves two segments and
deleted documents, the states a live index is in. Its lists of 100 postings or more are
written beside their segments (``sidecar``), and every comparison runs on that index and
on a copy without the sidecars, as an index built before them is.
"""

from __future__ import annotations

import random
import shutil
from dataclasses import replace

import numpy as np
import pytest
from conftest import needs_corpus
from helpers import write_article
from hypothesis import given
from hypothesis import strategies as st
from whoosh import sorting
from whoosh.query import And, AndMaybe, Every, Or, Term

from indexer import arraysearch, engine, postingforms, sidecar, whoosh_internals
from indexer.analysis import fold
from indexer.build import build
from indexer.engine import array_request, sort_facet
from indexer.intersect import BestOf
from indexer.query import build_plan
from indexer.present import FACETS
from indexer.search import ArchiveSearcher, SearchParams, _filter

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
                  date=None if n % 7 == 0 else f"20{10 + n % 12}-0{1 + n % 9}-1{n % 10}",
                  author=AUTHORS[n % 3] or None, category=CATEGORIES[n % 3])


SIDECAR_MIN_POSTINGS = 100
"""Lists written beside their segments in the fixture: some are, some are not."""


@pytest.fixture(scope="module")
def index_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("arrays")
    archive = root / "archive"
    rng = random.Random(7)
    for n in range(ARTICLES):
        _write(archive, n, rng)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sidecar, "MIN_POSTINGS", SIDECAR_MIN_POSTINGS)
        build(archive, root / "index", jobs=1)
        for n in range(0, ARTICLES, 9):
            (archive / f"muc/bai-{n:04d}.txt").unlink()
        for n in range(ARTICLES, ARTICLES + 60):
            _write(archive, n, rng)
        build(archive, root / "index", jobs=1)
    return root / "index"


def _without_sidecars(index_root, copy):
    """A copy of the index as one built before sidecars: the same segments, no sidecar."""
    shutil.copytree(index_root, copy, symlinks=True)
    for path in copy.glob(f"gen-*/*{sidecar.EXTENSION}"):
        path.unlink()
    return copy


@pytest.fixture(scope="module", params=["sidecars", "no sidecars"])
def searcher(request, index_root, tmp_path_factory):
    root = index_root
    if request.param == "no sidecars":
        root = _without_sidecars(index_root, tmp_path_factory.mktemp("plain") / "index")
    s = ArchiveSearcher(root)
    yield s
    s.close()


@pytest.fixture(params=["probing", "decoding", "cached"])
def lookups(request, monkeypatch):
    """Each test runs with uncached lists probed by skipping, then decoded whole, then with
    every list kept once decoded (common words' as one byte per document)."""
    monkeypatch.setattr(arraysearch, "_CACHE", arraysearch._PostingCache(arraysearch.CACHE_BYTES))
    monkeypatch.setattr(arraysearch, "CACHE_MIN_POSTINGS",
                        1 if request.param == "cached" else 10**9)
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
                      "đường -dương -\"hà nội\" xyzqv", "bóng OR đá -công", '"hòa bình"',
                      '"hoa binh" duong', '"nhà"', "title:hòa", 'title:"hòa" -đường',
                      '"kinh tế" title:đường -nhà']


def test_the_fixture_has_segments_deletions_and_long_posting_lists(searcher):
    whoosh_searcher = searcher.live._fresh()
    assert len(whoosh_searcher.leaf_searchers()) >= 2
    assert any(sub.reader().deleted_docs_set for sub, _ in whoosh_searcher.leaf_searchers())
    assert whoosh_searcher.reader().doc_frequency("fold", "duong") > 128
    live = searcher.live._generation_dir
    segments = {sub.reader().segment().segment_id() + sidecar.EXTENSION
                for sub, _ in whoosh_searcher.leaf_searchers()}
    with_sidecars = {p.name for p in live.glob(f"*{sidecar.EXTENSION}")}
    assert with_sidecars in (set(), segments)


def _strict(plan) -> tuple[arraysearch.Request, object]:
    """A request needing every word, without coordination or spelling factors, and the
    Whoosh query that means the same: every word's folded syllable, compounds and exact
    spellings adding to the score, exclusions dropping matches."""
    request = array_request(plan, relaxed=False)
    request = replace(request, need=len(request.slots), coord=1.0, misspelt=1.0)
    required = [BestOf([And(alt) if len(alt) > 1 else alt[0] for alt in slot])
                if len(slot) > 1 else (And(slot[0]) if len(slot[0]) > 1 else slot[0][0])
                for slot in request.slots]
    query = required[0] if len(required) == 1 else And(required)
    if request.evidence:
        query = AndMaybe(query, Or(request.evidence))
    return request, query


def _mask(request) -> object | None:
    groups = [And(list(g)) if len(g) > 1 else g[0] for g in request.excluded]
    return Or(groups) if groups else None


@pytest.mark.parametrize("with_filter", [False, True])
def test_matches_scores_order_and_facets_equal_whooshs(searcher, lookups, with_filter):
    category = "Kinh tế" if with_filter else None
    assert _compare_with_whoosh(searcher, _queries(), category) > 20


def _compare_with_whoosh(searcher, queries: list[str], category: str | None = None) -> int:
    """Asserts arrays and Whoosh agree on every query's all-of reading; returns how many
    matched something."""
    whoosh_searcher = searcher.live._fresh()
    compared = 0
    for q in queries:
        plan = searcher.plan(whoosh_searcher, q)
        if array_request(plan, relaxed=False) is None:
            continue
        request, query = _strict(plan)
        params = SearchParams(q=q, category=category)
        found = arraysearch.search(whoosh_searcher, request, _filter(params), 20, FACETS)
        assert found is not None, q
        groupedby = {name: sorting.FieldFacet(name, maptype=sorting.Count) for name in FACETS}
        expected = whoosh_searcher.search(query, limit=None, groupedby=groupedby,
                                          filter=_filter(params), mask=_mask(request),
                                          optimize=False)
        assert found.total == len(expected), q
        for name in FACETS:
            assert _named(found.groups[name]) == _named(expected.groups(name)), (q, name)
        ranked = [(h.docnum, h.score) for h in expected][:20]
        assert [(h.docnum, round(h.score, 6)) for h in found.hits] == [(d, round(sc, 6)) for d, sc in ranked], q
        assert [h.score for h in found.hits] == pytest.approx([sc for _, sc in ranked],
                                                              rel=1e-12), q
        compared += bool(found.total)
    return compared


@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_newest_and_oldest_first_equal_whooshs_sorting(searcher, sort):
    """The same matches as by relevance, ordered as Whoosh's sorting collector orders them:
    by date, undated articles last, equal dates by document number."""
    whoosh_searcher = searcher.live._fresh()
    compared = 0
    for q in _queries():
        plan = searcher.plan(whoosh_searcher, q)
        if array_request(plan, relaxed=False) is None:
            continue
        request, query = _strict(plan)
        found = arraysearch.search(whoosh_searcher, request, None, 50, (), by_date=sort)
        expected = whoosh_searcher.search(query, limit=50, sortedby=sort_facet(sort),
                                          mask=_mask(request), optimize=False)
        assert found.total == len(expected), q
        assert [h.docnum for h in found.hits] == [h.docnum for h in expected], q
        compared += found.total > 1
    assert compared > 20


@pytest.mark.parametrize("sort", ["newest", "oldest"])
@pytest.mark.parametrize("category", [None, "Kinh tế"])
def test_browsing_without_a_query_equals_whooshs_sorting(searcher, sort, category):
    """A filter alone (or nothing) lists its articles by date, with facets, as Whoosh's
    sorting collector over every document does."""
    whoosh_searcher = searcher.live._fresh()
    filter_query = _filter(SearchParams(q="", category=category))
    found = arraysearch.browse(whoosh_searcher, filter_query, 60, FACETS, sort)
    groupedby = {name: sorting.FieldFacet(name, maptype=sorting.Count) for name in FACETS}
    expected = whoosh_searcher.search(Every(), limit=60, sortedby=sort_facet(sort),
                                      filter=filter_query, groupedby=groupedby)
    assert found.total == len(expected) > 60
    assert [h.docnum for h in found.hits] == [h.docnum for h in expected]
    for name in FACETS:
        assert _named(found.groups[name]) == _named(expected.groups(name)), name


@pytest.mark.parametrize("kind", ["title", "text"])
def test_phrases_confirmed_on_their_text_get_whooshs_answers(searcher, kind):
    """A ``title:`` phrase (its title syllables, then the titles' text) and a phrase of
    three syllables or more (its pairs, then the stored text) find the articles Whoosh
    finds by title positions and by ``PairPhrase``, with the same scores."""
    whoosh_searcher = searcher.live._fresh()
    articles = [searcher.article(i, related=0) for i in sorted(searcher.ids())[:40]]
    if kind == "title":
        queries = [f'title:"{" ".join(a.title.split()[i:i + 2])}"'
                   for a in articles for i in (0, 2)]
        queries += ['title:"hòa bình"', 'title:"duong kinh"', 'title:"nhà" title:"đường hòa"']
    else:
        queries = [f'"{" ".join(a.body.rstrip(".").split()[i:i + n])}"'
                   for a in articles for i, n in ((0, 3), (2, 4))]
        queries += ['"hòa bình nhà"', '"đường hòa bình" nhà', '"kinh te thi truong"']
    found_some = 0
    for q in queries:
        plan = searcher.plan(whoosh_searcher, q)
        request = array_request(plan, relaxed=False)
        assert request is not None and (request.in_title or request.in_text), q
        found = arraysearch.search(whoosh_searcher, request, None, 10_000, ())
        expected = whoosh_searcher.search(engine.whoosh_query(plan, relaxed=False), limit=None,
                                          optimize=False)
        assert {h.docnum: h.score for h in found.hits} == pytest.approx(
            {h.docnum: h.score for h in expected}, rel=1e-9), q
        found_some += found.total > 0
    assert found_some >= 40


def test_stored_text_is_checked_in_bounded_batches_with_the_same_answers(searcher,
                                                                        monkeypatch):
    """Long articles are read a bounded amount of text at a time (a hostile archive of
    5 MB articles must not be folded as one string); batches part nothing."""
    whoosh_searcher = searcher.live._fresh()
    articles = [searcher.article(i, related=0) for i in sorted(searcher.ids())[:20]]
    queries = [f'"{" ".join(a.body.rstrip(".").split()[:3])}"' for a in articles]
    requests = [array_request(searcher.plan(whoosh_searcher, q), relaxed=False)
                for q in queries]
    whole = [arraysearch.search(whoosh_searcher, r, None, 1000, ()) for r in requests]
    monkeypatch.setattr(arraysearch, "TEXT_CHARS_AT_ONCE", 100)
    batched = [arraysearch.search(whoosh_searcher, r, None, 1000, ()) for r in requests]
    assert [[(h.docnum, h.score) for h in f.hits] for f in batched] == [
        [(h.docnum, h.score) for h in f.hits] for f in whole]
    assert sum(f.total for f in whole) >= len(queries)


@needs_corpus
def test_real_headlines_get_whooshs_answers(corpus_sample, lookups):
    titles = [r["title"] for r in corpus_sample.records[::97] if r.get("title")]
    queries = titles + [fold(t) for t in titles]
    assert _compare_with_whoosh(corpus_sample.searcher, queries) >= len(queries) * 0.9


def _named(counts: dict) -> dict:
    return {value: n for value, n in counts.items() if value not in (None, "")}


def test_articles_missing_one_word_match_scored_down_per_word_missed(searcher, lookups):
    """need < slots: every article covering enough words, each scored as the sum of its
    words' BM25F, times ``coord`` per word it lacks (checked one word at a time against
    Whoosh's own scores)."""
    whoosh_searcher = searcher.live._fresh()
    words = ["duong", "hoa", "kinh", "bong", "xyzqv"]
    slots = [[[Term("fold", w)]] for w in words]
    request = arraysearch.Request(slots=slots, evidence=[], need=3, coord=0.5)
    found = arraysearch.search(whoosh_searcher, request, None, 10_000, ())
    per_word = [{hit.docnum: hit.score for hit in whoosh_searcher.search(
        Term("fold", w), limit=None, optimize=False)} for w in words]
    expected = {}
    for doc in set().union(*per_word):
        held = [scores[doc] for scores in per_word if doc in scores]
        if len(held) >= 3:
            expected[doc] = sum(held) * 0.5 ** (len(words) - len(held))
    assert found.total == len(expected) > 0
    assert {h.docnum: h.score for h in found.hits} == pytest.approx(expected, rel=1e-9)
    assert found.complete == 0  # nobody holds the unknown word


def test_a_word_in_another_spelling_is_scored_down_not_dropped(searcher):
    whoosh_searcher = searcher.live._fresh()
    plain = arraysearch.Request(slots=[[[Term("fold", "duong")]]], evidence=[], need=1)
    spelled = replace(plain, spelled=[Term("syl", "đường")], misspelt=0.5)
    before = {h.docnum: h.score for h in arraysearch.search(whoosh_searcher, plain, None,
                                                               10_000, ()).hits}
    after = {h.docnum: h.score for h in arraysearch.search(whoosh_searcher, spelled, None,
                                                              10_000, ()).hits}
    exact = set(whoosh_searcher.docs_for_query(Term("syl", "đường")))
    assert set(before) == set(after) and exact < set(before)
    for doc, score in before.items():
        assert after[doc] == pytest.approx(score if doc in exact else score * 0.5)


def test_long_lists_are_kept_for_the_next_query(searcher, monkeypatch):
    """Lists not written beside their segment are decoded once and cached; those written
    beside it are read from there and never cached."""
    monkeypatch.setattr(arraysearch, "_CACHE", arraysearch._PostingCache(arraysearch.CACHE_BYTES))
    monkeypatch.setattr(arraysearch, "CACHE_MIN_POSTINGS", SIDECAR_MIN_POSTINGS)
    whoosh_searcher = searcher.live._fresh()
    has_sidecars = [arraysearch._sidecar(sub.reader()) is not None
                    for sub, _ in whoosh_searcher.leaf_searchers()]
    request = array_request(build_plan("duong hoa"), relaxed=False)
    first = arraysearch.search(whoosh_searcher, request, None, 10, ())
    kept = arraysearch._CACHE.used
    assert len(set(has_sidecars)) == 1
    assert (kept > 0) == (not has_sidecars[0])
    again = arraysearch.search(whoosh_searcher, request, None, 10, ())
    assert arraysearch._CACHE.used == kept
    assert [(h.docnum, h.score) for h in again.hits] == [(h.docnum, h.score) for h in first.hits]


def test_shapes_arrays_do_not_take_are_left_to_whoosh():
    for q in ['hòa -"bình nhà đá"', 'hòa OR "bình nhà"']:
        assert array_request(build_plan(q), relaxed=False) is None, q
    request = array_request(build_plan('"hòa bình" title:Nhà đá'), relaxed=False)
    assert [[[t.fieldname + ":" + t.text for t in alt] for alt in slot]
            for slot in request.slots] == [
        [["pair:hoa_binh", "syl:hòa", "syl:bình"]], [["tfold:nha"]], [["tfold:da"]],
        [["tsyl:nhà"]], [["tsyl:đá"]]]
    assert request.need == 5  # a phrase or title: is asked for exactly, and its neighbours
    assert array_request(build_plan('"hòa bình" nhà'), relaxed=True) is None
    request = array_request(build_plan('title:"hòa binh"'), relaxed=False)
    assert [[[t.fieldname + ":" + t.text for t in alt] for alt in slot]
            for slot in request.slots] == [[["tfold:hoa", "tfold:binh", "tsyl:hòa"]]]
    assert request.in_title == (("hoa", "binh"),)
    request = array_request(build_plan('"hòa bình nha"'), relaxed=False)
    assert [[[t.fieldname + ":" + t.text for t in alt] for alt in slot]
            for slot in request.slots] == [
        [["pair:hoa_binh", "pair:binh_nha", "syl:hòa", "syl:bình"]]]
    assert request.in_text == (("hoa", "binh", "nha"),)
    request = array_request(build_plan("đường hòa bình"), relaxed=False)
    assert [[[t.text for t in alt] for alt in slot] for slot in request.slots] == [
        [["duong"]], [["hoa"]], [["binh"]]]
    assert request.need == 3  # three words are a topic: all of them
    assert array_request(build_plan("đường hòa bình nhà"), relaxed=False).need == 3
    assert {t.fieldname for t in request.evidence} == {"syl", "word"}
    assert [t.text for t in request.spelled] == ["đường", "hòa", "bình"]
    assert array_request(build_plan("hòa bình"), relaxed=False).need == 2
    assert array_request(build_plan("hòa bình"), relaxed=True).need == 1
    request = array_request(build_plan("hòa OR bình"), relaxed=False)
    assert [[[t.text for t in alt] for alt in slot] for slot in request.slots] == [
        [["hoa"], ["binh"]]]
    request = array_request(build_plan('hòa -bình -"nhà đá"'), relaxed=False)
    assert [[t.text for t in group] for group in request.excluded] == [
        ["bình"], ["nhà", "đá", "nha_da"]]


@given(st.lists(st.integers(0, 5_000_000), min_size=1, max_size=400, unique=True),
       st.lists(st.integers(1, 70_000), min_size=400, max_size=400))
def test_compact_posting_lists_round_trip(ids, counts):
    ids = np.array(sorted(ids), dtype=np.int32)
    weights = np.array(counts[:len(ids)], dtype=np.float32)
    back_ids, back_weights = postingforms.Compact(ids, weights).arrays()
    assert back_ids.tolist() == ids.tolist()
    assert back_weights.tolist() == weights.tolist()


@given(st.lists(st.integers(0, 199), min_size=1, max_size=200, unique=True),
       st.lists(st.integers(0, 199), min_size=0, max_size=200, unique=True),
       st.lists(st.integers(1, 255), min_size=1, max_size=20))
def test_every_kept_form_of_a_list_finds_the_same_weights(ids, docs, counts):
    """Binary search or laying out, compact or one byte per document: the same answer as
    reading the postings one by one."""
    size = 200
    ids = np.array(sorted(ids), dtype=np.int32)
    weights = np.resize(np.array(counts, dtype=np.float32), len(ids))
    docs = np.array(sorted(docs), dtype=np.int32)
    held = dict(zip(ids.tolist(), weights.tolist()))
    expected = ([d in held for d in docs.tolist()], [held.get(d, 0.0) for d in docs.tolist()])
    kept = postingforms.kept(ids, weights, size)
    assert isinstance(kept, postingforms.Dense) == (len(ids) * postingforms.DENSE_FROM >= size)
    compact = postingforms.Compact(ids, weights)
    for present, found in (arraysearch._weights_at(ids, weights, docs, size),
                           arraysearch._weights_at(*compact.arrays(), docs, size),
                           kept.at(docs, size) if isinstance(kept, postingforms.Dense)
                           else arraysearch._weights_at(*kept.arrays(), docs, size)):
        assert (present.tolist(), found.tolist()) == expected
    assert [a.tolist() for a in kept.arrays()] == [ids.tolist(), weights.tolist()]


def test_the_posting_cache_stays_within_its_budget():
    ids = np.arange(0, 2000, 2, dtype=np.int32)
    weights = np.ones(len(ids), dtype=np.float32)
    one = postingforms.Compact(ids, weights).nbytes
    cache = arraysearch._PostingCache(budget=3 * one)
    for n in range(5):
        cache.put(("seg", "fold", str(n).encode()), postingforms.Compact(ids, weights))
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
        assert _compare_with_whoosh(searcher, ["sen", "sen hoa", "hoa sen nở"]) == 3
    finally:
        searcher.close()


def _damage(index_root, kind: str) -> None:
    """Spoil the sidecar of the live generation's first segment as ``kind`` says."""
    target, other = sorted(index_root.glob(f"gen-*/*{sidecar.EXTENSION}"),
                           key=lambda path: path.stat().st_mtime)
    data = bytearray(target.read_bytes())
    if kind == "missing":
        target.unlink()
        return
    if kind == "truncated":
        data = data[:len(data) // 2]
    elif kind == "another segment's":
        data = bytearray(other.read_bytes())
    elif kind == "another format version":
        data[8:12] = (sidecar.FORMAT_VERSION + 1).to_bytes(4, "little")
    elif kind == "damaged index":
        data[-3] ^= 0xFF
    target.write_bytes(bytes(data))


@pytest.mark.parametrize("kind", ["missing", "truncated", "another segment's",
                                  "another format version", "damaged index"])
def test_a_sidecar_that_cannot_be_trusted_falls_back_to_decoding(index_root, tmp_path, kind,
                                                                  capsys):
    root = tmp_path / "index"
    shutil.copytree(index_root, root, symlinks=True)
    _damage(root, kind)
    for _ in range(2):  # a second searcher opens the segment again: said once
        searcher = ArchiveSearcher(root)
        try:
            readers = [sub.reader() for sub, _ in searcher.live._fresh().leaf_searchers()]
            assert [arraysearch._sidecar(r) is not None for r in readers] == [False, True]
            assert _compare_with_whoosh(searcher, _queries()) > 20
        finally:
            searcher.close()
    said = capsys.readouterr().err
    assert said.count("not using") == (0 if kind == "missing" else 1), said


def test_deleted_articles_are_not_found_through_sidecars(index_root, tmp_path):
    """Sidecars keep every posting of their segment, deleted documents too, as decoding
    does: matches are filtered by the segment's deletions afterwards."""
    searcher = ArchiveSearcher(index_root)
    try:
        whoosh_searcher = searcher.live._fresh()
        assert all(arraysearch._sidecar(sub.reader()) is not None
                   for sub, _ in whoosh_searcher.leaf_searchers())
        request = arraysearch.Request(slots=[[[Term("fold", "duong")]]], evidence=[], need=1)
        found = arraysearch.search(whoosh_searcher, request, None, 10_000, ())
        ids = {h.fields()["id"] for h in found.hits}
        deleted = {f"muc/bai-{n:04d}.txt" for n in range(0, ARTICLES, 9)}
        assert found.total == len(ids) > 0 and not ids & deleted
        assert found.total == len(set(whoosh_searcher.docs_for_query(Term("fold", "duong"))))
    finally:
        searcher.close()


def test_posting_lists_read_in_one_piece_hold_whooshs_postings(index_root):
    """``posting_list`` decodes a list from one read; Whoosh's matcher, stepped one posting
    at a time, sees the same ids and weights, deleted documents included, in lists of one
    block and of many, compressed or not, in both segments."""
    from indexer.location import open_current

    long_lists = short_lists = deleted_seen = 0
    with open_current(index_root).reader() as reader:
        for leaf, _ in reader.leaf_readers():
            for fieldname in (*sidecar.FIELDS, "tfold", "tsyl"):
                for term in leaf.lexicon(fieldname):
                    ids, weights = whoosh_internals.posting_list(leaf, fieldname, term)
                    matcher = arraysearch._leaf(leaf, fieldname, term)
                    expected = []
                    while matcher.is_active():
                        expected.append((matcher.id(), matcher.weight()))
                        matcher.next()
                    assert list(zip(ids, weights)) == expected, (fieldname, term)
                    long_lists += len(ids) > arraysearch.POSTINGS_PER_BLOCK
                    short_lists += len(ids) < 8
                    deleted_seen += any(leaf.is_deleted(i) for i in ids)
    assert long_lists and short_lists and deleted_seen


def test_facet_columns_read_in_one_piece_hold_whooshs_values(tmp_path):
    from indexer.location import open_current

    root = tmp_path / "archive"
    for n in range(9):
        meta = {"category": ["Thể thao", "Kinh tế"][n % 2]} if n % 3 else {}
        write_article(root, f"muc-{n % 2}/bai-{n}.txt", f"Bài số {n}", "Nội dung.", **meta)
    build(root, tmp_path / "index", jobs=1)
    write_article(root, "khac/moi.txt", "Bài mới", "Nội dung.", author="Nguyễn Văn A")
    build(root, tmp_path / "index", jobs=1)
    with open_current(tmp_path / "index").reader() as reader:
        assert len(reader.leaf_readers()) == 2
        for leaf, _ in reader.leaf_readers():
            for name in FACETS:
                ordinals, values = arraysearch.facet_column(leaf, name)
                column = leaf.column_reader(name)
                assert ([values[i] for i in ordinals]
                        == [column[d] for d in range(leaf.doc_count_all())]), name
                assert len(set(values)) == len(values)


def test_phrase_searches_count_facets_as_whoosh_does(searcher):
    """Phrases go through Whoosh's matchers, counting facets from the arrays' columns:
    the counts are those of Whoosh's own field facets, deletions and filters included."""
    whoosh_searcher = searcher.live._fresh()
    compared = 0
    for q in ['"hà nội"', '"kinh tế" thị', '"thi truong" người', 'title:"bóng đá"']:
        for category in (None, "Kinh tế"):
            plan = searcher.plan(whoosh_searcher, q)
            query = engine.whoosh_query(plan, relaxed=False)
            found = engine.collect(whoosh_searcher, query, depth=10, sortedby=None,
                                   filter_query=_filter(SearchParams(q=q, category=category)),
                                   facets=FACETS, deadline_seconds=30)
            groupedby = {name: sorting.FieldFacet(name, maptype=sorting.Count)
                         for name in FACETS}
            expected = whoosh_searcher.search(query, limit=None, groupedby=groupedby,
                                              filter=_filter(SearchParams(q=q, category=category)),
                                              optimize=False)
            assert found.total == len(expected), q
            if found.total:
                for name in FACETS:
                    assert (_named(found.groups[name])
                            == _named(expected.groups(name))), (q, name)
                compared += 1
    assert compared >= 6
