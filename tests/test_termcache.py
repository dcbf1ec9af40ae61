"""Remembered term lookups (``whoosh_internals.apply_patches``) answer exactly as the term
dictionary does."""

from __future__ import annotations

import pytest
from whoosh.reading import TermNotFound

from helpers import write_article
from indexer import whoosh_internals
from indexer.build import build
from indexer.location import open_current


@pytest.fixture(scope="module")
def reader(tmp_path_factory):
    whoosh_internals.apply_patches()
    root = tmp_path_factory.mktemp("terms")
    write_article(root / "archive", "a.txt", "Giá vàng tăng", "Giá vàng hôm nay tăng mạnh, giá vàng miếng lên đỉnh.")
    write_article(root / "archive", "b.txt", "Mưa lớn", "Mưa lớn ở miền Trung, nông dân lo lắng.")
    build(root / "archive", root / "index", jobs=1)
    ix = open_current(root / "index")
    with ix.reader() as r:
        yield r
    ix.close()


def stored_terms(reader):
    """Every term with its statistics, read by iterating the dictionary (not by lookup)."""
    return [(field, text, info.doc_frequency(), info.weight())
            for field in ("syl", "fold", "pair", "word")
            for text, info in reader.iter_field(field)]


def test_lookups_equal_the_dictionary_twice_over(reader):
    terms = stored_terms(reader)
    assert len(terms) > 30
    for _ in range(2):  # the second pass answers from what the first remembered
        for field, text, df, weight in terms:
            assert (field, text) in reader
            assert reader.doc_frequency(field, text) == df
            assert reader.frequency(field, text) == pytest.approx(weight)
            assert reader.term_info(field, text).doc_frequency() == df


def test_absent_terms_stay_absent(reader):
    for _ in range(2):
        assert ("fold", b"khongco") not in reader
        assert reader.doc_frequency("fold", b"khongco") == 0
        assert reader.frequency("fold", b"khongco") == 0
        with pytest.raises(TermNotFound):
            reader.term_info("fold", b"khongco")


def test_a_full_cache_starts_over_and_stays_right(reader, monkeypatch):
    monkeypatch.setattr(whoosh_internals, "MAX_TERMS", 3)
    for segment, _ in reader.leaf_readers():
        segment._terms.__dict__.pop("_vnsearch_terms", None)
    for field, text, df, _ in stored_terms(reader):
        assert reader.doc_frequency(field, text) == df
    for segment, _ in reader.leaf_readers():
        assert len(segment._terms.__dict__["_vnsearch_terms"]) <= 3
