"""Scale: a synthetic archive of N articles made from real paragraphs, built, updated,
queried and served.

The corpus has 79,147 articles; a provincial paper's archive holds a few hundred thousand.
This script makes a larger archive out of the real one without inventing any text, so that
the vocabulary, the paragraph lengths and the papers' house style (bylines, captions,
related-article links) stay those of real Vietnamese news:

- every corpus article is a *template*, except the articles the public queries are about;
  a new article takes a template drawn at random: its title, category and newspaper, and
  its layout (how many paragraphs, each one's length);
- each paragraph slot is filled with a real paragraph of about the same length (drawn among
  the nearest lengths of the same category and newspaper) from another article: never the
  template itself, never twice the same article within one new article;
- the articles of the public known-item queries (``queries.jsonl``, ``hard-queries.jsonl``)
  come first, whole and unchanged, and nothing else uses their titles or paragraphs: phrase
  and keyword queries come from anywhere in their bodies, and this keeps each query's one
  right answer. The adapted query files name them by their new ids.

The archive is written as ``vnsearch import`` writes one (``indexer.importer``: category
folders, front matter with category and publisher), one article in memory at a time; the
corpus is read once into its paragraphs (about 230 MB of UTF-8 held in one buffer per
category and newspaper). It is made once per size and seed: a manifest written at the end
tells a finished archive from an interrupted one.

Then, per size: a full build (time, articles/s, peak memory of the process tree, index
size; against plain Whoosh with ``--reference``), incremental no-op and 1% changed, query
latency in process for the adapted clean and hard sets (with their MRR@10, which shows the
known items are still found among N articles), and `vnsearch serve` memory and throughput.
Everything is measured by the other benchmarks' own functions.

    .venv/bin/python bench/scale.py [--sizes 100000,250000,500000] [--seed 18] [--jobs 1]
                                    [--reference] [--runs 1] [--quick]
"""

from __future__ import annotations

import argparse
import bisect
import gzip
import hashlib
import json
import random
import shutil
import sys
import time
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):  # `python bench/scale.py`: see bench/__init__.py
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from bench import build, common, http, incremental, queries
from bench.common import Result
from indexer.evaluate import load_queries, run_eval
from indexer.importer import import_records

DESCRIPTION = "Synthetic archives of real paragraphs: build, update, queries, serve at scale."
RECIPE = 1
"""Bump when the recipe changes: archives made by another recipe are made again."""
DEFAULT_SEED = 18
QUERY_SETS = {"clean": common.SHARED / "eval" / "queries.jsonl",
              "hard": common.SHARED / "eval" / "hard-queries.jsonl"}
WINDOW = 32
"""A slot is filled from the 2 × WINDOW paragraphs of its group nearest to its length."""
TRIES = 20
"""Draws before a slot accepts a paragraph of an article already used (tiny groups only)."""
INCREMENTAL_SCENARIOS = ("nothing changed", "1% changed")
PARAGRAPH = "\n\n"


def corpus_shards() -> list[Path]:
    """Core before extra, in order: the order the corpus README documents."""
    return [*sorted(common.CORPUS.glob("vntc-core-*.jsonl.gz")),
            *sorted(common.CORPUS.glob("vntc-extra-*.jsonl.gz"))]


# --------------------------------------------------------------------------- the corpus


@dataclass
class Group:
    """The paragraphs of one category and newspaper: their text in one buffer, in corpus
    order, and their offsets sorted by length.

    One buffer with arrays of offsets costs a fraction of 750,000 ``str`` objects (about
    230 MB of UTF-8 for the whole corpus instead of several times that)."""

    category: str
    source: str
    text: bytearray = field(default_factory=bytearray)
    starts: array = field(default_factory=lambda: array("q"))
    lengths: array = field(default_factory=lambda: array("l"))  # bytes; ascending once sorted
    articles: array = field(default_factory=lambda: array("l"))  # corpus position of each

    def add(self, paragraph: bytes, article: int) -> None:
        self.starts.append(len(self.text))
        self.lengths.append(len(paragraph))
        self.articles.append(article)
        self.text += paragraph

    def sort(self) -> None:
        """Order by length (then corpus order), so that a slot finds its nearest lengths
        by bisection."""
        order = sorted(range(len(self.lengths)), key=lambda i: (self.lengths[i], i))
        for name in ("starts", "lengths", "articles"):
            column = getattr(self, name)
            setattr(self, name, array(column.typecode, (column[i] for i in order)))

    def paragraph(self, i: int) -> str:
        return self.text[self.starts[i]:self.starts[i] + self.lengths[i]].decode("utf-8")


