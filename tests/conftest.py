"""A shared sample of the real corpus, built once per test session (skipped without it),
and English for every test.

The corpus text is read at test time from ``../shared/corpus`` and written only into a
temporary folder: it never enters the repository. The first core shards are a uniform
random sample of the core (the corpus README says so), so 5,000 articles carry about a
tenth of the public evaluation queries.
"""

from __future__ import annotations

import gzip
import itertools
import json
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from indexer.build import build
from indexer.importer import import_jsonl
from indexer.search import ArchiveSearcher

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CORPUS = SHARED / "corpus"
EVAL_QUERIES = SHARED / "eval" / "queries.jsonl"
SAMPLE_SHARDS = tuple(f"vntc-core-{i:03d}.jsonl.gz" for i in range(5))


@dataclass
class CorpusSample:
    records: list[dict]
    archive: Path
    index: Path
    searcher: ArchiveSearcher
    build_seconds: float


@pytest.fixture(scope="session", autouse=True)
def english():
    """Tests read vnsearch's messages in English whatever the machine's locale (the
    language tests choose a language for each run they make). Set in the environment, so
    ``vnsearch`` processes that tests start speak English too."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("VNSEARCH_LANG", "en")
        yield


def corpus_available() -> bool:
    return all((CORPUS / name).is_file() for name in SAMPLE_SHARDS)


needs_corpus = pytest.mark.skipif(
    not corpus_available(),
    reason=f"the shared corpus is not available at {CORPUS} (needs {', '.join(SAMPLE_SHARDS)})",
)


@pytest.fixture(scope="session")
def corpus_sample(tmp_path_factory) -> CorpusSample:
    if not corpus_available():
        pytest.skip(f"the shared corpus is not available at {CORPUS}")
    root = tmp_path_factory.mktemp("corpus-sample")
    sources = [CORPUS / name for name in SAMPLE_SHARDS]
    imported = import_jsonl(sources, root / "archive")
    assert imported.errors == []
    records = [
        json.loads(line)
        for line in itertools.chain.from_iterable(
            gzip.open(path, "rt", encoding="utf-8") for path in sources
        )
    ]
    started = time.perf_counter()
    report = build(root / "archive", root / "index")  # default jobs: every core
    assert report.rejected == []
    assert report.documents == len(records)
    searcher = ArchiveSearcher(root / "index")
    yield CorpusSample(records, root / "archive", root / "index", searcher,
                       time.perf_counter() - started)
    searcher.close()
