"""Soak checks: kill -9 during indexing, and a bounded HTTP load ramp.

Never pass/fail on numbers; the exit status is non-zero only when an invariant breaks.

``--kills N`` (the default, N = 25): a generated archive (``--articles``, default 2,000
short Vietnamese articles written here, no corpus text) or ``--corpus N`` real articles
imported from ../shared/corpus is indexed, then `vnsearch index` is started again and
again — full rebuilds and incremental runs after adding, editing, renaming and deleting
files, alternately — and killed with SIGKILL at a random point of the run, together with
Whoosh's sub-writer processes (the process group; ``--main-only`` kills just the main
process, as `kill -9 <pid>` would). After each kill: the reindex lock is free, a new
searcher serves a complete index (the one published before the run, or exactly the archive
as it is now, never a mix), and a searcher that has stayed open since the start, as the
site's workers do, serves the same. At the end the index must equal a clean rebuild.

``--load``: `vnsearch serve` on a free loopback port with ``--index`` (default: the largest
index bench/build.py made), concurrency 1 → 4 → 16 → 64 against /search and /api/search
with the queries of ../shared/eval/queries.jsonl; throughput, p50/p95/p99, errors and the
server's resident memory (sum over its process tree) before and after. Stops by itself in
about ``4 × --duration`` seconds (at most 2 minutes).

    .venv/bin/python bench/soak.py [--kills 25] [--articles 2000 | --corpus N] [--seed S]
                                   [--main-only] [--keep]
``--slow-clients N``: `vnsearch serve` over a generated archive of 300 articles while N
slow clients, for ``--slow-seconds`` (default 60), each keep a connection open that sends
half a request and then one more header byte every few seconds (reconnecting when the
server closes it), and one normal client searches one query after another. Reports the
normal searches' latencies and errors and how many slow connections the server held; the
exit status is non-zero if a normal search failed.

    .venv/bin/python bench/soak.py --load [--index PATH] [--duration 20]
    .venv/bin/python bench/soak.py --slow-clients 50 [--slow-seconds 60]
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # `python bench/soak.py`: see bench/__init__.py
    sys.path[0] = str(Path(__file__).resolve().parents[1])

import argparse
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field

from bench import common
from bench.common import MB

WORK = common.OUT / "soak"
STORED = ("title", "body", "date", "author", "category")
COMMON_QUERY = "người dân"  # in every generated article
RUN_TIMEOUT_S = 1800
LEVELS = (1, 4, 16, 64)
LOAD_BUDGET_S = 120.0
REQUEST_TIMEOUT_S = 20.0  # a slower answer counts as an error; bounds the drain of each level


# =========================================================================== archives

CATEGORIES = ("thoi-su", "kinh-te", "van-hoa", "giao-duc", "the-thao", "suc-khoe")
PLACES = ("Hà Nội", "Đà Nẵng", "Huế", "Cần Thơ", "Hải Phòng", "Nha Trang", "Vinh", "Đà Lạt")


def article_text(i: int, extra: str = "") -> str:
    """A short article with front matter; ``i`` makes title, body and metadata distinct."""
    place = PLACES[i % len(PLACES)]
    body = (
        f"Người dân {place} tham gia hoạt động số {i * 7 + 3} trong năm {2000 + i % 24}, "
        f"chính quyền hỗ trợ {i + 11} hộ gia đình ở phường {i % 17 + 1}.\n\n"
        f"Đợt thứ {i % 9 + 1} kết thúc sau {i % 30 + 2} ngày với {i * 13 % 997} người "
        f"tham dự, trong đó có {i % 41} học sinh và {i % 23} cựu chiến binh."
    )
    if extra:
        body += "\n\n" + extra
    return (f'---\ntitle: "Tin số {i} về {place}"\n'
            f"date: {2000 + i % 24}-{1 + i % 12:02d}-{1 + i % 28:02d}\n"
            f'author: "Phóng viên {i % 29}"\n---\n{body}\n')


def generated_archive(target: Path, count: int) -> Path:
    for i in range(count):
        path = target / CATEGORIES[i % len(CATEGORIES)] / f"bai-{i:05d}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(article_text(i), encoding="utf-8")
    return target


def corpus_archive(target: Path, count: int) -> Path:
    """A private copy of the first ``count`` corpus articles (the soak changes its files)."""
    source = common.prepare_archive(count)
    shutil.copytree(source, target)
    return target


def archive_ids(archive: Path) -> set[str]:
    return {p.relative_to(archive).as_posix() for p in archive.rglob("*") if p.is_file()}


def mutate(archive: Path, rng: random.Random, cycle: int) -> str:
    """Add, edit, rename and delete files; every other time enough edits for sub-writers."""
    files = sorted(p for p in archive.rglob("*") if p.is_file())
    heavy = rng.random() < 0.5
    edits = rng.sample(files, min(len(files), max(250, len(files) // 8) if heavy else 30))
    for path in edits:
        text = path.read_text(encoding="utf-8")
        path.write_text(text.rstrip("\n") + f"\n\nCập nhật lần {cycle}, bản tin số "
                        f"{rng.randint(1, 10**6)}.\n", encoding="utf-8")
    edited = set(edits)
    rest = [p for p in files if p not in edited]
    victims = rng.sample(rest, min(len(rest), 20))
    for path in victims[:10]:
        path.unlink()
    for n, path in enumerate(victims[10:]):
        target = archive / "doi-ten" / f"{path.stem}-c{cycle}-{n}{path.suffix}"
        target.parent.mkdir(exist_ok=True)
        os.rename(path, target)
    for n in range(20):
        path = archive / "moi" / f"bai-moi-{cycle:03d}-{n:02d}.txt"
        path.parent.mkdir(exist_ok=True)
        path.write_text(article_text(100_000 + cycle * 100 + n), encoding="utf-8")
    return f"{len(edits)} edited, 20 added, 10 deleted, 10 renamed"


# =========================================================================== the index


def stored_map(index: Path) -> dict[str, tuple]:
    from indexer.location import open_current

    ix = open_current(index)
    try:
        with ix.searcher() as s:
            return {d["id"]: tuple(d.get(k) for k in STORED) for d in s.all_stored_fields()}
    finally:
        ix.close()


def served(searcher) -> tuple[int, set[str], int]:
    """(documents, ids, hits for a word in every generated article) as a searcher sees them."""
    from indexer.search import SearchParams

    documents = searcher.info()["documents"]
    ids = searcher.ids()
    hits = searcher.search(SearchParams(q=COMMON_QUERY), facets=False, snippets=False,
                           suggest=False).total
    return documents, ids, hits


# =========================================================================== processes


def start_index(archive: Path, index: Path, *args: str, log: Path) -> subprocess.Popen:
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        return subprocess.Popen(
            [common.vnsearch_command(), "index", "--archive", str(archive), "--index",
             str(index), *args],
            cwd=common.REPO, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def run_index(archive: Path, index: Path, *args: str, log: Path) -> tuple[int, float]:
    started = time.perf_counter()
    proc = start_index(archive, index, *args, log=log)
    proc.wait(RUN_TIMEOUT_S)
    return proc.returncode, time.perf_counter() - started


def group_running(pgid: int) -> list[int]:
    """Members of a process group with a thread still running.

    A killed multi-threaded process can show its main thread as a zombie while its other
    threads are still exiting; its files (the reindex lock) are closed only when the last
    one has gone. Zombies hold no files.
    """
    alive = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        fields = common._stat_fields(int(entry.name))
        if not fields or int(fields[2]) != pgid:
            continue
        try:
            tasks = os.listdir(f"/proc/{entry.name}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                raw = Path(f"/proc/{entry.name}/task/{task}/stat").read_text()
            except OSError:
                continue
            if raw[raw.rfind(")") + 2:].split()[0] not in ("Z", "X"):
                alive.append(int(entry.name))
                break
    return alive


def kill_group(pgid: int, timeout: float = 10.0) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while group_running(pgid) and time.monotonic() < deadline:
        time.sleep(0.02)


# =========================================================================== --kills


@dataclass
class KillStats:
    kills: dict[str, int] = field(default_factory=lambda: {"full": 0, "incremental": 0})
    finished: dict[str, int] = field(default_factory=lambda: {"full": 0, "incremental": 0})
    incomplete: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    stale_long_lived: list[str] = field(default_factory=list)
    old_kept: int = 0
    new_published: int = 0
    orphans: list[str] = field(default_factory=list)


def soak_kills(args: argparse.Namespace) -> int:
    from indexer.build import verify
    from indexer.lock import lock_is_free
    from indexer.search import ArchiveSearcher

    shutil.rmtree(WORK, ignore_errors=True)
    archive, index, logs = WORK / "archive", WORK / "index", WORK / "logs"
    if args.corpus:
        if reason := common.corpus_missing():
            print(f"skipped: --corpus needs the shared corpus ({reason})")
            return 0
        corpus_archive(archive, args.corpus)
        source = f"{args.corpus:,} corpus articles"
    else:
        generated_archive(archive, args.articles)
        source = f"{args.articles:,} generated articles"
    print(f"Soak: {args.kills} kills of `vnsearch index` on {source} "
          f"({'main process only' if args.main_only else 'whole process group'}, "
          f"seed {args.seed}); working in {WORK.relative_to(common.REPO)}", flush=True)

    code, seconds = run_index(archive, index, "--full", log=logs / "initial.log")
    if code not in (0, 1):
        print(f"error: the first build exited with {code}:\n{common.tail(logs / 'initial.log')}")
        return 2
    estimate = {"full": seconds, "incremental": seconds * 0.6}
    print(f"  first full build: {seconds:.1f} s", flush=True)
    rng = random.Random(args.seed)
    stats = KillStats()
    long_lived = ArchiveSearcher(index)
    long_lived.info()
    attempt = 0
    while sum(stats.kills.values()) < args.kills and attempt < args.kills * 3:
        attempt += 1
        kind = "full" if sum(stats.kills.values()) % 2 == 0 else "incremental"
        change = mutate(archive, rng, attempt) if kind == "incremental" else "no change"
        before = stored_map(index)
        on_disk = archive_ids(archive)
        delay = rng.uniform(0.02, 1.1) * estimate[kind]
        log = logs / f"run-{attempt:03d}-{kind}.log"
        started = time.perf_counter()
        proc = start_index(archive, index, *(["--full"] if kind == "full" else []), log=log)
        try:
            proc.wait(delay)
            finished = True
        except subprocess.TimeoutExpired:
            finished = False
        if finished:
            stats.finished[kind] += 1
            estimate[kind] = time.perf_counter() - started
            if proc.returncode not in (0, 1):
                what = f"run {attempt} ({kind}) exited with {proc.returncode}: {common.tail(log, 3)}"
                (stats.blocked if "being updated" in log.read_text() else stats.incomplete
                 ).append(what)
            outcome = f"finished in {estimate[kind]:.1f} s before the kill"
        else:
            if args.main_only:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
            else:
                kill_group(proc.pid)
                proc.wait()
            stats.kills[kind] += 1
            outcome = f"killed after {delay:.1f} s"
        left = group_running(proc.pid)
        if not lock_is_free(index):
            stats.blocked.append(f"run {attempt} ({kind}, {outcome}): lock still held by "
                                 f"{len(left)} leftover process(es) {left}")
        if left:
            stats.orphans.append(f"run {attempt}: {left}")
            kill_group(proc.pid)  # so that the soak can go on

        problem = check_complete(index, archive, before, on_disk, every_hit=not args.corpus)
        state = "?"
        if problem:
            stats.incomplete.append(f"run {attempt} ({kind}, {outcome}): {problem}")
        else:
            state = "old index" if stored_map(index) == before else "new index"
            if state == "old index":
                stats.old_kept += 1
            else:
                stats.new_published += 1
        time.sleep(1.1)  # the long-lived searcher re-checks the index once a second
        fresh = ArchiveSearcher(index)
        try:
            want, got = served(fresh), served(long_lived)
        finally:
            fresh.close()
        if want != got:
            stats.stale_long_lived.append(
                f"run {attempt} ({kind}, {outcome}): a searcher open since the start serves "
                f"{got[0]} documents / {got[2]} hits, a new one {want[0]} / {want[2]} "
                f"({len(got[1] - want[1])} ids too many, {len(want[1] - got[1])} missing)")
            long_lived.close()
            long_lived = ArchiveSearcher(index)  # report each divergence once
        print(f"  {attempt:>3} {kind:<11} {change:<44} {outcome:<32} → {state}", flush=True)
    long_lived.close()

    code, _ = run_index(archive, index, log=logs / "final.log")
    blocked_final = "being updated" in (logs / "final.log").read_text()
    if blocked_final:
        stats.blocked.append("the final run was refused: " + common.tail(logs / "final.log", 2))
    code_clean, _ = run_index(archive, WORK / "clean", "--full", log=logs / "clean.log")
    equal = code in (0, 1) and code_clean in (0, 1) and stored_map(index) == stored_map(WORK / "clean")
    in_sync = code in (0, 1) and verify(archive, index).in_sync
    report_kills(args, stats, equal and in_sync)
    if not args.keep:  # the logs stay
        for name in ("archive", "index", "clean"):
            shutil.rmtree(WORK / name, ignore_errors=True)
    broken = stats.incomplete or stats.blocked or stats.stale_long_lived or not (equal and in_sync)
    return 1 if broken else 0


def check_complete(index: Path, archive: Path, before: dict, on_disk: set[str],
                   every_hit: bool) -> str | None:
    """Why what a new searcher serves is not a complete index, or None.

    Complete means the index published before the run, unchanged, or the archive as it is
    now, exactly (``verify``: nothing missing, stale or orphaned).
    """
    from indexer.build import verify
    from indexer.search import ArchiveSearcher

    searcher = ArchiveSearcher(index)
    try:
        documents, ids, hits = served(searcher)
    except Exception as err:  # noqa: BLE001 - an index that cannot be opened is a finding
        return f"the index cannot be served ({type(err).__name__}: {err})"
    finally:
        searcher.close()
    after = stored_map(index)
    if not documents == len(ids) == len(after):
        return f"documents {documents}, ids {len(ids)}, stored {len(after)} disagree"
    if every_hit and hits != documents:
        return f"'{COMMON_QUERY}' finds {hits} of {documents} articles"
    if after == before:
        return None
    if not ids <= on_disk or not verify(archive, index).in_sync:
        return (f"neither the old index ({len(before)} articles) nor the archive as it is "
                f"({len(on_disk)} files): {documents} articles")
    return None


def report_kills(args, stats: KillStats, equal: bool) -> None:
    kills = sum(stats.kills.values())
    print()
    print(f"killed {kills} times during indexing ({stats.kills['full']} full, "
          f"{stats.kills['incremental']} incremental): {len(stats.incomplete)} incomplete "
          f"indexes served, {len(stats.blocked)} runs blocked by a stale lock, final index "
          f"{'equals' if equal else 'DIFFERS FROM'} a clean rebuild")
    print(f"  after the kills: the old index kept {stats.old_kept} times, the new one "
          f"published {stats.new_published} times; {sum(stats.finished.values())} runs "
          "finished before their kill time (not counted as kills)")
    if stats.orphans:
        print(f"  processes still running after the kill: {len(stats.orphans)} times "
              f"(first: {stats.orphans[0]})")
    print(f"  a searcher kept open since the start (as the site's workers keep theirs) "
          f"served a stale index {len(stats.stale_long_lived)} times")
    for label, items in (("incomplete", stats.incomplete), ("blocked", stats.blocked),
                         ("stale long-lived searcher", stats.stale_long_lived)):
        for item in items[:5]:
            print(f"    {label}: {item}")
        if len(items) > 5:
            print(f"    … and {len(items) - 5} more")


# =========================================================================== --load


def default_index() -> Path | None:
    built = []
    for path in (common.OUT / "indexes").glob("ours-n*"):
        try:
            built.append((int(path.name[len("ours-n"):]), path))
        except ValueError:
            continue
    built = [(n, p) for n, p in built if (p / "current").is_symlink()]
    return max(built)[1] if built else None


@dataclass
class LevelLoad:
    latencies: dict[str, list[float]] = field(default_factory=lambda: {"/search": [],
                                                                      "/api/search": []})
    errors: dict[str, int] = field(default_factory=lambda: {"/search": 0, "/api/search": 0})
    first_error: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


def load_level(port: int, paths: list[tuple[str, str]], concurrency: int, seconds: float
               ) -> tuple[LevelLoad, float]:
    from bench.http import get

    load = LevelLoad()
    deadline = time.perf_counter() + seconds

    def client(offset: int) -> None:
        i = offset
        while time.perf_counter() < deadline:
            endpoint, path = paths[i % len(paths)]
            i += 1
            started = time.perf_counter()
            try:
                status, _ = get(port, path, timeout=REQUEST_TIMEOUT_S)
                error = None if status == 200 else f"HTTP {status} on {path[:60]}"
            except OSError as err:
                error = f"{type(err).__name__}: {err}"
            ms = (time.perf_counter() - started) * 1000
            with load.lock:
                if error is None:
                    load.latencies[endpoint].append(ms)
                else:
                    load.errors[endpoint] += 1
                    load.first_error = load.first_error or error

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n * len(paths) // concurrency,),
                                daemon=True) for n in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return load, time.perf_counter() - started


def soak_load(args: argparse.Namespace) -> int:
    from bench.http import Server, ServerFailed

    if not common.EVAL_QUERIES.is_file():
        print(f"skipped: the evaluation queries are not available at {common.EVAL_QUERIES}")
        return 0
    index = args.index or default_index()
    if index is None or not (Path(index) / "current").is_symlink():
        print(f"skipped: no index at {index or common.OUT / 'indexes'} "
              "(give --index, or run bench/build.py first)")
        return 0
    # start-up, warm-up and the drain of requests still under way at each level's end
    # (the last one up to REQUEST_TIMEOUT_S) come on top of the levels themselves
    duration = min(args.duration, (LOAD_BUDGET_S - 25 - REQUEST_TIMEOUT_S) / len(LEVELS))
    queries = [q["query"] for q in common.load_queries()]
    paths = []
    for q in queries:
        quoted = urllib.parse.quote(q)
        paths += [("/search", f"/search?q={quoted}"), ("/api/search", f"/api/search?q={quoted}")]
    log = common.OUT / "logs" / "soak-serve.log"
    print(f"Load: `vnsearch serve --index {index}` on 127.0.0.1, {len(queries)} queries on "
          f"/search and /api/search, concurrency {' → '.join(map(str, LEVELS))}, "
          f"{duration:g} s each", flush=True)
    server = Server(Path(index), None, log)
    rows, broken = [], None
    try:
        try:
            health = server.wait_healthy()
        except ServerFailed as err:
            print(f"error: {err}")
            return 2
        rss_before = server.rss()
        processes = len(common.process_tree(server.proc.pid))
        load_level(server.port, paths, 2, 3.0)  # warm-up: each worker's first queries
        for concurrency in LEVELS:
            load, elapsed = load_level(server.port, paths, concurrency, duration)
            for endpoint, ms in load.latencies.items():
                summary = common.latency_summary(ms)
                rows.append([concurrency, endpoint, len(ms) + load.errors[endpoint],
                             len(ms) / elapsed, summary["p50"], summary["p95"], summary["p99"],
                             load.errors[endpoint], load.first_error or ""])
            print(f"  concurrency {concurrency}: {sum(map(len, load.latencies.values()))} ok, "
                  f"{sum(load.errors.values())} errors", flush=True)
            if server.proc.poll() is not None:
                broken = f"the server exited with {server.proc.returncode} during the load"
                break
        rss_after = server.rss() if server.proc.poll() is None else 0
    finally:
        server.stop()
    print()
    print(common.table(["concurrency", "endpoint", "requests", "ok req/s", "p50 ms", "p95 ms",
                        "p99 ms", "errors", "first error"], rows))
    print()
    print(f"Index of {health.get('documents', 0):,} articles; server RSS (sum over its "
          f"{processes} processes): {rss_before / MB:,.0f} MB before the load, "
          f"{rss_after / MB:,.0f} MB after. Client and server share the machine's CPUs.")
    if broken:
        print(f"error: {broken}\n{common.tail(log)}")
        return 1
    return 0


# =========================================================================== --slow-clients

SLOW_ARTICLES = 300
TRICKLE_EVERY_S = 5.0


def slow_client(port: int, stop: threading.Event, held: list[int], lock: threading.Lock
                ) -> None:
    """Half a request, then a header byte every TRICKLE_EVERY_S, never the end of it; a new
    connection whenever the server closes this one."""
    while not stop.is_set():
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        except OSError:
            stop.wait(0.5)
            continue
        with lock:
            held[0] += 1
        try:
            sock.sendall(b"GET /api/search?q=ha+noi HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            while not stop.wait(TRICKLE_EVERY_S):
                sock.sendall(b"a")
        except OSError:
            with lock:
                held[1] += 1  # closed by the server
        finally:
            sock.close()
            with lock:
                held[0] -= 1


def soak_slow_clients(args: argparse.Namespace) -> int:
    from bench.http import Server, ServerFailed, get

    WORK.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="slow-", dir=WORK))
    archive, index = generated_archive(root / "archive", SLOW_ARTICLES), root / "index"
    code, _ = run_index(archive, index, "--jobs", "1", log=root / "index.log")
    if code != 0:
        print(f"error: indexing the generated archive failed:\n{common.tail(root / 'index.log')}")
        return 2
    log = common.OUT / "logs" / "soak-slow-clients.log"
    print(f"Slow clients: {args.slow_clients} connections sending half a request and a byte "
          f"every {TRICKLE_EVERY_S:g} s, for {args.slow_seconds:g} s, beside one normal client "
          f"(`vnsearch serve`, {SLOW_ARTICLES} generated articles)", flush=True)
    server = Server(index, archive, log)
    stop = threading.Event()
    held, lock = [0, 0], threading.Lock()
    latencies: list[float] = []
    errors: list[str] = []
    most_held = 0
    try:
        try:
            server.wait_healthy()
        except ServerFailed as err:
            print(f"error: {err}")
            return 2
        slow = [threading.Thread(target=slow_client, args=(server.port, stop, held, lock),
                                 daemon=True) for _ in range(args.slow_clients)]
        for thread in slow:
            thread.start()
        time.sleep(1.0)
        query = "/api/search?q=" + urllib.parse.quote(COMMON_QUERY)
        deadline = time.monotonic() + args.slow_seconds
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                status, _ = get(server.port, query, timeout=REQUEST_TIMEOUT_S)
                if status != 200:
                    errors.append(f"HTTP {status}")
            except OSError as err:
                errors.append(f"{type(err).__name__}: {err}")
            else:
                latencies.append((time.perf_counter() - started) * 1000)
            with lock:
                most_held = max(most_held, held[0])
            time.sleep(0.05)
    finally:
        stop.set()
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
    summary = common.latency_summary(latencies)
    print(f"  normal searches: {len(latencies)} answered, {len(errors)} failed; "
          f"p50 {summary['p50']:.0f} ms, p95 {summary['p95']:.0f} ms, "
          f"max {summary['max']:.0f} ms")
    print(f"  slow connections open at once: up to {most_held}; closed by the server: "
          f"{held[1]}")
    if errors:
        print(f"error: {len(errors)} normal searches failed (first: {errors[0]})")
        return 1
    return 0


# =========================================================================== main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kills", type=int, default=None,
                        help="kill -9 the indexer this many times [default: 25, unless --load]")
    parser.add_argument("--articles", type=int, default=2000,
                        help="generated articles in the killed archive [default: 2000]")
    parser.add_argument("--corpus", type=int, default=0, metavar="N",
                        help="use the first N real articles of ../shared/corpus instead")
    parser.add_argument("--seed", type=int, default=20241127)
    parser.add_argument("--main-only", action="store_true",
                        help="kill only the main process (sub-writers survive), as `kill -9 "
                        "<pid>` does, instead of the whole process group")
    parser.add_argument("--keep", action="store_true",
                        help=f"keep the archive and indexes under {WORK} (the logs always stay)")
    parser.add_argument("--load", action="store_true", help="run the HTTP load ramp")
    parser.add_argument("--index", type=Path, help="index for --load [default: the largest "
                        "in bench/out/indexes]")
    parser.add_argument("--duration", type=float, default=20.0,
                        help="seconds per concurrency level of --load [default: 20]")
    parser.add_argument("--slow-clients", type=int, default=0, metavar="N",
                        help="run N slow clients beside a normal one (see above)")
    parser.add_argument("--slow-seconds", type=float, default=60.0,
                        help="how long --slow-clients lasts [default: 60]")
    args = parser.parse_args(argv)
    if args.kills is None:
        args.kills = 0 if args.load or args.slow_clients else 25
    status = 0
    if args.kills > 0:
        status = max(status, soak_kills(args))
    if args.load:
        status = max(status, soak_load(args))
    if args.slow_clients:
        status = max(status, soak_slow_clients(args))
    return status


if __name__ == "__main__":
    sys.exit(main())
