"""``vnsearch eval``: known-item relevance on a set of queries, per kind and overall.

A query's relevant ids are archive file stems (``vntc-train-xh-vne-12`` for
``…/vntc-train-xh-vne-12.txt``), so the same query file works whatever the folder layout.
Besides ranking, it measures diacritic restoration: for queries typed without marks, the
share of suggested syllables equal to the relevant article's title syllables.
"""

from __future__ import annotations

import json
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .analysis import SYLLABLE_RE, has_diacritics, nfc
from .i18n import _
from .search import ArchiveSearcher, SearchParams


@dataclass(frozen=True)
class EvalQuery:
    qid: str
    query: str
    relevant: frozenset[str]
    kind: str


@dataclass
class Outcome:
    item: EvalQuery
    rank: int | None  # 1-based rank of the first relevant hit within k, None if absent
    total: int
    seconds: float
    first: str | None  # what ranked first: "stem — title"
    restoration: tuple[int, int] | None = None  # (syllables right, syllables compared)


@dataclass
class EvalReport:
    k: int
    outcomes: list[Outcome] = field(default_factory=list)

    def by_kind(self) -> dict[str, list[Outcome]]:
        groups: dict[str, list[Outcome]] = defaultdict(list)
        for outcome in self.outcomes:
            groups[outcome.item.kind].append(outcome)
        return dict(sorted(groups.items()))

    def restoration_accuracy(self) -> float | None:
        pairs = [o.restoration for o in self.outcomes if o.restoration]
        compared = sum(n for _, n in pairs)
        return sum(r for r, _ in pairs) / compared if compared else None

    def as_dict(self, failures: int = 0) -> dict:
        rows = {kind: _metrics(group) for kind, group in self.by_kind().items()}
        rows["all"] = _metrics(self.outcomes)
        worst = sorted(self.outcomes, key=lambda o: (o.rank or self.k + 1), reverse=True)
        return {
            "k": self.k,
            "metrics": rows,
            "restoration_accuracy": self.restoration_accuracy(),
            "failures": [
                {"qid": o.item.qid, "query": o.item.query, "kind": o.item.kind,
                 "rank": o.rank, "first": o.first}
                for o in worst[:failures] if o.rank != 1
            ],
        }


def _metrics(outcomes: list[Outcome]) -> dict:
    n = len(outcomes) or 1
    times = sorted(o.seconds * 1000 for o in outcomes)
    return {
        "queries": len(outcomes),
        "mrr": sum(1 / o.rank for o in outcomes if o.rank) / n,
        "success@1": sum(1 for o in outcomes if o.rank == 1) / n,
        "success@k": sum(1 for o in outcomes if o.rank) / n,
        "zero_results": sum(1 for o in outcomes if o.total == 0),
        "median_ms": statistics.median(times) if times else 0.0,
        "p95_ms": times[min(len(times) - 1, int(len(times) * 0.95))] if times else 0.0,
    }


def load_queries(path: Path) -> list[EvalQuery]:
    items = []
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                items.append(EvalQuery(str(record["qid"]), str(record["query"]),
                                       frozenset(record["relevant"]), str(record.get("kind", "all"))))
            except (ValueError, KeyError, TypeError) as err:
                raise ValueError(_("{path}, line {number}: not a query record ({error})").format(
                    path=path, number=number, error=err)) from None
    return items


def _stem(doc_id: str) -> str:
    return PurePosixPath(doc_id).stem


def run_eval(index_root: Path, items: list[EvalQuery], k: int = 10) -> EvalReport:
    searcher = ArchiveSearcher(index_root)
    report = EvalReport(k=k)
    by_stem = {_stem(doc_id): doc_id for doc_id in searcher.ids()}
    for item in items:
        started = time.perf_counter()
        results = searcher.search(SearchParams(q=item.query, per_page=k), facets=False,
                                  snippets=False, suggest=False)
        seconds = time.perf_counter() - started
        rank = next((h.rank for h in results.hits if _stem(h.id) in item.relevant), None)
        first = f"{_stem(results.hits[0].id)} — {results.hits[0].title}" if results.hits else None
        outcome = Outcome(item, rank, results.total, seconds, first)
        if not has_diacritics(item.query):
            outcome.restoration = _restoration(searcher, item, by_stem)
        report.outcomes.append(outcome)
    return report


def _restoration(searcher: ArchiveSearcher, item: EvalQuery,
                 by_stem: dict[str, str]) -> tuple[int, int] | None:
    """Compare the restored (or corrected) query with the relevant article's title,
    syllable by syllable."""
    relevant = [by_stem[s] for s in item.relevant if s in by_stem]
    if not item.kind.startswith("title") or not relevant:
        return None
    view = searcher.article(relevant[0], related=0)
    results = searcher.search(SearchParams(q=item.query), facets=False, snippets=False)
    restored = SYLLABLE_RE.findall(
        (results.suggestion or results.corrected or item.query).lower())
    truth = SYLLABLE_RE.findall(nfc(view.title).lower())
    if len(truth) != len(restored):
        return None
    return sum(1 for a, b in zip(restored, truth) if a == b), len(truth)


def format_report(report: EvalReport, failures: int = 0) -> str:
    data = report.as_dict(failures)
    k = data["k"]
    kind_header, zero_header = _("kind"), _("zero")
    lines = [f"{kind_header:<24}{'n':>5}{'MRR@' + str(k):>9}{'S@1':>7}{'S@' + str(k):>7}"
             f"{zero_header:>6}{'p50 ms':>9}{'p95 ms':>9}"]
    for kind, m in data["metrics"].items():
        lines.append(f"{kind:<24}{m['queries']:>5}{m['mrr']:>9.3f}{m['success@1']:>7.2f}"
                     f"{m['success@k']:>7.2f}{m['zero_results']:>6}{m['median_ms']:>9.1f}"
                     f"{m['p95_ms']:>9.1f}")
    if data["restoration_accuracy"] is not None:
        lines.append(_("diacritic restoration (syllables right): {share}").format(
            share=f"{data['restoration_accuracy']:.3f}"))
    for f in data["failures"]:
        lines.append("  " + _("{qid} [{kind}] rank {rank}: {query}").format(
            qid=f["qid"], kind=f["kind"], rank=f["rank"] or "-", query=f["query"]))
        lines.append("      " + _("first: {title}").format(title=f["first"]))
    return "\n".join(lines)
