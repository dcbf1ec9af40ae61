"""The scale benchmark's synthetic archive (``bench/scale.py``), made from one corpus shard.

Fifty articles from the first core shard: the recipe must be deterministic, write files
`vnsearch check` accepts, make bodies of real paragraphs from several articles, and keep
one right answer for every adapted query. Skipped without the shared corpus.
"""

from __future__ import annotations

import gzip
import json
import re
from collections import defaultdict
from pathlib import Path

import pytest
from click.testing import CliRunner

from bench import scale
from conftest import CORPUS, SHARED, needs_corpus
from indexer.articles import clean_text, read_article, scan_archive
from indexer.cli import main

SIZE = 50
SEED = 7
SHARD = CORPUS / "vntc-core-000.jsonl.gz"
QUERY_FILES = {"clean": SHARED / "eval" / "queries.jsonl",
               "hard": SHARED / "eval" / "hard-queries.jsonl"}

pytestmark = [
    needs_corpus,
    pytest.mark.skipif(not all(p.is_file() for p in QUERY_FILES.values()),
                       reason=f"the public eval queries are not available in {SHARED / 'eval'}"),
]


def _make(folder: Path, seed: int = SEED) -> scale.Synthetic:
    return scale.generate(folder, SIZE, seed, [SHARD], QUERY_FILES)


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> scale.Synthetic:
    return _make(tmp_path_factory.mktemp("scale") / "first")


@pytest.fixture(scope="module")
def shard() -> list[dict]:
    with gzip.open(SHARD, "rt", encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


@pytest.fixture(scope="module")
def articles(made) -> dict[str, object]:
    """By file stem, the id the adapted queries use."""
    return {Path(f.id).stem: read_article(made.archive, f)
            for f in scan_archive(made.archive).files}


def _files(archive: Path) -> dict[str, bytes]:
    """Each file's bytes by its stem (the category folder depends on the seed)."""
    return {p.stem: p.read_bytes() for p in sorted(archive.rglob("*.txt"))}


@pytest.fixture(scope="module")
def bodies(made) -> dict[str, str]:
    """Each file's body as written, by stem: the reader drops boilerplate paragraphs
    (related-article links), the recipe must not have made any."""
    return {stem: data.decode("utf-8").split("---\n", 2)[2].removesuffix("\n")
            for stem, data in _files(made.archive).items()}


def _queries(made: scale.Synthetic) -> list[dict]:
    return [json.loads(line) for path in made.query_files.values()
            for line in path.read_text(encoding="utf-8").splitlines()]


def test_same_seed_same_archive_other_seed_other_articles(made, tmp_path):
    again = _make(tmp_path / "again")
    assert _files(again.archive) == _files(made.archive)
    assert [p.read_text("utf-8") for p in again.query_files.values()] == \
        [p.read_text("utf-8") for p in made.query_files.values()]
    other = _files(_make(tmp_path / "other", SEED + 1).archive)
    known = made.manifest["known"]
    differing = [name for name, data in _files(made.archive).items() if other[name] != data]
    assert len(differing) == SIZE - known  # known items are the same whatever the seed


def test_made_once_then_found_by_its_manifest(made):
    stamp = {p: p.stat().st_mtime_ns for p in made.archive.rglob("*.txt")}
    found = _make(made.folder)
    assert found.manifest == made.manifest
    assert {p: p.stat().st_mtime_ns for p in made.archive.rglob("*.txt")} == stamp


def test_every_file_passes_vnsearch_check(made, articles, shard):
    result = CliRunner().invoke(main, ["check", "--archive", str(made.archive)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert f"{SIZE} articles are fine" in result.output
    assert re.search(r"^  rejected\s+0$", result.output, re.M)
    assert re.search(r"^  duplicates\s+0$", result.output, re.M)
    assert len(articles) == SIZE
    assert {a.publisher for a in articles.values()} <= {r["source"] for r in shard}
    for article in articles.values():
        assert article.category and article.publisher


def test_new_articles_are_real_paragraphs_of_several_articles(made, articles, bodies, shard):
    known = {q["relevant"][0] for q in _queries(made)}
    targets = {r for line in _query_lines() for r in json.loads(line)["relevant"]}
    donors: dict[str, set[tuple[str, str]]] = defaultdict(set)
    titles = defaultdict(set)
    for record in shard:
        if record["id"] in targets:
            continue  # the queries' articles lend nothing
        titles[(record["category"], record["source"])].add(clean_text(record["title"]))
        for paragraph in record["body"].split("\n\n"):
            donors[clean_text(paragraph)].add((record["id"], record["category"]))
    several = 0
    for article_id, article in articles.items():
        if article_id in known:
            continue
        assert article.title in titles[(article.category, article.publisher)]
        paragraphs = bodies[article_id].split("\n\n")
        sources = [donors[p] for p in paragraphs]
        assert all(sources), f"{article_id} has a paragraph no article of the shard has"
        assert all(any(category == article.category for _, category in s) for s in sources)
        if len(paragraphs) >= 2:
            several += len(set().union(*({i for i, _ in s} for s in sources))) >= 2
    assert several >= (SIZE - len(known)) * 0.8


def _query_lines() -> list[str]:
    return [line for path in QUERY_FILES.values()
            for line in path.read_text(encoding="utf-8").splitlines() if line]


def test_every_adapted_query_has_its_article_and_only_one(made, articles, bodies, shard):
    by_id = {r["id"]: r for r in shard}
    originals = {json.loads(line)["qid"]: json.loads(line) for line in _query_lines()}
    adapted = _queries(made)
    assert adapted, "the first shard holds some of the queries' articles"
    assert made.manifest["known"] == len({q["relevant"][0] for q in adapted})
    expected = [q for q in originals.values() if all(r in by_id for r in q["relevant"])]
    assert len(adapted) == len(expected)
    for query in adapted:
        original = originals[query["qid"]]
        assert query["query"] == original["query"] and query["kind"] == original["kind"]
        (new_id,) = query["relevant"]
        (old_id,) = original["relevant"]
        assert articles[new_id].title == clean_text(by_id[old_id]["title"])
        assert bodies[new_id] == clean_text(by_id[old_id]["body"])
        if query["kind"] == "phrase":
            phrase = query["query"].strip('"').lower()
            holders = [i for i, a in articles.items()
                       if phrase in f"{a.title}\n{bodies[i]}".lower()]
            assert holders == [new_id]
    known_titles = {articles[q["relevant"][0]].title for q in adapted}
    assert sum(a.title in known_titles for a in articles.values()) == len(known_titles)


def test_too_small_for_the_known_items_says_so(tmp_path):
    with pytest.raises(SystemExit, match="cannot hold"):
        scale.generate(tmp_path / "tiny", 1, SEED, [SHARD], QUERY_FILES)
