"""indexer.bm25: document lengths from a decoded list score exactly as Whoosh's own lookup."""

from __future__ import annotations

import pytest
from whoosh import scoring
from whoosh.query import Or, Term

from helpers import write_article
from indexer.bm25 import ListedLengthBM25F, field_lengths
from indexer.build import build
from indexer.location import open_current
from indexer.schema import TEXT_FIELDS, TITLE_FIELDS

BODIES = [
    "Mưa lớn.",
    "Mưa lớn kéo dài nhiều ngày ở miền Trung, nông dân lo mất mùa lúa.",
    " ".join(["Bão số 5 đổ bộ, mưa lớn gây ngập sâu."] * 40),  # a long one: length bytes round
]


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    root = tmp_path_factory.mktemp("bm25")
    for i, body in enumerate(BODIES):
        write_article(root / "archive", f"bai-{i}.txt", f"Tin thời tiết số {i}", body)
    build(root / "archive", root / "index", jobs=1)
    ix = open_current(root / "index")
    yield ix
    ix.close()


def test_decoded_lengths_equal_whoosh_lookup(index):
    with index.searcher() as searcher:
        for reader in [r for r, _ in searcher.reader().leaf_readers()]:
            for name in TEXT_FIELDS + TITLE_FIELDS:
                lengths = field_lengths(reader, name)
                assert lengths is not None
                assert lengths == [reader.doc_field_length(d, name, 1)
                                   for d in range(reader.doc_count_all())]
        assert max(field_lengths(reader, "syl")) > 255  # decoded, not the raw byte


def test_scores_equal_whoosh_bm25f(index):
    query = Or([Term("fold", "mua"), Term("fold", "lon"), Term("syl", "bão"), Term("word", "nông_dân")])
    with index.searcher(weighting=scoring.BM25F(B=0.75, K1=1.2)) as plain, \
            index.searcher(weighting=ListedLengthBM25F(B=0.75, K1=1.2)) as listed:
        want = {hit["id"]: hit.score for hit in plain.search(query)}
        got = {hit["id"]: hit.score for hit in listed.search(query)}
    assert len(want) == len(BODIES)
    assert got == pytest.approx(want)