@dataclass(frozen=True)
class Template:
    """What a new article takes from one real article: all but its paragraphs' text."""

    article: int  # corpus position
    group: int
    title: str
    layout: tuple[int, ...]  # each paragraph's length in bytes


@dataclass
class Corpus:
    groups: list[Group]
    templates: list[Template]
    known: list[dict]
    """The public queries' articles, whole, in the order the query files name them first."""


def read_corpus(shards: list[Path], known_ids: list[str]) -> Corpus:
    """Templates and paragraph groups of every article but the known ones, kept apart."""
    wanted = set(known_ids)
    known: dict[str, dict] = {}
    groups: dict[tuple[str, str], int] = {}
    corpus = Corpus([], [], [])
    position = 0
    for shard in shards:
        with gzip.open(shard, "rt", encoding="utf-8") as lines:
            for line in lines:
                record = json.loads(line)
                position += 1
                if record["id"] in wanted:
                    known[record["id"]] = record
                    continue
                key = (record["category"], record["source"])
                if key not in groups:
                    groups[key] = len(corpus.groups)
                    corpus.groups.append(Group(*key))
                group = corpus.groups[groups[key]]
                paragraphs = [p.encode("utf-8") for p in record["body"].split(PARAGRAPH)]
                for paragraph in paragraphs:
                    group.add(paragraph, position)
                corpus.templates.append(Template(position, groups[key], record["title"],
                                                 tuple(len(p) for p in paragraphs)))
    for group in corpus.groups:
        group.sort()
    corpus.known = [known[i] for i in known_ids if i in known]
    return corpus


# --------------------------------------------------------------------------- the recipe


def synthetic_id(number: int) -> str:
    return f"scale-{number:07d}"


def known_ids(query_files: dict[str, Path]) -> list[str]:
    """Every article a query is about, in the order the files first name them."""
    ids: dict[str, None] = {}
    for path in query_files.values():
        for query in _read_jsonl(path):
            ids.update(dict.fromkeys(query["relevant"]))
    return list(ids)


def records(corpus: Corpus, size: int, seed: int) -> Iterator[dict]:
    """The archive's ``size`` records: the known articles first, then new ones."""
    for number, article in enumerate(corpus.known):
        yield {"id": synthetic_id(number), "title": article["title"], "body": article["body"],
               "category": article["category"], "source": article["source"]}
    rng = random.Random(seed)
    for number in range(len(corpus.known), size):
        template = rng.choice(corpus.templates)
        group = corpus.groups[template.group]
        used = {template.article}
        body = []
        for length in template.layout:
            slot = _fill(group, length, used, rng)
            used.add(group.articles[slot])
            body.append(group.paragraph(slot))
        yield {"id": synthetic_id(number), "title": template.title,
               "body": PARAGRAPH.join(body), "category": group.category,
               "source": group.source}


def _fill(group: Group, length: int, used: set[int], rng: random.Random) -> int:
    """A paragraph of about ``length`` bytes from an article not in ``used`` if there is
    one among the nearest lengths, else the last one drawn."""
    middle = bisect.bisect_left(group.lengths, length)
    low = max(0, middle - WINDOW)
    high = min(len(group.lengths), middle + WINDOW)
    slot = low
    for _ in range(TRIES):
        slot = rng.randrange(low, high)
        if group.articles[slot] not in used:
            break
    return slot


# --------------------------------------------------------------------------- the archive


@dataclass(frozen=True)
class Synthetic:
    """A generated archive and its adapted query files."""

    folder: Path
    archive: Path
    query_files: dict[str, Path]
    manifest: dict


def synthetic_dir(size: int, seed: int) -> Path:
    return common.OUT / "scale" / f"n{size}-seed{seed}"


