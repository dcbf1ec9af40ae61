"""Topical (ad-hoc) relevance: run, pool, judge and score short topical queries.

Known-item sets (``shared/eval``) say which engine finds *the* article; they say nothing
about a short query such as "giá xăng tăng", where hundreds of articles match and the
question is which ten are best. This follows the recipe of ``shared/eval/README.md``
("Topical (ad-hoc) relevance"): pool the top 10 of several systems, judge every pooled
article 0 / 1 / 2 from its title and first 700 characters, score nDCG@10 with gain
2^grade - 1. The queries and the judgments live in ``bench/topical/``; runs and judging
packets quote or point at corpus text, so they go to ``bench/out/`` (git-ignored).

Subcommands:

- ``run --system vnsearch --index DIR --out FILE``: vnsearch's top 10, through the code of
  the *current directory's* checkout, so one script measures any version of vnsearch
  (``cd other-checkout && .venv/bin/python path/to/bench/topical.py run ...``);
- ``build-peer`` / ``run --system peer``: the naive peer "b" of ``shared/eval/PEERS.md``
  (Whoosh, diacritics folded, any of the words, title boost 2, BM25F), a fixed yardstick;
- ``pool``: the articles of the given runs' top 10s not judged yet, shuffled per query and
  stripped of which system found them, as packets to judge;
- ``score``: nDCG@10 per run, overall and per kind, with each run's unjudged count.

Run files are TSV ``qid<TAB>rank<TAB>docid``; qrels are TSV ``qid<TAB>docid<TAB>grade``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import random
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

if __package__ in (None, "") and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    # `python bench/topical.py`: the bench folder itself on sys.path would shadow the standard
    # library's `http` with bench/http.py (see bench/__init__.py); nothing here needs it.
    del sys.path[0]

DEPTH = 10
"""Pool and score depth: the first page a reader sees."""
PACKET_CHARS = 700
"""How much of the body a judge sees, as the recipe says."""
KIND_LABELS = {"topical": "marked", "topical_nodiacritics": "unmarked"}

Queries = list[dict]
Run = dict[str, list[str]]
"""qid -> ranked docids (at most DEPTH)."""
Qrels = dict[str, dict[str, int]]
"""qid -> docid -> grade."""


# --- files -----------------------------------------------------------------------------

def read_queries(path: Path) -> Queries:
    with open(path, encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def read_run(path: Path) -> Run:
    """A run file, ranks sorted; any depth is cut to DEPTH so deeper runs score the same."""
    ranked: dict[str, list[tuple[int, str]]] = defaultdict(list)
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                qid, rank, docid = line.rstrip("\n").split("\t")
                ranked[qid].append((int(rank), docid))
    return {qid: [d for _, d in sorted(pairs)][:DEPTH] for qid, pairs in ranked.items()}


def write_run(path: Path, run: Run) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as out:
        for qid, docids in run.items():
            for rank, docid in enumerate(docids, 1):
                out.write(f"{qid}\t{rank}\t{docid}\n")


def read_qrels(path: Path) -> Qrels:
    """Judgments so far; a missing file means nothing is judged yet (the first pool)."""
    qrels: Qrels = defaultdict(dict)
    if path.exists():
        with open(path, encoding="utf-8") as lines:
            for line in lines:
                if line.strip() and not line.startswith("#"):
                    qid, docid, grade = line.rstrip("\n").split("\t")
                    qrels[qid][docid] = int(grade)
    return qrels


def corpus_articles(corpus: Path, tiers: Iterable[str]) -> Iterator[dict]:
    for tier in tiers:
        for shard in sorted(corpus.glob(f"vntc-{tier}-*.jsonl.gz")):
            with gzip.open(shard, "rt", encoding="utf-8") as lines:
                for line in lines:
                    yield json.loads(line)


# --- systems ---------------------------------------------------------------------------

def run_vnsearch(queries: Queries, index: Path) -> Run:
    """vnsearch's first page for each query, as corpus ids (a hit's id is an archive path
    such as ``the-thao/vntc-test-tt-vne-123.txt``, whose stem is the corpus id).

    ``indexer`` is imported from the current directory, not from this script's checkout,
    so that the version measured is the one you stand in."""
    sys.path.insert(0, os.getcwd())
    from indexer.search import ArchiveSearcher, SearchParams

    searcher = ArchiveSearcher(Path(index))
    run: Run = {}
    for query in queries:
        found = searcher.search(SearchParams(q=query["query"], per_page=DEPTH),
                                facets=False, snippets=False, suggest=False)
        run[query["qid"]] = [Path(hit.id).stem for hit in found.hits][:DEPTH]
    return run


def peer_schema():
    """Peer b exactly: syllables, lowercased, marks folded (đ too), title boosted 2x."""
    from whoosh.analysis import CharsetFilter, LowercaseFilter, RegexTokenizer
    from whoosh.fields import ID, TEXT, Schema
    from whoosh.support.charset import accent_map

    folding = dict(accent_map)
    folding.update({ord("đ"): "d", ord("Đ"): "D"})  # already there; PEERS.md adds it too
    analyzer = RegexTokenizer() | LowercaseFilter() | CharsetFilter(folding)
    return Schema(id=ID(stored=True, unique=True),
                  title=TEXT(analyzer=analyzer, field_boost=2.0),
                  body=TEXT(analyzer=analyzer))


def build_peer(corpus: Path, tiers: list[str], index: Path) -> int:
    from whoosh import index as whoosh_index

    index.mkdir(parents=True, exist_ok=True)
    ix = whoosh_index.create_in(str(index), peer_schema())
    writer = ix.writer(procs=2, limitmb=512)
    count = 0
    for article in corpus_articles(corpus, tiers):
        writer.add_document(id=article["id"], title=article["title"], body=article["body"])
        count += 1
    writer.commit()
    return count


def run_peer(queries: Queries, index: Path) -> Run:
    """Peer b's defaults: any of the words (OrGroup 0.9) over title and body, BM25F."""
    from whoosh import index as whoosh_index
    from whoosh.qparser import MultifieldParser, OrGroup

    ix = whoosh_index.open_dir(str(index))
    parser = MultifieldParser(["title", "body"], ix.schema, group=OrGroup.factory(0.9))
    run: Run = {}
    with ix.searcher() as searcher:
        for query in queries:
            hits = searcher.search(parser.parse(query["query"]), limit=DEPTH)
            run[query["qid"]] = [hit["id"] for hit in hits]
    return run


