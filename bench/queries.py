"""Query latency in process over the public eval queries, and cold start of `vnsearch search`.

Three ways of answering each query, interleaved query by query so they share the noise:

- page: ``ArchiveSearcher.search(SearchParams(q=…), facets=True)`` with snippets and
  suggestions, the work behind one web page;
- lean: the same search with ``snippets=False, facets=False, suggest=False``;
- reference: plain Whoosh (StandardAnalyzer index from build.py), MultifieldParser over
  title and body with an AND group, top 10, stored fields read.

Percentiles are computed per run over all queries, then the median of each over runs is
shown. The first search of a new ArchiveSearcher (opening the index, loading the
vocabulary for suggestions) is reported apart, and excluded from the percentiles.

    .venv/bin/python bench/queries.py [--sizes all] [--index PATH] [--reference PATH]
                                      [--runs 3] [--quick]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):  # `python bench/queries.py`: see bench/__init__.py
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from indexer.search import ArchiveSearcher, SearchParams

from bench import common
from bench.common import Result
from bench.reference import ReferenceSearcher

DESCRIPTION = "Query latency (in process) and `vnsearch search` cold start."
COLD_RUNS = 5
COLD_KINDS = ("title", "title_nodiacritics")  # without diacritics, a suggestion is made too
QUICK_QUERIES = 50  # the kinds are interleaved in the file, so 10 of each
WARMUP_QUERIES = 20

Search = Callable[[str], int]
"""Answers one query; returns the number of hits on the page, to count empty answers."""


def _options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--index", type=Path, help="our index root [default: the one "
                        "build.py made for the size]")
    parser.add_argument("--reference", type=Path, help="reference index folder [default: "
                        "the one build.py made for the size]")


def engines(index_root: Path, reference: Path | None) -> tuple[dict[str, Search], dict]:
    """The ways to answer a query, and how long each took to answer its very first ones.

    A query typed without diacritics always asks for a suggestion, and the first one in a
    process builds the suggestion vocabulary from the whole term list: timed apart.
    """
    ours = ArchiveSearcher(index_root)
    found: dict[str, Search] = {
        "page": lambda q: len(ours.search(SearchParams(q=q), facets=True).hits),
        "lean": lambda q: len(ours.search(SearchParams(q=q), facets=False, snippets=False,
                                          suggest=False).hits),
    }
    first = {"ours: open + first page query": _ms(found["page"], "Việt Nam"),
             "ours: first query without diacritics": _ms(found["page"], "viet nam")}
    if reference is not None:
        started = time.perf_counter()
        theirs = ReferenceSearcher(reference)
        found["reference"] = lambda q: len(theirs.search(q))
        found["reference"]("Việt Nam")
        first["reference: open + first query"] = (time.perf_counter() - started) * 1000
    return found, first


def _ms(search: Search, query: str) -> float:
    started = time.perf_counter()
    search(query)
    return (time.perf_counter() - started) * 1000


def one_pass(search: dict[str, Search], queries: list[dict]) -> dict[str, list[tuple]]:
    """(kind, ms, hits) per query for every engine; the engine that goes first rotates."""
    names = list(search)
    samples: dict[str, list[tuple]] = {name: [] for name in names}
    for i, query in enumerate(queries):
        for name in names[i % len(names):] + names[:i % len(names)]:
            started = time.perf_counter()
            hits = search[name](query["query"])
            samples[name].append((query["kind"], (time.perf_counter() - started) * 1000, hits))
    return samples


FIRST_PASS = "all, first pass"
"""Every query's first answer in the process: ours keeps the decoded posting lists of
common words (``indexer/arraysearch.py``), so later passes show a server in steady state
and this row shows one meeting its queries' words for the first time."""


def summarize(passes: list[dict[str, list[tuple]]]) -> list[dict]:
    """One row per engine and kind (``all`` first): medians over passes of each statistic."""
    rows = []
    for name in passes[0]:
        kinds = ["all", FIRST_PASS] + sorted({kind for kind, _, _ in passes[0][name]})
        for kind in kinds:
            runs = passes[:1] if kind == FIRST_PASS else passes
            picked = [[s for s in p[name] if kind in ("all", FIRST_PASS, s[0])] for p in runs]
            stats = common.median_of_summaries(
                [common.latency_summary([ms for _, ms, _ in run]) for run in picked])
            empty = sum(1 for _, _, hits in picked[-1] if hits == 0)
            rows.append({"engine": name, "kind": kind, "queries": len(picked[0]),
                         "empty": empty, **stats})
    return rows


