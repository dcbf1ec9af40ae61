"""Helpers shared by the benchmark scripts: where things are, options, timing, memory, tables.

Everything a benchmark writes goes under ``bench/out/`` (git-ignored): archives imported
from the shared corpus, indexes, logs. Corpus text never goes into a tracked file, so the
tables name queries by ``qid`` and never quote them.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.metadata
import itertools
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "corpus"
EVAL_QUERIES = SHARED / "eval" / "queries.jsonl"
OUT = REPO / "bench" / "out"
MB = 1024 * 1024
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")

Result = dict
"""What every benchmark's ``main`` returns: ``title``, ``table`` (Markdown), ``notes`` and
``data`` (raw numbers), or just ``skipped`` / ``error`` with the reason."""


# --------------------------------------------------------------------------- locations


def corpus_missing() -> str | None:
    """Why the benchmarks cannot run here, or None when the shared corpus is present."""
    if not (CORPUS / "manifest.json").is_file():
        return f"the shared corpus is not available at {CORPUS}"
    return None


def skipped(reason: str) -> Result:
    print(f"skipped: {reason}")
    return {"skipped": reason}


def failed(message: str) -> Result:
    print(f"error: {message}")
    return {"error": message}


def corpus_total() -> int:
    """Articles in core + extra, from the manifest (79,147 for VNTC)."""
    manifest = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))
    return int(manifest["articles"]["total"])


def vnsearch_command() -> str:
    """The ``vnsearch`` console script next to this interpreter (the project's venv)."""
    beside = Path(sys.executable).with_name("vnsearch")
    if beside.is_file():
        return str(beside)
    found = shutil.which("vnsearch")
    if found is None:
        raise SystemExit("error: no `vnsearch` command next to this Python or on PATH")
    return found


def archive_dir(size: int) -> Path:
    return OUT / "archives" / f"n{size}"


def our_index(size: int) -> Path:
    return OUT / "indexes" / f"ours-n{size}"


def reference_index(size: int) -> Path:
    return OUT / "indexes" / f"reference-n{size}"


# --------------------------------------------------------------------------- options


def parse_options(
    description: str,
    argv: Sequence[str] | None,
    *,
    sizes: str,
    runs: int,
    quick_sizes: str,
    quick_runs: int,
    extra: Callable[[argparse.ArgumentParser], None] | None = None,
) -> argparse.Namespace:
    """The options every script shares; ``--quick`` changes only the defaults it is given.

    ``--sizes`` is a comma-separated list of article counts; ``all`` means core + extra.
    Sizes are resolved later (``resolve_sizes``) because ``all`` needs the corpus.
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--sizes", help=f"comma-separated article counts or 'all' "
                        f"[default: {sizes}; with --quick: {quick_sizes}]")
    parser.add_argument("--runs", type=int, help=f"repetitions; medians are reported "
                        f"[default: {runs}; with --quick: {quick_runs}]")
    parser.add_argument("--quick", action="store_true", help="small and short, to try it out")
    if extra:
        extra(parser)
    args = parser.parse_args(argv)
    args.runs_given = args.runs is not None
    args.sizes = args.sizes or (quick_sizes if args.quick else sizes)
    args.runs = max(1, args.runs or (quick_runs if args.quick else runs))
    return args


def resolve_sizes(spec: str) -> list[int]:
    total = corpus_total()
    sizes = [total if part.strip() == "all" else int(part) for part in spec.split(",")]
    for size in sizes:
        if not 1 <= size <= total:
            raise SystemExit(f"error: size {size} is outside 1..{total} (articles in the corpus)")
    return sizes


# --------------------------------------------------------------------------- statistics


def median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


def percentile(values: Sequence[float], p: float) -> float:
    """Linear interpolation between closest ranks (numpy's default), p in 0..100."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = (len(ordered) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def latency_summary(ms: Sequence[float]) -> dict[str, float]:
    return {"p50": percentile(ms, 50), "p95": percentile(ms, 95),
            "p99": percentile(ms, 99), "max": max(ms) if ms else float("nan")}


def median_of_summaries(summaries: Sequence[dict[str, float]]) -> dict[str, float]:
    """Each statistic's median over runs: one noisy run does not decide the number."""
    return {key: median(s[key] for s in summaries) for key in summaries[0]}


# --------------------------------------------------------------------------- processes


def process_tree(root: int) -> list[int]:
    """``root`` and all its descendants, found through the parent ids in /proc/*/stat."""
    parents: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields:
                parents[int(entry.name)] = int(fields[1])
    tree, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, ppid in parents.items() if ppid in frontier]
        tree += frontier
    return tree


def _stat_fields(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name (which may hold spaces)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # the process ended meanwhile
        return None
    return raw[raw.rfind(")") + 2:].split()


def tree_rss(root: int) -> int:
    """Sum of resident memory of a process tree, in bytes.

    Pages shared between forked workers count once per process, so this overstates what
    the tree really uses; it is what ``ps``/``top`` add up to, and it moves with real use.
    """
    total = 0
    for pid in process_tree(root):
        fields = _stat_fields(pid)
        if fields:
            total += int(fields[21]) * PAGE_SIZE  # field 24 of stat: rss in pages
    return total


def memory(pid: int) -> dict[str, float]:
    """A process's memory in MB from ``/proc/<pid>/smaps_rollup``: resident, proportional
    (each shared page divided among the processes mapping it), shared file pages (the
    index and its sidecars in the page cache) and its own."""
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value = line.split(":", 1)
        fields[name] = int(value.split()[0]) / 1024
    return {"rss": fields["Rss"], "pss": fields["Pss"],
            "shared file": fields.get("Shared_Clean", 0) + fields.get("Shared_Dirty", 0),
            "own": fields["Private_Clean"] + fields["Private_Dirty"]}


def tree_pss(root: int) -> float:
    """Proportional memory of a process tree in MB: what it really uses, pages shared
    between its workers (the mapped index) counted once in all."""
    total = 0.0
    for pid in process_tree(root):
        try:
            total += memory(pid)["pss"]
        except (OSError, KeyError):  # gone meanwhile, or no smaps_rollup
            continue
    return total


class RssSampler:
    """Samples a process tree's RSS in a thread: peaks of worker processes show up in the sum."""

    def __init__(self, pid: int, interval: float = 0.2):
        self.pid = pid
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> "RssSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss(self.pid))
            self._stop.wait(self.interval)


@dataclass(frozen=True)
class Measured:
    """One subprocess run: wall time, memory, exit status and where its output went."""

    wall_s: float
    peak_tree_rss: int  # sampled sum over the process tree, bytes
    max_process_rss: int  # exact peak of the largest single process (wait4), bytes
    returncode: int
    log: Path


def run_measured(cmd: Sequence[str], log: Path, ok: Iterable[int] = (0,)) -> Measured:
    """Run ``cmd`` to completion, timing it and watching its memory; output goes to ``log``.

    ``os.wait4`` gives this one child's rusage, whereas ``RUSAGE_CHILDREN`` only ever grows
    across all the runs of a script. Output goes to a file, not a pipe, so a chatty child
    cannot block while we wait.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(list(map(str, cmd)), stdout=out, stderr=subprocess.STDOUT,
                                cwd=REPO)
        with RssSampler(proc.pid) as sampler:
            _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in tuple(ok):
        raise RuntimeError(f"{' '.join(map(str, cmd))} exited with {proc.returncode}:\n"
                           f"{tail(log)}")
    return Measured(wall, sampler.peak, usage.ru_maxrss * 1024, proc.returncode, log)


def tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no output)"
    return "\n".join(text.splitlines()[-lines:])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def dir_size(path: Path) -> int:
    """Bytes of the regular files under ``path`` (symbolic links are not followed)."""
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def live_generation(index_root: Path) -> Path:
    """The generation folder ``current`` points at: the index a reader actually opens."""
    return index_root / os.readlink(index_root / "current")


# --------------------------------------------------------------------------- archives


def prepare_archive(size: int) -> Path:
    """An archive of the first ``size`` articles (core, then extra), made by `vnsearch import`.

    Made once per size and reused by every run and script; a marker written after a
    successful import tells a finished archive from one interrupted half-way.
    """
    target = archive_dir(size)
    marker = target.with_suffix(".ready")
    if marker.is_file():
        return target
    shutil.rmtree(target, ignore_errors=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    print(f"  importing the first {size:,} articles into {target.relative_to(REPO)} …",
          flush=True)
    with tempfile.TemporaryDirectory(dir=OUT) as tmp:
        records = Path(tmp) / "records.jsonl"
        _write_first_records(records, size)
        # Exit status 1 means some records were rejected: the rest is a usable archive.
        run = run_measured([vnsearch_command(), "import", records, "--into", target],
                           Path(tmp) / "import.log", ok=(0, 1))
        marker.write_text(f"imported in {run.wall_s:.1f} s\n{tail(run.log)}\n")
    return target


def _write_first_records(path: Path, size: int) -> None:
    """Copy the first ``size`` lines of the shards (core before extra) without parsing them."""
    shards = [*sorted(CORPUS.glob("vntc-core-*.jsonl.gz")),
              *sorted(CORPUS.glob("vntc-extra-*.jsonl.gz"))]
    with open(path, "wb") as out:
        lines = itertools.chain.from_iterable(gzip.open(s, "rb") for s in shards)
        out.writelines(itertools.islice(lines, size))


def ensure_our_index(size: int) -> Path:
    """The index of ``size`` articles that build.py leaves behind, built now if missing."""
    root = our_index(size)
    if not (root / "current").is_symlink():
        archive = prepare_archive(size)
        print(f"  building {root.relative_to(REPO)} (not timed) …", flush=True)
        run_measured([vnsearch_command(), "index", "--full", "--archive", archive,
                      "--index", root], OUT / "logs" / f"index-n{size}.log", ok=(0, 1))
    return root


def load_queries() -> list[dict]:
    with open(EVAL_QUERIES, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


_COUNT_LINE = re.compile(r"^\s+(added|updated|renamed|deleted|unchanged|rejected)\s+([\d,]+)",
                         re.MULTILINE)


def index_counts(log: Path) -> dict[str, int]:
    """The per-kind counts ``vnsearch index`` printed (added, updated, deleted, …)."""
    text = log.read_text(encoding="utf-8", errors="replace")
    return {kind: int(n.replace(",", "")) for kind, n in _COUNT_LINE.findall(text)}


# --------------------------------------------------------------------------- reporting


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A Markdown table; numbers are right-aligned."""
    rows = [[_cell(v) for v in row] for row in rows]
    align = ["---:" if rows and _numeric(rows[0][i]) else "---" for i in range(len(headers))]
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _cell(value: object) -> str:
    """Three significant figures or so: the noise between runs is larger than that."""
    if isinstance(value, int):
        return f"{value:,}"
    if not isinstance(value, float):
        return str(value)
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.1f}" if abs(value) >= 1 else f"{value:.3g}"


def _numeric(cell: str) -> bool:
    return bool(re.fullmatch(r"[\d,.×%+-]+|nan", cell))


def report(title: str, body: str, notes: Sequence[str] = (), data: object = None) -> Result:
    """Print one benchmark's table and return it for run_all."""
    print(f"\n## {title}\n\n{body}\n")
    for note in notes:
        print(f"- {note}")
    return {"title": title, "table": body, "notes": list(notes), "data": data}


def machine() -> dict[str, str]:
    """What the numbers depend on: CPUs, memory, code version and library versions."""
    return {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "cpus": str(len(os.sched_getaffinity(0))),
        "cpu_model": _cpu_model(),
        "ram": f"{_mem_total_kb() / MB:.1f} GiB",
        "commit": _git_commit(),
        "python": platform.python_version(),
        "whoosh": _version("whoosh3") or _version("Whoosh") or "?",
        "pyvi": _version("pyvi") or "?",
    }


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "?"


def _mem_total_kb() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1])
    return 0


def _git_commit() -> str:
    """Short commit, flagged when the working tree differs (others edit while we measure)."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "--no-optional-locks", *args], cwd=REPO,
                              capture_output=True, text=True).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "?"
    dirty = git("status", "--porcelain", "--untracked-files=no")
    return f"{commit} (with uncommitted changes)" if dirty else commit


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None
