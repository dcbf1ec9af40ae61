"""Warm start: how soon a restarted server answers, its first queries against later ones,
and what a serving worker holds in memory.

- passes: each of ``--runs`` fresh processes opens the index, warms as a server worker
  does (``indexer.warmup``; ``--no-warm`` skips it), then answers every public query
  (``queries.jsonl`` and ``hard-queries.jsonl`` together) twice with the web page's work,
  timing each query's wall and CPU time (``time.thread_time``). Percentiles per pass,
  median over processes.
- serve: starts ``vnsearch serve`` (2 workers) and times start to the first /healthz 200,
  sends every query once over HTTP, then reads each worker's memory from
  ``/proc/<pid>/smaps_rollup``: resident, and of that what is shared file pages (the
  index and its sidecars in the page cache) and what is the worker's own.

    .venv/bin/python bench/warmstart.py --index PATH [--index PATH …] [--runs 3]
                                        [--no-warm] [--no-serve]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

if __package__ in (None, ""):  # `python bench/warmstart.py`: see bench/__init__.py
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from bench import common

HARD_QUERIES = common.SHARED / "eval" / "hard-queries.jsonl"
HEALTH_TIMEOUT_S = 120


def _queries() -> list[str]:
    queries = []
    for path in (common.EVAL_QUERIES, HARD_QUERIES):
        with open(path, encoding="utf-8") as fh:
            queries += [json.loads(line)["query"] for line in fh if line.strip()]
    return queries


def _child(index_root: Path, warm_first: bool) -> None:
    """One fresh process: open, warm, two passes; prints the timings as JSON."""
    from indexer.search import ArchiveSearcher, SearchParams
    from indexer.warmup import warm

    started = time.perf_counter()
    searcher = ArchiveSearcher(index_root)
    if warm_first:
        warm(searcher)
    warmed = time.perf_counter() - started
    passes = []
    for _ in range(2):
        samples = []
        for query in _queries():
            wall, cpu = time.perf_counter(), time.thread_time()
            searcher.search(SearchParams(q=query), facets=True)
            samples.append(((time.perf_counter() - wall) * 1000,
                            (time.thread_time() - cpu) * 1000))
        passes.append(samples)
    print(json.dumps({"warm_s": warmed, "passes": passes}))


def passes(index_root: Path, runs: int, warm_first: bool) -> dict:
    """Medians over ``runs`` fresh processes of each pass's wall and CPU percentiles."""
    results = []
    for run in range(runs):
        print(f"  {index_root}: process {run + 1}/{runs} …", flush=True)
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(index_root)]
            + ([] if warm_first else ["--no-warm"]),
            check=True, capture_output=True, text=True, cwd=common.REPO).stdout
        results.append(json.loads(out.splitlines()[-1]))
    summary = {"warm_s": common.median(r["warm_s"] for r in results)}
    for number, name in enumerate(("first", "second")):
        for column, what in enumerate(("wall", "cpu")):
            summary[f"{name} {what}"] = common.median_of_summaries(
                [common.latency_summary([s[column] for s in r["passes"][number]])
                 for r in results])
    return summary


def serve(index_root: Path) -> dict:
    """Start to /healthz 200, then memory of each worker after one HTTP pass."""
    port = common.free_port()
    log = common.OUT / "logs" / "warmstart-serve.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with open(log, "wb") as out:
        proc = subprocess.Popen([common.vnsearch_command(), "serve", "--index", str(index_root),
                                 "--port", str(port), "--workers", "2"],
                                stdout=out, stderr=subprocess.STDOUT, cwd=common.REPO)
    try:
        healthy = _until_healthy(port, started)
        for query in _queries():
            _get(port, "/api/search?q=" + urllib.parse.quote(query))
        workers = [pid for pid in common.process_tree(proc.pid) if pid != proc.pid]
        memory = {pid: common.memory(pid) for pid in workers}
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return {"healthz_s": healthy, "workers": memory,
            "tree_rss_mb": sum(m["rss"] for m in memory.values())}


def _until_healthy(port: int, started: float) -> float:
    while time.perf_counter() - started < HEALTH_TIMEOUT_S:
        try:
            if _get(port, "/healthz") == 200:
                return time.perf_counter() - started
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"no /healthz within {HEALTH_TIMEOUT_S} s")


def _get(port: int, path: str) -> int:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def _sizes(index_root: Path) -> dict[str, float]:
    live = common.live_generation(index_root)
    sidecars = sum(p.stat().st_size for p in live.glob("*.vnp"))
    return {"index MB": common.dir_size(live) / common.MB, "sidecars MB": sidecars / common.MB}


def _rows(label: str, result: dict) -> list[list[object]]:
    rows = []
    for name in ("first", "second"):
        wall, cpu = result[f"{name} wall"], result[f"{name} cpu"]
        rows.append([label, name, wall["p50"], wall["p95"], wall["max"], cpu["p50"],
                     cpu["p95"]])
    return rows


def main(argv: list[str] | None = None) -> common.Result:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, action="append", default=[])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-warm", action="store_true")
    parser.add_argument("--no-serve", action="store_true")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child, not args.no_warm)
        return {}
    if not args.index:
        parser.error("give at least one --index")
    rows, notes, data = [], [], {}
    for index_root in args.index:
        result = passes(index_root, args.runs, not args.no_warm)
        result.update(_sizes(index_root))
        if not args.no_serve:
            result["serve"] = serve(index_root)
        data[str(index_root)] = result
        rows += _rows(index_root.name, result)
        notes.append(f"{index_root.name}: index {result['index MB']:,.0f} MB of which "
                     f"sidecars {result['sidecars MB']:,.0f} MB; warm-up "
                     f"{result['warm_s']:.2f} s in process")
        if "serve" in result:
            served = result["serve"]
            notes.append(f"{index_root.name}: `vnsearch serve` /healthz 200 after "
                         f"{served['healthz_s']:.2f} s; workers after one HTTP pass: "
                         + "; ".join(f"RSS {m['rss']:.0f} MB (shared file pages "
                                     f"{m['shared file']:.0f}, own {m['own']:.0f}, PSS "
                                     f"{m['pss']:.0f})" for m in served["workers"].values()))
    body = common.table(["index", "pass", "wall p50 ms", "wall p95 ms", "wall max ms",
                         "CPU p50 ms", "CPU p95 ms"], rows)
    return common.report("Warm start", body, notes + [
        f"{len(_queries())} queries (public clean and hard sets together), page work, "
        f"{'after the worker warm-up' if not args.no_warm else 'no warm-up'}; "
        f"{args.runs} fresh processes, percentiles per pass, median over processes."], data)


if __name__ == "__main__":
    main()