def generate(folder: Path, size: int, seed: int, shards: list[Path] | None = None,
             query_files: dict[str, Path] | None = None) -> Synthetic:
    """Make (or find already made) the archive of ``size`` articles under ``folder``.

    The adapted query files keep every query whose article is in ``shards``, with
    ``relevant`` naming its synthetic id; they quote the corpus, so they stay under
    ``folder`` (bench/out, never tracked)."""
    shards = shards or corpus_shards()
    query_files = query_files or QUERY_SETS
    expected = {"recipe": RECIPE, "size": size, "seed": seed,
                "corpus": _fingerprint(shards, query_files)}
    archive = folder / "archive"
    adapted = {name: folder / f"queries-{name}.jsonl" for name in query_files}
    manifest_path = folder / "manifest.json"
    if manifest_path.is_file():
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if {key: manifest.get(key) for key in expected} == expected:
            return Synthetic(folder, archive, adapted, manifest)
    manifest_path.unlink(missing_ok=True)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    started = time.perf_counter()
    corpus = read_corpus(shards, known_ids(query_files))
    if size < len(corpus.known):
        raise SystemExit(f"error: {size:,} articles cannot hold the {len(corpus.known):,} "
                         "articles of the public queries")
    read_s = time.perf_counter() - started
    print(f"  writing {size:,} articles into {archive} …", flush=True)
    report = import_records(records(corpus, size, seed), archive)
    if report.errors:
        raise RuntimeError(f"{len(report.errors)} records rejected, first: {report.errors[0]}")
    new_ids = {article["id"]: synthetic_id(n) for n, article in enumerate(corpus.known)}
    counts = {name: _adapt(path, adapted[name], new_ids) for name, path in query_files.items()}
    manifest = {**expected, "known": len(corpus.known), "queries": counts,
                "read_s": read_s, "total_s": time.perf_counter() - started}
    manifest_path.write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return Synthetic(folder, archive, adapted, manifest)


def _adapt(source: Path, target: Path, new_ids: dict[str, str]) -> int:
    """Write the queries whose articles are in the archive, naming them by their new ids."""
    kept = [{**q, "relevant": [new_ids[r] for r in q["relevant"]]}
            for q in _read_jsonl(source) if all(r in new_ids for r in q["relevant"])]
    target.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in kept),
                      encoding="utf-8")
    return len(kept)


def _read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def _fingerprint(shards: list[Path], query_files: dict[str, Path]) -> str:
    """Names and sizes of the inputs: a different corpus slice or query set is another
    archive (the corpus manifest's checksums cover the shards' contents)."""
    digest = hashlib.sha256()
    for path in [*shards, *query_files.values()]:
        digest.update(f"{path.name}:{path.stat().st_size}\n".encode())
    return digest.hexdigest()[:16]


# --------------------------------------------------------------------------- measuring


def measure(size: int, args: argparse.Namespace) -> dict:
    folder = synthetic_dir(size, args.seed)
    made = generate(folder, size, args.seed)
    logs = folder / "logs"
    root = folder / "index"
    print(f"  n={size:,}: full build …", flush=True)
    ours = build.summary([build.build_ours(made.archive, root, logs / "build.log", args.jobs)])
    reference = None
    if args.reference:
        print(f"  n={size:,}: reference build …", flush=True)
        reference = build.summary([build.build_reference(
            made.archive, folder / "reference", logs / "reference.log")])
    updates = incremental.measure_built(made.archive, root, size, args.runs,
                                        INCREMENTAL_SCENARIOS)
    sets = {name: _read_jsonl(path) for name, path in made.query_files.items()}
    latency = {name: queries.measure(root, None, items, args.passes,
                                     args.cold_runs if name == "clean" else 0)
               for name, items in sets.items()}
    quality = {name: run_eval(root, load_queries(path)).as_dict()["metrics"]["all"]
               for name, path in made.query_files.items()}
    served = http.measure(root, made.archive, args, [q for qs in sets.values() for q in qs])
    return {"size": size, "seed": args.seed, "jobs": args.jobs, "archive": made.manifest,
            "build": ours, "reference": reference, "incremental": updates,
            "queries": latency, "eval": quality, "http": served}


def _page(result: dict, kind: str) -> dict:
    return next(r for r in result["rows"] if r["engine"] == "page" and r["kind"] == kind)


