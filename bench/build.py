"""Full builds: `vnsearch index --full` against a plain-Whoosh reference, side by side.

For each size, an archive of the first N corpus articles is imported once (``vnsearch
import``) and reused. Each run builds it with ours and with the reference, alternating
which goes first, so both share the machine's noise (times drift 30-50% between runs on
shared machines; only side-by-side ratios are comparable across days). Both builds run as
fresh processes, timed from outside, so start-up and imports count for both.

The last index of each size stays in bench/out/indexes/ for queries.py, http.py and
incremental.py.

Sizes of LARGE_SIZE and more are built once unless ``--runs`` is given: a build of 79,147
articles takes 9-12 minutes per engine on the reference machine, so three runs of every
size would make ``make bench`` take about 2½ hours.

    .venv/bin/python bench/build.py [--sizes 5000,20000,50000,all] [--runs 3] [--quick]
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # `python bench/build.py`: see bench/__init__.py
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from whoosh import index as whoosh_index

from bench import common
from bench.common import MB, Measured, Result

DESCRIPTION = "Full build time, memory and size: ours against plain Whoosh."
LARGE_SIZE = 50_000


def build_ours(archive: Path, root: Path, log: Path,
               jobs: int | None = None) -> tuple[Measured, int, int]:
    """(measurement, documents, bytes on disk) of one `vnsearch index --full` into ``root``.

    ``jobs`` is passed as ``--jobs`` (default: every CPU), so that a benchmark can leave a
    core to other work and say so."""
    cmd = [common.vnsearch_command(), "index", "--full", "--archive", archive, "--index", root]
    if jobs is not None:
        cmd += ["--jobs", str(jobs)]
    # Exit status 1: some files were rejected and the rest indexed, still a full build.
    measured = common.run_measured(cmd, log, ok=(0, 1))
    live = common.live_generation(root)
    return measured, whoosh_index.open_dir(str(live)).doc_count(), common.dir_size(live)


def build_reference(archive: Path, target: Path, log: Path) -> tuple[Measured, int, int]:
    """(measurement, documents, bytes on disk) of one reference build in a fresh process."""
    measured = common.run_measured(
        [sys.executable, "-m", "bench.reference", archive, target], log)
    return measured, whoosh_index.open_dir(str(target)).doc_count(), common.dir_size(target)


def measure_size(size: int, runs: int) -> dict:
    archive = common.prepare_archive(size)
    samples: dict[str, list[tuple[Measured, int, int]]] = {"ours": [], "reference": []}
    builders = {"ours": (build_ours, common.our_index(size)),
                "reference": (build_reference, common.reference_index(size))}
    for run in range(runs):
        order = ["ours", "reference"] if run % 2 == 0 else ["reference", "ours"]
        for name in order:
            print(f"  n={size:,} run {run + 1}/{runs}: {name} …", flush=True)
            builder, target = builders[name]
            log = common.OUT / "logs" / f"build-{name}-n{size}-run{run}.log"
            samples[name].append(builder(archive, target, log))
    return {"size": size, **{name: summary(s) for name, s in samples.items()}}


def summary(samples: list[tuple[Measured, int, int]]) -> dict:
    """Medians over runs of one engine's builds of one archive."""
    wall = common.median(m.wall_s for m, _, _ in samples)
    documents = samples[-1][1]
    return {
        "wall_s": wall,
        "docs_per_s": documents / wall,
        "documents": documents,
        "peak_tree_mb": common.median(m.peak_tree_rss for m, _, _ in samples) / MB,
        "max_process_mb": common.median(m.max_process_rss for m, _, _ in samples) / MB,
        "index_mb": samples[-1][2] / MB,
        "all_wall_s": [m.wall_s for m, _, _ in samples],
    }


def _runs(size: int, args) -> int:
    return args.runs if args.runs_given or size < LARGE_SIZE else 1


def main(argv: list[str] | None = None) -> Result:
    args = common.parse_options(DESCRIPTION, argv, sizes="5000,20000,50000,all", runs=3,
                                quick_sizes="1000", quick_runs=1)
    if reason := common.corpus_missing():
        return common.skipped(reason)
    rows = [measure_size(size, _runs(size, args)) for size in common.resolve_sizes(args.sizes)]
    body = common.table(
        ["articles", "ours s", "ref s", "time ours/ref", "ours docs/s", "ref docs/s",
         "ours peak MB", "ours largest proc MB", "ref peak MB", "ours index MB",
         "ref index MB", "size ours/ref"],
        [[r["size"], r["ours"]["wall_s"], r["reference"]["wall_s"],
          r["ours"]["wall_s"] / r["reference"]["wall_s"], r["ours"]["docs_per_s"],
          r["reference"]["docs_per_s"], r["ours"]["peak_tree_mb"],
          r["ours"]["max_process_mb"], r["reference"]["peak_tree_mb"],
          r["ours"]["index_mb"], r["reference"]["index_mb"],
          r["ours"]["index_mb"] / r["reference"]["index_mb"]] for r in rows])
    runs = ", ".join(f"{r['size']:,}: {len(r['ours']['all_wall_s'])}" for r in rows)
    notes = [
        f"Median of the runs per size ({runs}); ours and the reference alternate which goes "
        "first. Times are process wall time, start-up and imports included.",
        "Reference: Whoosh StandardAnalyzer on title + body, one single-process writer "
        "(limitmb=256), same reader (indexer.articles). Ours: `vnsearch index --full` with "
        "default --jobs (every CPU).",
        "Peak MB: sampled (every 0.2 s) sum of RSS over the process tree; pages shared by "
        "forked workers count once per process. Largest proc MB: exact peak RSS of the "
        "single biggest process (wait4).",
        "Index MB: files of the live generation (ours) or index folder (reference).",
    ]
    return common.report("Full build", body, notes, rows)


if __name__ == "__main__":
    main()
