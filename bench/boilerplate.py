"""What the boilerplate rules remove from the shared corpus, and a sample to check by hand.

Each article's body is cleaned the way ``vnsearch index`` cleans it (``clean_text``, then
``boilerplate.trim_trailing``), and every removed line is counted under the rule that took
it. A rule that cuts real text would show up here first, so after any change to
``indexer/boilerplate.py`` run this and read the sample: for each touched article it prints
the last paragraphs kept (shortened) and every line removed, with its rule.

Residue the rules leave on purpose is counted too: related-headline lists and polls in the
middle of an article (the text goes on after them), which only trailing rules never touch.

The sample quotes corpus text, so it goes to the terminal only, never into a tracked file.

    .venv/bin/python bench/boilerplate.py [--sample 30] [--seed 17] [--rule related]
                                          [--limit N] [--corpus DIR]
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from indexer.articles import clean_text  # noqa: E402
from indexer.boilerplate import RULES, is_related_headline, trim_trailing  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus"
KEPT_SHOWN = 2
"""Paragraphs kept above the cut that the sample shows, to judge where it fell."""
SHOWN_CHARS = 160


def records(corpus: Path, limit: int | None) -> Iterator[dict]:
    """Core then extra articles, shards in order (the corpus README's reading recipe)."""
    shards = sorted(corpus.glob("vntc-core-*.jsonl.gz")) + sorted(corpus.glob("vntc-extra-*.jsonl.gz"))
    count = 0
    for shard in shards:
        with gzip.open(shard, "rt", encoding="utf-8") as fh:
            for line in fh:
                if limit is not None and count >= limit:
                    return
                count += 1
                yield json.loads(line)


def _short(text: str) -> str:
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS - 1] + "…"


def _mid_article(body: str) -> set[str]:
    """Which kinds of residue still stand in the kept text (followed by more text)."""
    kinds = set()
    for line in body.split("\n"):
        if is_related_headline(line):
            kinds.add("related")
        elif line.strip().lower().startswith("tổng cộng") and line.rstrip().endswith("phiếu"):
            kinds.add("poll")
    return kinds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--sample", type=int, default=30, help="touched articles to print")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--rule", choices=RULES, help="sample only articles this rule touched")
    parser.add_argument("--limit", type=int, help="read only the first N articles (core first)")
    args = parser.parse_args(argv)
    if not (args.corpus / "manifest.json").is_file():
        print(f"skipped: the shared corpus is not available at {args.corpus}")
        return 0

    articles = 0
    touched: Counter = Counter()
    lines: Counter = Counter()
    left: Counter = Counter()
    pool: list[tuple[str, str, list[tuple[str, str]]]] = []
    for record in records(args.corpus, args.limit):
        articles += 1
        trimmed = trim_trailing(clean_text(record["body"]))
        rules = {rule for rule, _ in trimmed.removed}
        touched.update(rules)
        lines.update(rule for rule, _ in trimmed.removed)
        if rules & {"related", "poll"}:
            touched["related or poll"] += 1
        left.update(_mid_article(trimmed.body))
        if rules and (args.rule is None or args.rule in rules):
            pool.append((record["id"], trimmed.body, trimmed.removed))

    print(f"{articles:,} articles read from {args.corpus}")
    print(f"{'rule':<16} {'articles':>9} {'share':>7} {'lines':>8}")
    for rule in (*RULES, "related or poll"):
        share = touched[rule] / articles if articles else 0.0
        count = lines[rule] if rule in RULES else sum(lines[r] for r in ("related", "poll"))
        print(f"{rule:<16} {touched[rule]:>9,} {share:>7.2%} {count:>8,}")
    print(f"left in the middle of an article: related-headline lines in {left['related']:,}, "
          f"poll totals in {left['poll']:,}")

    sample = random.Random(args.seed).sample(pool, min(args.sample, len(pool)))
    for article_id, body, removed in sample:
        print(f"\n== {article_id}")
        kept = [p for p in body.split("\n\n") if p.strip()][-KEPT_SHOWN:]
        for paragraph in kept:
            print(f"   kept     | {_short(paragraph)}")
        for rule, line in reversed(removed):
            print(f"   {rule:<8} x {_short(line.strip())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
