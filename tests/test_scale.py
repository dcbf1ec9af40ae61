"""Known-item search over 2,000 real articles from the shared corpus (skipped without it).

The corpus text is read at test time from ``../shared/corpus`` and written only into a
temporary folder: it never enters the repository.
"""

from __future__ import annotations

import gzip
import itertools
import json
import time
from pathlib import Path, PurePosixPath

import pytest

from indexer.analysis import fold
from indexer.build import build
from indexer.importer import import_jsonl
from indexer.search import ArchiveSearcher, SearchParams

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
SHARDS = ("vntc-core-000.jsonl.gz", "vntc-core-001.jsonl.gz")
RECORDS = 2_000
SAMPLE_EVERY = 20  # 100 titles
MIN_FIRST = 97
FOLDED_SAMPLE = 50
FOLDED_TOP = 3
MIN_FOLDED = 45

pytestmark = pytest.mark.skipif(
    not all((CORPUS / name).is_file() for name in SHARDS),
    reason=f"the shared corpus is not available at {CORPUS} (needs {', '.join(SHARDS)})",
)

NUMBERS: dict[str, object] = {}


def _records() -> list[dict]:
    lines = itertools.chain.from_iterable(
        gzip.open(CORPUS / name, "rt", encoding="utf-8") for name in SHARDS
    )
    return [json.loads(line) for line in itertools.islice(lines, RECORDS)]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("scale")
    records = _records()
    assert len(records) == RECORDS
    source = root / "records.jsonl"
    with open(source, "w", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    started = time.perf_counter()
    imported = import_jsonl([source], root / "archive")
    NUMBERS["import_s"] = round(time.perf_counter() - started, 1)
    assert imported.errors == []
    assert imported.written == RECORDS
    report = build(root / "archive", root / "index")  # default jobs: every core
    NUMBERS["build_s"] = round(report.elapsed, 1)
    NUMBERS["docs_per_s"] = round(report.docs_per_second)
    assert report.rejected == []
    assert report.documents == RECORDS
    searcher = ArchiveSearcher(root / "index")
    yield records, searcher
    searcher.close()
    print(f"\nscale numbers: {NUMBERS}")


def _stem(doc_id: str) -> str:
    return PurePosixPath(doc_id).stem


def test_titles_find_their_article_first(corpus):
    records, searcher = corpus
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
    NUMBERS["title_first"] = len(sample) - len(misses)
    NUMBERS["title_ms_avg"] = round((time.perf_counter() - started) * 1000 / len(sample), 1)
    NUMBERS["title_misses"] = misses
    assert len(sample) - len(misses) >= MIN_FIRST, misses


def test_folded_titles_find_their_article_in_top_3(corpus):
    records, searcher = corpus
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
    NUMBERS["folded_top3"] = len(sample) - len(misses)
    NUMBERS["folded_misses"] = misses
    assert len(sample) - len(misses) >= MIN_FOLDED, misses
