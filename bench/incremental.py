"""Incremental updates: `vnsearch index` after nothing, 1% changed, 1% added, 1% deleted.

Every run starts from a fresh copy of the built archive and index (under
bench/out/incremental/), so the runs do not depend on each other and the originals stay
as build.py left them. The archive copy is made of hard links, which is quick and keeps
sizes and mtimes exactly (so "nothing changed" really is nothing); files are therefore
only ever replaced, never written in place. The index is copied for real, because a
commit may rewrite its files.

    .venv/bin/python bench/incremental.py [--sizes 50000] [--runs 3] [--quick]
"""

from __future__ import annotations

import os
import random
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):  # `python bench/incremental.py`: see bench/__init__.py
    sys.path[0] = str(Path(__file__).resolve().parents[1])

import yaml

from bench import common
from bench.common import Result

DESCRIPTION = "Incremental `vnsearch index` after small changes to a built archive."
SHARE = 0.01
ADDED_SENTENCE = "Câu này được thêm vào để đo thời gian cập nhật chỉ mục.\n"
WORK = common.OUT / "incremental"


def fresh_copy(source_archive: Path, source_index: Path) -> tuple[Path, Path]:
    """(archive, index root): new copies of the built ones, ready to be changed."""
    shutil.rmtree(WORK, ignore_errors=True)
    archive, index = WORK / "archive", WORK / "index"
    shutil.copytree(source_archive, archive, copy_function=os.link)
    live = common.live_generation(source_index)
    index.mkdir(parents=True)
    shutil.copytree(live, index / live.name)
    os.symlink(live.name, index / "current")
    return archive, index


def _sample(archive: Path, name: str) -> list[Path]:
    """The same 1% of the files for every run of a scenario (a seeded choice)."""
    files = sorted(archive.rglob("*.txt"))
    count = max(1, round(len(files) * SHARE))
    return random.Random(name).sample(files, count)


def _replace(path: Path, data: bytes) -> None:
    """Write a new file over ``path``: the old one may be a hard link to the original."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def nothing(archive: Path) -> None:
    """No change at all: the cost of diffing the archive against the index."""


def change(archive: Path) -> None:
    """Append a sentence to the body of 1% of the files."""
    for path in _sample(archive, "change"):
        _replace(path, path.read_bytes() + ADDED_SENTENCE.encode("utf-8"))


def add(archive: Path) -> None:
    """Copy 1% of the files under new names, each with a changed title."""
    for path in _sample(archive, "add"):
        text = path.read_text(encoding="utf-8")
        lines = text.split("\n")
        at = next(i for i, line in enumerate(lines) if line.startswith("title:"))
        title = yaml.safe_load(lines[at])["title"]
        lines[at] = yaml.safe_dump({"title": f"{title} (bản sao)"}, allow_unicode=True,
                                   width=10_000).rstrip("\n")
        path.with_name(f"{path.stem}-copy.txt").write_text("\n".join(lines), encoding="utf-8")


def delete(archive: Path) -> None:
    """Delete 1% of the files."""
    for path in _sample(archive, "delete"):
        path.unlink()


SCENARIOS: dict[str, Callable[[Path], None]] = {
    "nothing changed": nothing,
    "1% changed": change,
    "1% added": add,
    "1% deleted": delete,
}


def measure(size: int, runs: int) -> list[dict]:
    """Every scenario on the archive of the first ``size`` corpus articles."""
    common.ensure_our_index(size)
    return measure_built(common.archive_dir(size), common.our_index(size), size, runs,
                         tuple(SCENARIOS))


def measure_built(source_archive: Path, source_index: Path, size: int, runs: int,
                  scenarios: tuple[str, ...]) -> list[dict]:
    """The given scenarios on copies of a built archive and index; ``size`` labels the rows
    and the logs. Other benchmarks (scale.py) call this on archives they made themselves."""
    rows = []
    for name in scenarios:
        mutate = SCENARIOS[name]
        walls, counts = [], {}
        for run in range(runs):
            print(f"  n={size:,} {name}, run {run + 1}/{runs} …", flush=True)
            archive, index = fresh_copy(source_archive, source_index)
            mutate(archive)
            measured = common.run_measured(
                [common.vnsearch_command(), "index", "--archive", archive, "--index", index],
                common.OUT / "logs" / f"incremental-n{size}-{name.replace(' ', '-')}.log",
                ok=(0, 1))
            walls.append(measured.wall_s)
            counts = common.index_counts(measured.log)
        rows.append({"scenario": name, "size": size, "wall_s": common.median(walls),
                     "all_wall_s": walls, "counts": counts})
    shutil.rmtree(WORK, ignore_errors=True)
    return rows


def main(argv: list[str] | None = None) -> Result:
    args = common.parse_options(DESCRIPTION, argv, sizes="50000", runs=3,
                                quick_sizes="1000", quick_runs=1)
    if reason := common.corpus_missing():
        return common.skipped(reason)
    rows = [row for size in common.resolve_sizes(args.sizes) for row in measure(size, args.runs)]
    kinds = ("added", "updated", "deleted", "renamed", "unchanged")
    body = common.table(
        ["articles", "scenario", "wall s", "min s", "max s", *kinds],
        [[r["size"], r["scenario"], r["wall_s"], min(r["all_wall_s"]), max(r["all_wall_s"]),
          *(r["counts"].get(k, 0) for k in kinds)] for r in rows])
    notes = [
        f"Median of {args.runs} run(s); each run on a fresh copy of the archive and index "
        "that build.py left. Wall time of the `vnsearch index` process, start-up included.",
        "The counts are what `vnsearch index` reported (last run): they show the change was "
        "seen as intended.",
    ]
    return common.report("Incremental update", body, notes, rows)


if __name__ == "__main__":
    main()
