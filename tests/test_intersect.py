"""indexer.intersect: rarest-first intersections and the bisecting skip over real postings."""

from __future__ import annotations

import random

import pytest
from whoosh import index as whoosh_index
from whoosh.fields import ID, TEXT, Schema
from whoosh.query import Term

from indexer.intersect import ChainAnd

DOCS = 1000
WORDS = {"moi": 1, "ba": 3, "bay": 7, "hiem": 331}
"""Word -> every how many documents it occurs in; "moi" spans several posting blocks."""


@pytest.fixture(scope="module")
def searcher(tmp_path_factory):
    folder = tmp_path_factory.mktemp("postings")
    ix = whoosh_index.create_in(str(folder), Schema(id=ID(stored=True), text=TEXT()))
    with ix.writer() as writer:
        for n in range(DOCS):
            writer.add_document(id=str(n), text=" ".join(w for w, k in WORDS.items() if n % k == 0))
    with ix.searcher() as s:
        yield s


def docs_with(word: str) -> list[int]:
    return [n for n in range(DOCS) if n % WORDS[word] == 0]


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


@pytest.mark.parametrize("words", [("moi", "ba"), ("ba", "bay"), ("moi", "ba", "bay", "hiem")])
def test_chained_intersection_equals_the_set_intersection(searcher, words):
    expected = set(range(DOCS))
    for word in words:
        expected &= set(docs_with(word))
    found = ChainAnd([Term("text", w) for w in words]).matcher(searcher)
    ids = []
    while found.is_active():
        ids.append(found.id())
        found.next()
    assert ids == sorted(expected)
