"""Run every benchmark in order and write bench/RESULTS.md.

build.py comes first because it leaves the indexes the others use: incremental.py works
on the 50,000-article one (or the largest built, if 50,000 is not among --sizes), and
queries.py, http.py, warmstart.py (fresh servers' first queries against later ones)
and operators.py (phrases, `title:`, date order, filters) on the largest; ceiling.py
times a build's stages alone on the smallest (at most CEILING_SIZE). A benchmark that is skipped or fails is noted in the results and the
others still run.

    .venv/bin/python bench/run_all.py [--sizes 5000,20000,50000,all] [--runs N] [--quick]
                                      [--output bench/RESULTS.md]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

if __package__ in (None, ""):  # `python bench/run_all.py`: see bench/__init__.py
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from bench import build, ceiling, common, http, incremental, operators, queries, warmstart
from bench.common import Result

INCREMENTAL_SIZE = 50_000
WARMSTART_RUNS = 3
"""Fresh server processes whose first and second passes over the queries are timed."""
CEILING_SIZE = 5_000
"""The build stages alone are timed on this many articles at most: their rates per article
are what counts, and the stages together take about two minutes per run at this size."""

HOW_TO_READ = """\
Every number is a median over several runs (the count is under each table); nothing here is
pass/fail. Absolute times on shared machines drift by 30–50% from one run to the next, so
compare numbers measured side by side in the same run — the ratios to the reference
(plain Whoosh with StandardAnalyzer over the same articles) — rather than absolute times
across days or machines. Build times are wall times of a whole `vnsearch index` process,
start-up included; documents/s is articles indexed divided by that time. Memory is resident
memory (RSS) summed over a process tree, which counts pages shared by forked workers once
per process, so it overstates real use somewhat. Query latencies are measured in process
(no HTTP); `page` is the work behind one web page (snippets, facets, suggestion), `lean`
only ranks the top 10. HTTP numbers include the client, which runs on the same machine."""


def _options(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", help="build sizes [default: 5000,20000,50000,all; "
                        "with --quick: 1000]")
    parser.add_argument("--runs", type=int, help="repetitions for every benchmark "
                        "[default: each script's own]")
    parser.add_argument("--quick", action="store_true", help="small and short, to try it out")
    parser.add_argument("--output", type=Path, default=common.REPO / "bench" / "RESULTS.md")
    return parser.parse_args(argv)


def _argv(args: argparse.Namespace, sizes: str) -> list[str]:
    argv = ["--sizes", sizes]
    if args.runs:
        argv += ["--runs", str(args.runs)]
    if args.quick:
        argv.append("--quick")
    return argv


def run(args: argparse.Namespace) -> list[tuple[str, Result]]:
    build_sizes = common.resolve_sizes(args.sizes or ("1000" if args.quick
                                                      else "5000,20000,50000,all"))
    largest = str(max(build_sizes))
    updated = str(INCREMENTAL_SIZE if INCREMENTAL_SIZE in build_sizes else max(build_sizes))
    steps = [
        ("build.py", build.main, _argv(args, ",".join(map(str, build_sizes)))),
        ("ceiling.py", ceiling.main, _argv(args, str(min(CEILING_SIZE, *build_sizes)))),
        ("incremental.py", incremental.main, _argv(args, updated)),
        ("queries.py", queries.main, _argv(args, largest)),
        ("http.py", http.main, _argv(args, largest)),
        ("warmstart.py", warmstart.main,
         ["--index", str(common.our_index(max(build_sizes)))]
         + ["--runs", str(args.runs or (1 if args.quick else WARMSTART_RUNS))]),
        ("operators.py", operators.main, ["--index", str(common.our_index(max(build_sizes)))]),
    ]
    results = []
    for name, main, argv in steps:
        print(f"\n=== {name} {' '.join(argv)} ===", flush=True)
        try:
            results.append((name, main(argv)))
        except Exception as err:  # one broken benchmark must not lose the others' numbers
            results.append((name, common.failed(f"{type(err).__name__}: {err}")))
    return results


def render(results: list[tuple[str, Result]], args: argparse.Namespace) -> str:
    info = common.machine()
    lines = [
        "# vnsearch benchmarks",
        "",
        f"Written by `bench/run_all.py` on {info['date']}"
        + (" with `--quick`" if args.quick else "") + ".",
        "",
        common.table(["", "value"], [
            ["machine", f"{info['cpus']} CPUs (nproc), {info['cpu_model']}, {info['ram']} RAM"],
            ["commit", info["commit"]],
            ["versions", f"Python {info['python']}, whoosh {info['whoosh']}, "
                         f"pyvi {info['pyvi']}"],
        ]),
        "",
        "## How to read this",
        "",
        HOW_TO_READ,
    ]
    for name, result in results:
        lines += ["", f"## {result.get('title', name)}", ""]
        if "skipped" in result or "error" in result:
            state = "skipped" if "skipped" in result else "failed"
            reason = result.get("skipped") or result["error"]
            lines.append(f"`{name}` {state}:\n\n```\n{reason}\n```")
            continue
        lines += [result["table"], ""] + [f"- {note}" for note in result["notes"]]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    args = _options(argv)
    if reason := common.corpus_missing():
        common.skipped(reason)
        return
    results = run(args)
    args.output.write_text(render(results, args), encoding="utf-8")
    print(f"\nwrote {args.output}")


if __name__ == "__main__":
    main()
