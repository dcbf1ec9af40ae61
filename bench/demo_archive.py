"""Fill ``archive/`` with the demo articles: the seed article's nearest neighbours in the
shared corpus, plus a few articles of every other category.

The product is "the seed article and related news", so a fresh clone should search a few
hundred real articles around it, not the seed alone. This script picks them and writes
them with ``vnsearch import``'s own code, so they are ordinary archive files with front
matter (title, category, publisher):

- **related**: the ``--related`` core articles most similar to the seed, by tf-idf cosine
  over syllables and adjacent syllable pairs (lowercase, one tone-mark style). Pairs stand
  in for pyvi's compounds ("cơ quan", "trung ương") at a fraction of the cost: segmenting
  the 50,000 core articles with pyvi takes minutes, this takes about two.
- **spread**: the first ``--per-category`` core articles of each other category, in corpus
  order. The core is stored in a seeded random order, so these are a uniform sample of the
  category; they give the category facet something to mean and everyday queries ("bóng
  đá", "giá vàng") something to find.

Only core articles are used: every one has a real headline. Re-running replaces the
files it wrote before (``vntc-*.txt`` anywhere in the archive) and leaves every other
file alone, the seed included. The picks depend only on the corpus and the options, so
a re-run writes the same files.

    .venv/bin/python bench/demo_archive.py [--related 300] [--per-category 12]
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from indexer.analysis import syllable_keys  # noqa: E402
from indexer.articles import read_article, scan_archive  # noqa: E402
from indexer.importer import import_jsonl  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus"
ARCHIVE = REPO / "archive"
SEED_ID = "chinh-tri/70-nam-truyen-thong-dang-bo-khoi-cac-co-quan-trung-uong.txt"
SEED_CATEGORY = "Chính trị - Xã hội"
DEMO_GLOB = "vntc-*.txt"


def core_records(corpus: Path) -> Iterator[dict]:
    """Every core article, shards in order (the corpus README's reading recipe)."""
    for shard in sorted(corpus.glob("vntc-core-*.jsonl.gz")):
        with gzip.open(shard, "rt", encoding="utf-8") as fh:
            for line in fh:
                yield json.loads(line)


def terms(title: str, body: str) -> Counter:
    """Syllables and adjacent syllable pairs of an article: the tf-idf vocabulary."""
    keys = syllable_keys(f"{title}\n{body}")
    counts = Counter(keys)
    counts.update(f"{a} {b}" for a, b in zip(keys, keys[1:]))
    return counts


def weights(tf: Counter, idf: dict[str, float]) -> dict[str, float]:
    """Sublinear tf times idf, so one repeated name does not outweigh the topic."""
    return {t: (1 + math.log(n)) * idf[t] for t, n in tf.items() if t in idf}


def nearest(corpus: Path, seed: Counter, count: int) -> list[tuple[float, dict]]:
    """The ``count`` core records most similar to the seed (cosine), best first."""
    df: Counter = Counter()
    total = 0
    for record in core_records(corpus):
        df.update(terms(record["title"], record["body"]).keys())
        total += 1
    idf = {t: math.log(total / n) for t, n in df.items()}
    seed_w = weights(seed, idf)
    seed_norm = math.sqrt(sum(w * w for w in seed_w.values()))
    scored: list[tuple[float, str, dict]] = []
    for record in core_records(corpus):
        doc_w = weights(terms(record["title"], record["body"]), idf)
        dot = sum(w * doc_w[t] for t, w in seed_w.items() if t in doc_w)
        if dot:
            norm = math.sqrt(sum(w * w for w in doc_w.values()))
            scored.append((dot / (norm * seed_norm), record["id"], record))
    scored.sort(key=lambda s: (-s[0], s[1]))
    return [(score, record) for score, _, record in scored[:count]]


def spread(corpus: Path, per_category: int, taken: set[str]) -> list[dict]:
    """The first ``per_category`` core records of every category but the seed's."""
    picked: dict[str, list[dict]] = {}
    for record in core_records(corpus):
        category = record["category"]
        if category == SEED_CATEGORY or record["id"] in taken:
            continue
        bucket = picked.setdefault(category, [])
        if len(bucket) < per_category:
            bucket.append(record)
    return [record for category in sorted(picked) for record in picked[category]]


def write(archive: Path, records: list[dict]) -> int:
    """Replace the demo files in the archive with ``records``; returns how many were written."""
    for old in archive.rglob(DEMO_GLOB):
        old.unlink()
    keys = ("id", "title", "body", "category", "source")
    with tempfile.TemporaryDirectory() as tmp:
        dump = Path(tmp) / "demo.jsonl"
        with open(dump, "w", encoding="utf-8") as fh:
            for record in records:
                fh.write(json.dumps({k: record[k] for k in keys}, ensure_ascii=False) + "\n")
        report = import_jsonl([dump], archive, overwrite=True)
    if report.errors:
        raise SystemExit("could not write: " + "; ".join(report.errors))
    return report.written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--related", type=int, default=300,
                        help="nearest neighbours of the seed article (default 300)")
    parser.add_argument("--per-category", type=int, default=12,
                        help="articles from each other category (default 12)")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--archive", type=Path, default=ARCHIVE)
    args = parser.parse_args()
    if not any(args.corpus.glob("vntc-core-*.jsonl.gz")):
        raise SystemExit(f"no core shards in {args.corpus}")
    seed_file = {f.id: f for f in scan_archive(args.archive).files}.get(SEED_ID)
    if seed_file is None:
        raise SystemExit(f"the seed article {SEED_ID} is not in {args.archive}")
    seed = read_article(args.archive, seed_file)

    related = nearest(args.corpus, terms(seed.title, seed.body), args.related)
    others = spread(args.corpus, args.per_category, {r["id"] for _, r in related})
    written = write(args.archive, [r for _, r in related] + others)

    print(f"Wrote {written} articles into {args.archive}: {len(related)} related "
          f"(cosine {related[-1][0]:.3f} to {related[0][0]:.3f}), {len(others)} spread.")
    by_category = Counter(r["category"] for _, r in related)
    by_category.update(r["category"] for r in others)
    for category, n in by_category.most_common():
        print(f"  {n:4d}  {category}")


if __name__ == "__main__":
    main()
