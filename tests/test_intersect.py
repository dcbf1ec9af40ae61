"""indexer.intersect: rarest-first intersections and the bisecting skip over real postings."""

from __future__ import annotations

import random

import pytest
from whoosh import index as whoosh_index
from whoosh.fields import ID, TEXT, Schema
from whoosh.query import And, Or, Term

from indexer.intersect import ChainAnd, ChainPhrase, DrivenOr, ExactAndNot

DOCS = 1000
WORDS = {"moi": (1, 0), "ba": (3, 0), "bay": (7, 0), "hiem": (331, 0), "lech": (5, 2)}
"""Word -> (k, r): it occurs in documents n with n % k == r; "moi" spans several posting
blocks, and "lech" does not start where the others do."""


@pytest.fixture(scope="module")
def searcher(tmp_path_factory):
    folder = tmp_path_factory.mktemp("postings")
    ix = whoosh_index.create_in(str(folder), Schema(id=ID(stored=True), text=TEXT()))
    with ix.writer() as writer:
        for n in range(DOCS):
            writer.add_document(id=str(n), text=" ".join(w for w in WORDS if n in docs_with(w)))
    with ix.searcher() as s:
        yield s


def docs_with(word: str) -> list[int]:
    k, r = WORDS[word]
    return [n for n in range(DOCS) if n % k == r]


@pytest.mark.parametrize("word", sorted(WORDS))
def test_skip_to_lands_on_the_first_posting_at_or_after_the_target(searcher, word):
    expected = docs_with(word)
    rng = random.Random(word)
    for target in [0, 1, 127, 128, 129, 500, DOCS - 1, DOCS] + rng.sample(range(DOCS), 50):
        matcher = Term("text", word).matcher(searcher)
        matcher.skip_to(target)
        following = [d for d in expected if d >= target]
        if following:
            assert matcher.is_active() and matcher.id() == following[0], target
        else:
            assert not matcher.is_active(), target


def test_successive_skips_walk_the_postings_in_order(searcher):
    matcher = Term("text", "moi").matcher(searcher)
    seen = []
    for target in range(0, DOCS, 37):
        matcher.skip_to(target)
        seen.append(matcher.id())
    assert seen == list(range(0, DOCS, 37))
    matcher.skip_to(DOCS + 5)
    assert not matcher.is_active()


def collect(matcher) -> dict[int, float]:
    scores = {}
    while matcher.is_active():
        scores[matcher.id()] = matcher.score()
        matcher.next()
    return scores


INTERSECTIONS = [("moi", "ba"), ("ba", "bay"), ("moi", "ba", "bay", "hiem"), ("ba", "lech"),
                 ("lech", "bay", "moi"), ("hiem", "lech")]


def docs_with_all(words) -> list[int]:
    expected = set(range(DOCS))
    for word in words:
        expected &= set(docs_with(word))
    return sorted(expected)


@pytest.mark.parametrize("words", INTERSECTIONS)
def test_chained_intersection_equals_the_set_intersection(searcher, words):
    found = ChainAnd([Term("text", w) for w in words]).matcher(searcher)
    ids = []
    while found.is_active():
        ids.append(found.id())
        found.next()
    assert ids == docs_with_all(words)


@pytest.mark.parametrize("words", INTERSECTIONS)
def test_chained_intersection_skips_to_the_first_common_document(searcher, words):
    expected = docs_with_all(words)
    for target in [0, 1, 128, 499, 500, DOCS - 1, DOCS] + random.Random(1).sample(range(DOCS), 30):
        found = ChainAnd([Term("text", w) for w in words]).matcher(searcher)
        following = [d for d in expected if d >= target]
        if found.is_active():
            found.skip_to(target)
        if following:
            assert found.is_active() and found.id() == following[0], target
        else:
            assert not found.is_active(), target


@pytest.mark.parametrize("words", INTERSECTIONS)
def test_chained_intersection_scores_as_whoosh_and(searcher, words):
    ours = collect(ChainAnd([Term("text", w) for w in words]).matcher(searcher))
    whoosh = collect(And([Term("text", w) for w in words]).matcher(searcher))
    assert ours.keys() == whoosh.keys()
    assert all(ours[d] == pytest.approx(whoosh[d]) for d in ours)


def test_rarest_first_phrase_matches_only_consecutive_words_in_order(searcher):
    def phrase(*words):
        return collect(ChainPhrase("text", list(words)).matcher(searcher)).keys()

    both = set(docs_with("ba")) & set(docs_with("bay"))
    assert set(phrase("ba", "bay")) == both  # documents list the words in WORDS order
    assert not phrase("bay", "ba")
    assert set(phrase("moi", "bay")) == set(docs_with("bay")) - set(docs_with("ba"))


def test_driven_union_keeps_every_document_missing_fewer_words(searcher):
    words = ["moi", "ba", "bay", "hiem"]
    terms = [Term("text", w) for w in words]
    driven = collect(DrivenOr(terms).matcher(searcher))
    union = collect(Or(terms).matcher(searcher))
    # budget 1,000 documents: "hiem", "bay" and "ba" (481 in all) drive, "moi" (1,000) only scores
    assert set(driven) == set(docs_with("ba")) | set(docs_with("bay")) | set(docs_with("hiem"))
    coverage = {n: sum(n in docs_with(w) for w in words) for n in range(DOCS)}
    assert {n for n, c in coverage.items() if c >= 2} <= set(driven)
    for docnum, score in driven.items():
        assert score == pytest.approx(union[docnum])


def test_driven_union_of_few_documents_is_the_plain_union(searcher):
    terms = [Term("text", w) for w in ("bay", "hiem")]
    assert collect(DrivenOr(terms).matcher(searcher)) == pytest.approx(
        collect(Or(terms).matcher(searcher)))


@pytest.mark.parametrize("kept, excluded", [("lech", "ba"), ("lech", "moi"), ("bay", "lech"),
                                            ("moi", "ba"), ("ba", "bay")])
def test_exclusion_removes_every_document_holding_the_excluded_word(searcher, kept, excluded):
    """Whoosh's own AndNot keeps the first match of "lech" (document 2) although "moi",
    whose postings start at document 0, holds it too."""
    query = ExactAndNot(Term("text", kept), Term("text", excluded))
    found = sorted(searcher.docs_for_query(query))
    assert found == sorted(set(docs_with(kept)) - set(docs_with(excluded)))
    assert sorted(hit.docnum for hit in searcher.search(query, limit=None)) == found