def _tables(rows: list[dict]) -> str:
    building = common.table(
        ["articles", "make archive s", "build s", "articles/s", "peak MB", "largest proc MB",
         "index MB", "ref index MB", "size ours/ref", "no-op s", "1% changed s"],
        [[r["size"], r["archive"]["total_s"], r["build"]["wall_s"], r["build"]["docs_per_s"],
          r["build"]["peak_tree_mb"], r["build"]["max_process_mb"], r["build"]["index_mb"],
          *((r["reference"]["index_mb"], r["build"]["index_mb"] / r["reference"]["index_mb"])
            if r["reference"] else ("", "")),
          *(u["wall_s"] for u in r["incremental"])] for r in rows])
    serving = common.table(
        ["articles", "set", "queries", "MRR@10", "p50 ms", "p95 ms", "max ms",
         "first pass p95 ms"],
        [[r["size"], name, _page(result, "all")["queries"], r["eval"][name]["mrr"],
          _page(result, "all")["p50"], _page(result, "all")["p95"],
          _page(result, "all")["max"], _page(result, queries.FIRST_PASS)["p95"]]
         for r in rows for name, result in r["queries"].items()])
    http_rows = common.table(
        ["articles", "concurrency", "ok req/s", "p50 ms", "p95 ms", "p99 ms", "errors",
         "serve RSS MB after /healthz", "serve RSS MB after load", "serve PSS MB after load"],
        [[r["size"], h["concurrency"], h["ok_per_s"], h["p50"], h["p95"], h["p99"],
          h["errors"],
          r["http"]["rss_start_mb"], r["http"]["rss_end_mb"], r["http"]["pss_end_mb"]]
         for r in rows for h in r["http"]["rows"]])
    return "\n\n".join([building, serving, http_rows])


def _options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                        help=f"seed of the recipe [default: {DEFAULT_SEED}]")
    parser.add_argument("--jobs", type=int, help="`vnsearch index --jobs` [default: every CPU]")
    parser.add_argument("--reference", action="store_true",
                        help="also build plain Whoosh for the size ratio (doubles the time)")
    parser.add_argument("--passes", type=int, default=3,
                        help="passes over each query set, the first also reported alone "
                        "[default: 3]")
    parser.add_argument("--concurrency", default="1,4,16",
                        help="HTTP client threads [default: 1,4,16]")
    parser.add_argument("--duration", type=float,
                        help="seconds of HTTP load per concurrency [default: 20; --quick: 3]")
    parser.add_argument("--warmup", type=float,
                        help="seconds of unmeasured HTTP load first [default: 5; --quick: 1]")
    parser.add_argument("--json", type=Path, default=common.OUT / "scale.json",
                        help="where the raw numbers go [default: bench/out/scale.json]")


def main(argv: list[str] | None = None) -> Result:
    args = common.parse_options(DESCRIPTION, argv, sizes="500000", runs=1,
                                quick_sizes="1000", quick_runs=1, extra=_options)
    args.duration = args.duration or (3.0 if args.quick else 20.0)
    args.warmup = args.warmup if args.warmup is not None else (1.0 if args.quick else 5.0)
    args.cold_runs = 3 if args.quick else queries.COLD_RUNS
    if reason := common.corpus_missing():
        return common.skipped(reason)
    rows = []
    for size in (int(part) for part in args.sizes.split(",")):
        rows.append(measure(size, args))
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"machine": common.machine(), "rows": rows},
                                        indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    jobs = f"--jobs {args.jobs}" if args.jobs else "every CPU"
    notes = [
        f"Synthetic archives (recipe {RECIPE}, seed {args.seed}) of real paragraphs, see "
        "bench/scale.py; the public queries' articles are in them whole.",
        f"Build: one `vnsearch index --full` ({jobs}), wall time with start-up; peak MB is "
        "the sampled RSS sum of the process tree, largest proc the biggest process's peak. "
        "The reference (plain Whoosh) only with --reference.",
        f"Incremental: median of {args.runs} run(s) on fresh copies of the archive and index.",
        f"Queries: page work in process (snippets, facets, suggestion), {args.passes} "
        "passes after a warm-up of 20 queries, median of each statistic; first pass: the "
        "first of them, where common words' posting lists are decoded. MRR@10 from `vnsearch eval`'s code on the adapted query sets.",
        f"HTTP: `vnsearch serve` defaults, both query sets, {args.duration:g} s per "
        f"concurrency, median of {args.runs}; RSS summed over the server's processes (each "
        "counts the pages of the index it maps), PSS counts each shared page once in all.",
    ]
    return common.report("Scale", _tables(rows), notes, rows)


if __name__ == "__main__":
    main()