# --- pooling ---------------------------------------------------------------------------

def unjudged_pool(queries: Queries, runs: list[Run], qrels: Qrels) -> dict[str, list[str]]:
    """Per query, the union of the runs' top 10s minus what is judged already, so a new
    system's run costs only the judging of what it alone brings."""
    pool: dict[str, list[str]] = {}
    for query in queries:
        qid = query["qid"]
        seen: dict[str, None] = {}
        for run in runs:
            for docid in run.get(qid, [])[:DEPTH]:
                if docid not in qrels.get(qid, {}):
                    seen[docid] = None
        pool[qid] = list(seen)
    return pool


def packets(queries: Queries, pool: dict[str, list[str]], corpus: Path,
            seed: int) -> list[dict]:
    """Judging packets: query, id, title and the body's first 700 characters, and nothing
    about rank or system. Shuffled within each query so that order cannot give it away."""
    wanted = {docid for docids in pool.values() for docid in docids}
    texts: dict[str, dict] = {}
    for article in corpus_articles(corpus, ["core", "extra"]):
        if article["id"] in wanted:
            texts[article["id"]] = article
            if len(texts) == len(wanted):
                break
    missing = wanted - texts.keys()
    if missing:
        raise SystemExit(f"not in the corpus: {sorted(missing)[:5]} …")
    rng = random.Random(seed)
    out = []
    for query in queries:
        docids = list(pool[query["qid"]])
        rng.shuffle(docids)
        for docid in docids:
            article = texts[docid]
            out.append({"qid": query["qid"], "query": query["query"], "docid": docid,
                        "title": article["title"], "text": article["body"][:PACKET_CHARS]})
    return out


# --- scoring ---------------------------------------------------------------------------

def dcg(grades: Iterable[int]) -> float:
    """Gain 2^grade - 1 at log2(rank + 1): a "mainly about it" article is worth three
    "discusses it" ones, and the first places count most."""
    return sum((2 ** g - 1) / math.log2(rank + 2) for rank, g in enumerate(grades))


def ndcg(ranked: list[str], judged: dict[str, int]) -> float:
    """nDCG@10; the ideal ranking is drawn from every judged article of the query, so a
    run is compared with the best ten the pool knows of. Unjudged articles count 0."""
    ideal = dcg(sorted(judged.values(), reverse=True)[:DEPTH])
    if ideal == 0:
        return 0.0
    return dcg(judged.get(d, 0) for d in ranked[:DEPTH]) / ideal


