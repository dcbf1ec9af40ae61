"""Known-item search over real articles from the shared corpus (skipped without it)."""

from __future__ import annotations

import time
from pathlib import PurePosixPath

from conftest import needs_corpus
from indexer.analysis import fold
from indexer.search import SearchParams

SAMPLE_EVERY = 50  # 100 titles out of the 5,000-article sample
MIN_FIRST = 97
FOLDED_SAMPLE = 50
FOLDED_TOP = 3
MIN_FOLDED = 45

pytestmark = needs_corpus


def _stem(doc_id: str) -> str:
    return PurePosixPath(doc_id).stem


def test_titles_find_their_article_first(corpus_sample):
    records, searcher = corpus_sample.records, corpus_sample.searcher
    sample = records[::SAMPLE_EVERY]
    assert len(sample) == 100
    misses = []
    started = time.perf_counter()
    for record in sample:
        results = searcher.search(SearchParams(q=record["title"], per_page=10), facets=False,
                                  snippets=False, suggest=False)
        first = _stem(results.hits[0].id) if results.hits else None
        if first != record["id"]:
            misses.append((record["id"], record["title"], first))
    print(f"\n{len(sample) - len(misses)} of {len(sample)} titles first, "
          f"{(time.perf_counter() - started) * 1000 / len(sample):.1f} ms per query")
    assert len(sample) - len(misses) >= MIN_FIRST, misses


def test_folded_titles_find_their_article_in_top_3(corpus_sample):
    records, searcher = corpus_sample.records, corpus_sample.searcher
    sample = records[::SAMPLE_EVERY][::2]
    assert len(sample) == FOLDED_SAMPLE
    misses = []
    for record in sample:
        query = fold(record["title"].lower())
        assert query.isascii() or not any(c in query for c in "đăâêôơư")
        results = searcher.search(SearchParams(q=query, per_page=FOLDED_TOP), facets=False,
                                  snippets=False, suggest=False)
        top = [_stem(h.id) for h in results.hits[:FOLDED_TOP]]
        if record["id"] not in top:
            misses.append((record["id"], query, top))
    assert len(sample) - len(misses) >= MIN_FOLDED, misses
