"""``vnsearch check``: the indexer's validation without indexing, for librarians."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from .abbreviations import AbbreviationSource
from .articles import ArticleError, read_or_reject, scan_archive
from .categories import CategorySource
from .conffile import LibrarianFile


@dataclass
class CheckReport:
    files: int = 0
    valid: int = 0
    skipped: int = 0
    rejected: list[ArticleError] = field(default_factory=list)
    duplicates: list[list[str]] = field(default_factory=list)
    """Ids of exact duplicates (``Article.text_hash``), each group sorted: the index shows
    the first and names the others on its page."""
    undated: list[str] = field(default_factory=list)
    abbreviations: list[str] = field(default_factory=list)
    """Lines of the archive's abbreviations.conf that cannot be used, with their reason."""
    categories: list[str] = field(default_factory=list)
    """Lines of the archive's categories.conf that cannot be used, with their reason."""


def check_archive(archive: Path, max_bytes: int) -> CheckReport:
    scan = scan_archive(archive)
    report = CheckReport(files=len(scan.files), skipped=scan.skipped, rejected=list(scan.rejected))
    by_text: dict[str, list[str]] = defaultdict(list)
    for file in scan.files:
        article = read_or_reject(archive, file, max_bytes)
        if isinstance(article, ArticleError):
            report.rejected.append(article)
            continue
        report.valid += 1
        by_text[article.text_hash].append(article.id)
        if not article.date:
            report.undated.append(article.id)
    report.duplicates = sorted(ids for ids in by_text.values() if len(ids) > 1)
    report.abbreviations = _problems(AbbreviationSource(archive))
    report.categories = _problems(CategorySource(archive))
    return report


def _problems(source: LibrarianFile) -> list[str]:
    source.current()
    return source.problems