def score_run(queries: Queries, run: Run, qrels: Qrels) -> dict[str, float | int]:
    per_kind: dict[str, list[float]] = defaultdict(list)
    unjudged = empty = 0
    for query in queries:
        ranked = run.get(query["qid"], [])
        judged = qrels.get(query["qid"], {})
        value = ndcg(ranked, judged)
        per_kind["all"].append(value)
        per_kind[KIND_LABELS.get(query["kind"], query["kind"])].append(value)
        unjudged += sum(1 for d in ranked[:DEPTH] if d not in judged)
        empty += not ranked
    row: dict[str, float | int] = {k: sum(v) / len(v) for k, v in per_kind.items()}
    row["unjudged"] = unjudged
    row["empty"] = empty
    return row


def score_table(queries: Queries, runs: dict[str, Run], qrels: Qrels) -> str:
    counts = defaultdict(int)
    for query in queries:
        counts[KIND_LABELS.get(query["kind"], query["kind"])] += 1
    kinds = [k for k in ("marked", "unmarked") if counts[k]]
    header = (["run", f"all ({len(queries)})"] + [f"{k} ({counts[k]})" for k in kinds]
              + ["unjudged in top 10", "no results"])
    lines = ["| " + " | ".join(header) + " |", "| --- |" + " ---: |" * (len(header) - 1)]
    for name, run in runs.items():
        row = score_run(queries, run, qrels)
        cells = [name, f"{row['all']:.3f}"] + [f"{row[k]:.3f}" for k in kinds]
        cells += [str(row["unjudged"]), str(row["empty"])]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


# --- command line ----------------------------------------------------------------------

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    here = Path(__file__).resolve().parent / "topical"
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="top 10 of one system for every query")
    run.add_argument("--system", choices=["vnsearch", "peer"], required=True)
    run.add_argument("--index", type=Path, required=True)
    run.add_argument("--out", type=Path, required=True)
    run.add_argument("--queries", type=Path, default=here / "queries.jsonl")

    build = sub.add_parser("build-peer", help="index the corpus for peer b")
    build.add_argument("--corpus", type=Path, required=True)
    build.add_argument("--tiers", nargs="+", default=["core"], choices=["core", "extra"])
    build.add_argument("--index", type=Path, required=True)

    pool = sub.add_parser("pool", help="unjudged articles of the runs, as judging packets")
    pool.add_argument("--queries", type=Path, default=here / "queries.jsonl")
    pool.add_argument("--runs", type=Path, nargs="+", required=True)
    pool.add_argument("--qrels", type=Path, default=here / "qrels.tsv")
    pool.add_argument("--corpus", type=Path, default=Path("../shared/corpus"))
    pool.add_argument("--out", type=Path, required=True)
    pool.add_argument("--seed", type=int, default=1)

    score = sub.add_parser("score", help="nDCG@10 per run, as a Markdown table")
    score.add_argument("--queries", type=Path, default=here / "queries.jsonl")
    score.add_argument("--qrels", type=Path, default=here / "qrels.tsv")
    score.add_argument("--runs", type=Path, nargs="+", required=True)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.command == "build-peer":
        count = build_peer(args.corpus, args.tiers, args.index)
        print(f"indexed {count} articles into {args.index}")
    elif args.command == "run":
        queries = read_queries(args.queries)
        system = run_vnsearch if args.system == "vnsearch" else run_peer
        run = system(queries, args.index)
        write_run(args.out, run)
        print(f"{len(run)} queries, {sum(map(len, run.values()))} results -> {args.out}")
    elif args.command == "pool":
        queries = read_queries(args.queries)
        pool = unjudged_pool(queries, [read_run(p) for p in args.runs], read_qrels(args.qrels))
        found = packets(queries, pool, args.corpus, args.seed)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        with open(args.out, "w", encoding="utf-8") as out:
            for packet in found:
                out.write(json.dumps(packet, ensure_ascii=False) + "\n")
        print(f"{len(found)} articles to judge for "
              f"{sum(1 for d in pool.values() if d)} queries -> {args.out}")
    elif args.command == "score":
        queries = read_queries(args.queries)
        runs = {p.stem: read_run(p) for p in args.runs}
        print(score_table(queries, runs, read_qrels(args.qrels)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