def cold_start(index_root: Path, query: str, runs: int) -> float:
    """Median wall time of `vnsearch search` as a new process: start-up to printed results."""
    walls = [
        common.run_measured([common.vnsearch_command(), "search", query, "--index", index_root],
                            common.OUT / "logs" / "cold-search.log").wall_s
        for _ in range(runs)
    ]
    return common.median(walls)


def measure(index_root: Path, reference: Path | None, queries: list[dict], runs: int,
            cold_runs: int) -> dict:
    """Cold starts (none when ``cold_runs`` is 0), then ``runs`` passes over ``queries``."""
    kinds = _first_of_kinds(queries, COLD_KINDS) if cold_runs else {}
    cold = {kind: (query["qid"], cold_start(index_root, query["query"], cold_runs))
            for kind, query in kinds.items()}
    search, first = engines(index_root, reference)
    one_pass(search, queries[:WARMUP_QUERIES])
    passes = []
    for run in range(runs):
        print(f"  {index_root.name}: pass {run + 1}/{runs} over {len(queries)} queries …",
              flush=True)
        passes.append(one_pass(search, queries))
    return {"index": str(index_root), "reference": str(reference) if reference else None,
            "cold_start_s": cold, "first_ms": first,
            "rows": summarize(passes)}


def _first_of_kinds(queries: list[dict], kinds: tuple[str, ...]) -> dict[str, dict]:
    return {kind: next(q for q in queries if q["kind"] == kind) for kind in kinds}


def _table(result: dict) -> str:
    return common.table(
        ["engine", "kind", "queries", "no hits", "p50 ms", "p95 ms", "p99 ms", "max ms"],
        [[r["engine"], r["kind"], r["queries"], r["empty"], r["p50"], r["p95"], r["p99"],
          r["max"]] for r in result["rows"]])


def _startup(result: dict, cold_runs: int) -> str:
    lines = [f"- cold start of `vnsearch search`, {kind} query {qid} (median of {cold_runs}): "
             f"**{seconds:.2f} s**" for kind, (qid, seconds) in result["cold_start_s"].items()]
    lines += [f"- {what}: {ms:,.0f} ms" for what, ms in result["first_ms"].items()]
    return "\n".join(lines)


def _targets(args: argparse.Namespace) -> list[tuple[str, Path, Path | None]]:
    """(label, our index, reference index or None) for each size, or the given paths."""
    if args.index:
        return [(str(args.index), args.index, args.reference)]
    targets = []
    for size in common.resolve_sizes(args.sizes):
        reference = args.reference or common.reference_index(size)
        targets.append((f"{size:,} articles", common.our_index(size),
                        reference if reference.is_dir() else None))
    return targets


def main(argv: list[str] | None = None) -> Result:
    args = common.parse_options(DESCRIPTION, argv, sizes="all", runs=3, quick_sizes="5000",
                                quick_runs=1, extra=_options)
    if reason := common.corpus_missing():
        return common.skipped(reason)
    queries = common.load_queries()[:QUICK_QUERIES if args.quick else None]
    cold_runs = 3 if args.quick else COLD_RUNS
    sections, results = [], []
    for label, index_root, reference in _targets(args):
        if not (index_root / "current").is_symlink():
            print(f"skipped {label}: no index at {index_root} (run bench/build.py first)")
            continue
        result = measure(index_root, reference, queries, args.runs, cold_runs)
        results.append(result)
        sections.append(f"**{label}**" + ("" if reference else " (no reference index found)")
                        + "\n\n" + _startup(result, cold_runs) + "\n\n" + _table(result))
    if not results:
        return common.skipped("no index to query (run bench/build.py first)")
    notes = [
        f"{len(queries)} public eval queries, {args.runs} pass(es) after a warm-up; "
        "percentiles per pass, median over passes.",
        "page = ArchiveSearcher.search(SearchParams(q)) with snippets, facets and "
        "suggestion (the web page's work); lean = top 10 without snippets, facets or "
        "suggestion; reference = plain Whoosh, MultifieldParser(title, body) with AND, "
        "top 10, fields read. Both of ours compute the exact total; without facets Whoosh "
        "gets it by running the query a second time, so lean is not always faster.",
        "Ours counts every match (exact total for the page) and falls back to folded and "
        "any-word matching when all-of finds nothing; the reference does neither, so its "
        "'no hits' column is part of the comparison.",
        "Cold start: wall time of a new `vnsearch search` process until it exits, page "
        "cache warm.",
    ]
    return common.report("Queries", "\n\n".join(sections), notes, results)


if __name__ == "__main__":
    main()
