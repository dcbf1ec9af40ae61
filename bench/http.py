"""HTTP load on `vnsearch serve`: throughput, latency, errors and server memory.

Starts the production server (default workers) on a free port of 127.0.0.1, waits for
/healthz, warms up, then runs a bounded load against ``/api/search?q=<eval query>`` at
each concurrency: that many client threads, each sending one request after another on a
new connection (as one-off API clients do) until the time is up. The client
runs on the same machine, so at high concurrency it competes with the server for CPU.

    .venv/bin/python bench/http.py [--sizes all] [--index PATH] [--concurrency 1,4,16]
                                   [--duration 20] [--runs 3] [--quick]
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # `python bench/http.py`: see bench/__init__.py; before `http`
    sys.path[0] = str(Path(__file__).resolve().parents[1])

import argparse
import http.client
import json
import os
import signal
import subprocess
import threading
import time
import urllib.parse
from dataclasses import dataclass, field

from bench import common
from bench.common import MB, Result

DESCRIPTION = "Throughput and latency of /api/search under `vnsearch serve`."
HOST = "127.0.0.1"
START_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 20.0
REQUEST_TIMEOUT_S = 30.0


class ServerFailed(Exception):
    """`vnsearch serve` did not start or answer; the message says what it printed."""


def _options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--index", type=Path, help="index root to serve [default: the one "
                        "build.py made for the size]")
    parser.add_argument("--concurrency", default="1,4,16",
                        help="comma-separated client thread counts [default: 1,4,16]")
    parser.add_argument("--duration", type=float,
                        help="seconds of load per concurrency and run [default: 20; "
                        "with --quick: 3]")
    parser.add_argument("--warmup", type=float,
                        help="seconds of unmeasured load first [default: 5; with --quick: 1]")


class Server:
    """A server in its own process group, so stopping it stops all its workers:
    `vnsearch serve`, or with ``hello`` the hello-world app on the same stack."""

    def __init__(self, index_root: Path | None, archive: Path | None, log: Path,
                 hello: bool = False):
        self.port = common.free_port()
        self.log = log
        if hello:
            cmd = [sys.executable, "-m", "bench.hello", "--port", str(self.port)]
            self.health_path = "/"
        else:
            cmd = [common.vnsearch_command(), "serve", "--index", str(index_root),
                   "--host", HOST, "--port", str(self.port)]
            self.health_path = "/healthz"
        if archive is not None:
            cmd += ["--archive", str(archive)]
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "wb") as out:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,
                                         cwd=common.REPO, start_new_session=True)

    def wait_healthy(self) -> dict:
        """The /healthz (hello: /) answer once it says ok; ServerFailed if it exits or
        never does."""
        deadline = time.monotonic() + START_TIMEOUT_S
        last = "no answer"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerFailed(f"`vnsearch serve` exited with {self.proc.returncode} "
                                   f"before answering /healthz:\n{common.tail(self.log)}")
            try:
                status, body = get(self.port, self.health_path, timeout=2)
            except OSError as err:
                last = f"{type(err).__name__}: {err}"
            else:
                if status == 200:
                    return json.loads(body)
                last = f"HTTP {status}: {body[:200]!r}"
            time.sleep(0.25)
        raise ServerFailed(f"/healthz did not answer ok within {START_TIMEOUT_S:.0f} s "
                           f"(last: {last}):\n{common.tail(self.log)}")

    def rss(self) -> int:
        return common.tree_rss(self.proc.pid)

    def stop(self) -> None:
        """SIGTERM to the group (gunicorn stops gracefully), SIGKILL if it takes too long."""
        if self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def get(port: int, path: str, timeout: float = REQUEST_TIMEOUT_S) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@dataclass
class Load:
    """What the client threads of one load run saw."""

    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, ms: float, error: str | None) -> None:
        with self.lock:
            if error is None:
                self.latencies_ms.append(ms)
                return
            self.errors += 1
            self.first_error = self.first_error or error


def run_load(port: int, paths: list[str], concurrency: int, seconds: float) -> dict:
    """Each thread walks the queries from its own offset until the time is up.

    A request under way at the deadline is waited for, so a run can last a little longer
    than ``seconds``; the throughput divides by the real elapsed time.
    """
    load = Load()
    deadline = time.perf_counter() + seconds

    def client(offset: int) -> None:
        i = offset
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                status, _ = get(port, paths[i % len(paths)])
                error = None if status == 200 else f"HTTP {status}"
            except OSError as err:
                error = f"{type(err).__name__}: {err}"
            load.record((time.perf_counter() - started) * 1000, error)
            i += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n * len(paths) // concurrency,))
               for n in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    lat = load.latencies_ms
    return {"requests": len(lat) + load.errors, "ok_per_s": len(lat) / elapsed,
            "p50": common.percentile(lat, 50), "p95": common.percentile(lat, 95),
            "p99": common.percentile(lat, 99), "errors": load.errors, "first_error": load.first_error}


def measure(index_root: Path, archive: Path | None, args: argparse.Namespace,
            queries: list[dict] | None = None) -> dict:
    """Load at each of ``args.concurrency`` with ``queries`` (default: the public eval set);
    ``args`` also gives ``duration``, ``warmup`` and ``runs``."""
    queries = common.load_queries() if queries is None else queries
    paths = [f"/api/search?q={urllib.parse.quote(q['query'])}" for q in queries]
    server = Server(index_root, archive, common.OUT / "logs" / "serve.log")
    try:
        health = server.wait_healthy()
        rss_start, pss_start = server.rss(), common.tree_pss(server.proc.pid)
        warmup = run_load(server.port, paths, 4, args.warmup)
        rows = []
        for concurrency in map(int, args.concurrency.split(",")):
            runs = []
            for run in range(args.runs):
                print(f"  concurrency {concurrency}, run {run + 1}/{args.runs} "
                      f"({args.duration:g} s) …", flush=True)
                runs.append(run_load(server.port, paths, concurrency, args.duration))
            rows.append(_median_row(concurrency, runs))
        rss_end, pss_end = server.rss(), common.tree_pss(server.proc.pid)
        processes = len(common.process_tree(server.proc.pid))
    finally:
        server.stop()
    ceiling = _ceiling(args)
    for row in rows:
        row["hello_per_s"] = ceiling[row["concurrency"]]
        row["share"] = row["ok_per_s"] / row["hello_per_s"] if row["hello_per_s"] else 0.0
    return {"index": str(index_root), "documents": health.get("documents"), "rows": rows,
            "rss_start_mb": rss_start / MB, "rss_end_mb": rss_end / MB,
            "pss_start_mb": pss_start, "pss_end_mb": pss_end,
            "server_processes": processes, "warmup": warmup}


def _ceiling(args: argparse.Namespace) -> dict[int, float]:
    """Requests/s of the hello-world app on the same stack, at each concurrency, in the same
    run (median of ``args.runs``): what the server and this client can do at all."""
    server = Server(None, None, common.OUT / "logs" / "hello.log", hello=True)
    ceiling = {}
    try:
        server.wait_healthy()
        run_load(server.port, ["/"], 4, args.warmup)
        for concurrency in map(int, args.concurrency.split(",")):
            ceiling[concurrency] = common.median(
                run_load(server.port, ["/"], concurrency, args.duration)["ok_per_s"]
                for _ in range(args.runs))
    finally:
        server.stop()
    return ceiling


def _median_row(concurrency: int, runs: list[dict]) -> dict:
    row = {key: common.median(r[key] for r in runs)
           for key in ("ok_per_s", "p50", "p95", "p99")}
    errors = sum(r["errors"] for r in runs)
    first = next((r["first_error"] for r in runs if r["first_error"]), None)
    return {"concurrency": concurrency, **row, "requests": sum(r["requests"] for r in runs),
            "errors": errors, "first_error": first}


def main(argv: list[str] | None = None) -> Result:
    args = common.parse_options(DESCRIPTION, argv, sizes="all", runs=3, quick_sizes="5000",
                                quick_runs=1, extra=_options)
    args.duration = args.duration or (3.0 if args.quick else 20.0)
    args.warmup = args.warmup if args.warmup is not None else (1.0 if args.quick else 5.0)
    if reason := common.corpus_missing():
        return common.skipped(reason)
    if args.index:
        index_root, archive = args.index, None
    else:
        size = common.resolve_sizes(args.sizes)[-1]
        index_root, archive = common.our_index(size), common.archive_dir(size)
    if not (index_root / "current").is_symlink():
        return common.skipped(f"no index at {index_root} (run bench/build.py first)")
    try:
        result = measure(index_root, archive, args)
    except ServerFailed as err:
        return common.failed(f"the server could not be benchmarked: {err}")
    body = common.table(
        ["concurrency", "requests", "ok req/s", "p50 ms", "p95 ms", "p99 ms", "errors",
         "first error", "hello-world req/s", "share of hello-world"],
        [[r["concurrency"], r["requests"], r["ok_per_s"], r["p50"], r["p95"], r["p99"],
          r["errors"], r["first_error"] or "", r["hello_per_s"], f"{r['share']:.1%}"]
         for r in result["rows"]])
    notes = [
        f"Index of {result['documents']:,} articles; {args.duration:g} s per concurrency and "
        f"run, median of {args.runs} run(s) (requests and errors are totals).",
        f"Server RSS (sum over its {result['server_processes']} processes): "
        f"{result['rss_start_mb']:,.0f} MB after /healthz, {result['rss_end_mb']:,.0f} MB "
        "after the load; it counts the mapped index once per worker. Proportional (PSS, "
        f"shared pages counted once in all): {result['pss_start_mb']:,.0f} MB and "
        f"{result['pss_end_mb']:,.0f} MB.",
        f"Warm-up ({args.warmup:g} s at concurrency 4, not in the table): "
        f"{result['warmup']['requests']} requests, p95 {result['warmup']['p95']:,.0f} ms, "
        f"{result['warmup']['errors']} errors; each worker process builds its suggestion "
        "vocabulary on its first query without diacritics.",
        "Hello-world: `bench/hello.py`, a Flask app answering a small JSON object under the "
        "same gunicorn workers, measured right after, with the same client and durations.",
        "Errors: non-200 answers and connection failures or timeouts "
        f"({REQUEST_TIMEOUT_S:g} s). Client and server share the machine's CPUs.",
    ]
    return common.report("HTTP /api/search", body, notes, result)


if __name__ == "__main__":
    sys.exit(1 if "error" in main() else 0)
