"""Searches with operators, sorted by date, and filters alone: latency in process.

The public query sets are plain words, headlines and long phrases; readers also quote a
name, search in titles, sort by date and list a category. These searches are common
words and names of Vietnamese news (none taken from the query sets), each answered with
the web page's work (snippets, facets), warm: the minimum of ``--runs`` after one
unmeasured answer. A category filter alone uses the first category the index holds.

    .venv/bin/python bench/operators.py --index INDEX [--runs 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # `python bench/operators.py`: see bench/__init__.py
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from indexer.search import ArchiveSearcher, SearchParams

from bench import common

SEARCHES = [
    ("short phrase", {"q": '"Việt Nam"'}),
    ("short phrase and words", {"q": '"Hà Nội" giá đất'}),
    ("long phrase", {"q": '"các cơ quan nhà nước"'}),
    ("title: words", {"q": "title:Hà Nội"}),
    ("title: phrase", {"q": 'title:"Việt Nam"'}),
    ("title: phrase, no marks", {"q": 'title:"viet nam"'}),
    ("words, newest first", {"q": "bóng đá", "sort": "newest"}),
    ("words, oldest first", {"q": "kinh te", "sort": "oldest"}),
    ("phrase, newest first", {"q": '"Việt Nam" bóng đá', "sort": "newest"}),
    ("exclusion", {"q": 'bóng đá -"Việt Nam"'}),
    ("OR", {"q": "Hà Nội OR Huế"}),
    ("category alone", {"category": None}),
]


def measure(index_root: Path, runs: int) -> list[list[object]]:
    searcher = ArchiveSearcher(index_root)
    try:
        with searcher.live.use() as whoosh_searcher:
            category = next(iter(whoosh_searcher.reader().field_terms("category")), None)
        rows = []
        for label, given in SEARCHES:
            params = SearchParams(**{k: (category if v is None else v)
                                     for k, v in given.items()})
            results = searcher.search(params)
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                results = searcher.search(params)
                times.append((time.perf_counter() - started) * 1000)
            shown = params.q or f"category={params.category}"
            rows.append([label, f"`{shown}`" + (f" ({params.sort})" if params.sort != "relevance"
                                                  else ""),
                         results.total, min(times), common.median(times)])
        return rows
    finally:
        searcher.close()


def main(argv: list[str] | None = None) -> common.Result:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    if not (args.index / "current").is_symlink():
        return common.skipped(f"no index at {args.index}")
    rows = measure(args.index, args.runs)
    body = common.table(["search", "query", "matches", "min ms", "median ms"], rows)
    return common.report("Operators, date order and filters", body, [
        f"{args.index}: each search answered once unmeasured, then {args.runs} times; page "
        "work (snippets, facets)."])


if __name__ == "__main__":
    main()
