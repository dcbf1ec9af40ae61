"""How fast a build could go at best: its stages alone, without writing an index.

A full build reads and cleans each file, segments it with pyvi, makes every field's terms
and writes them. Timing the first stages alone, over the same articles and with the same
number of processes as a build, gives the ceiling no writer can beat: if pyvi by itself
does N articles/s on this machine, a build never does more than N.

- read: reading and cleaning every file (one process, like the build's main process);
- pyvi's own ``ViTokenizer.tokenize``, one process: the figure ``NOTES-whoosh-pyvi.md``
  and the performance targets were measured with (in characters/s), so this machine's
  speed can be compared with theirs;
- pyvi, all processes: our segmentation (pyvi's model, see ``analysis.segment``) alone,
  title and body, spread over the cores as a build spreads it;
- terms, all processes: every indexed field's terms, as the writer gets them from the
  schema (segmentation included), and nothing written.

The articles are read once, before the timed stages, and shared with forked workers.

    .venv/bin/python bench/ceiling.py [--sizes 5000] [--runs 3] [--quick]
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # `python bench/ceiling.py`: see bench/__init__.py
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from bench import common
from bench.common import Result
from indexer.analysis import load_segmenter, segment
from indexer.articles import read_article, scan_archive
from indexer.build import to_document
from indexer.schema import build_schema

DESCRIPTION = "Build stages alone (read, pyvi, terms): the ceiling of a full build."
CHUNK = 50
"""Articles per task, as the build's writer hands them to its sub-writers."""

_DOCUMENTS: list[dict] = []
"""The articles of the current size, set before workers fork so they inherit it."""


def _read(archive: Path) -> list[dict]:
    scan = scan_archive(archive)
    return [to_document(read_article(archive, file)) for file in scan.files]


def _tokenize_seconds() -> float:
    """CPU seconds of pyvi's own tokenizer over every article, model load left out (the
    reference figure was measured that way). Runs in a worker: the parent never loads pyvi,
    so every timed pool loads it afresh, as a build does."""
    tokenizer = load_segmenter()
    started = time.process_time()
    for doc in _DOCUMENTS:
        tokenizer.tokenize(doc["title"])
        tokenizer.tokenize(doc["body"])
    return time.process_time() - started


def _segment_chunk(start: int) -> int:
    for doc in _DOCUMENTS[start:start + CHUNK]:
        segment(doc["title"])
        segment(doc["body"])
    return min(CHUNK, len(_DOCUMENTS) - start)


def _terms_chunk(start: int) -> int:
    schema = build_schema()
    indexed = [(name, schema[name]) for name in schema.names() if schema[name].indexed]
    for doc in _DOCUMENTS[start:start + CHUNK]:
        for name, field in indexed:
            if name in doc:
                for _ in field.index(doc[name]):
                    pass
    return min(CHUNK, len(_DOCUMENTS) - start)


def _timed_pool(work, processes: int) -> float:
    """Wall seconds for fresh workers to do ``work`` over every article (model loads count,
    as they do in a build)."""
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        done = sum(pool.imap_unordered(work, range(0, len(_DOCUMENTS), CHUNK)))
    elapsed = time.perf_counter() - started
    assert done == len(_DOCUMENTS), (done, len(_DOCUMENTS))
    return elapsed


def measure_size(size: int, runs: int, processes: int) -> list[list[object]]:
    global _DOCUMENTS
    archive = common.prepare_archive(size)
    pooled = {
        f"pyvi (our segmentation), {processes} processes": (_segment_chunk, processes),
        f"terms of every field, {processes} processes": (_terms_chunk, processes),
    }
    calibration = "pyvi's ViTokenizer.tokenize, 1 process, CPU s"
    times: dict[str, list[float]] = {"read and clean, 1 process": []} | {s: [] for s in pooled}
    times[calibration] = []
    for run in range(runs):
        print(f"  n={size:,} run {run + 1}/{runs} …", flush=True)
        started = time.perf_counter()
        _DOCUMENTS = _read(archive)
        times["read and clean, 1 process"].append(time.perf_counter() - started)
        for stage, (work, procs) in pooled.items():
            times[stage].append(_timed_pool(work, procs))
        with multiprocessing.get_context("fork").Pool(1) as pool:
            times[calibration].append(pool.apply(_tokenize_seconds))
    count = len(_DOCUMENTS)
    chars = sum(len(doc["title"]) + len(doc["body"]) for doc in _DOCUMENTS)
    rows = []
    for stage, samples in times.items():
        wall = common.median(samples)
        rows.append([count, stage, wall, count / wall, chars / wall / 1000])
    return rows


def main(argv: list[str] | None = None) -> Result:
    args = common.parse_options(DESCRIPTION, argv, sizes="5000", runs=3,
                                quick_sizes="1000", quick_runs=1)
    if reason := common.corpus_missing():
        return common.skipped(reason)
    processes = os.cpu_count() or 1
    rows = [row for size in common.resolve_sizes(args.sizes)
            for row in measure_size(size, args.runs, processes)]
    body = common.table(["articles", "stage", "seconds", "articles/s", "k chars/s"], rows)
    notes = [
        f"Median of {args.runs} run(s). Each stage over the same articles, read once before "
        "the timed stages. Seconds are wall time, worker start-up and pyvi's model load "
        "included as in a build, except for pyvi's own tokenizer: CPU time after its model "
        "is loaded, as the reference figure was measured.",
        "A full build does all of these and writes the index; compare its articles/s (Full "
        "build) with these. The targets were set on a machine where ViTokenizer.tokenize did "
        "about 392k characters/s on one core (NOTES-whoosh-pyvi.md).",
    ]
    return common.report("Build stages alone (ceiling)", body, notes, rows)


if __name__ == "__main__":
    main()
