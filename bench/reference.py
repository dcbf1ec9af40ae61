"""The reference engine: plain Whoosh with StandardAnalyzer over title + body.

It is the yardstick for our numbers: what Whoosh costs with no Vietnamese analysis at all,
built and searched the textbook way. It reads the archive through the project's own
reader (``indexer.articles``) so that both builds pay the same reading and cleaning cost
and differ only in analysis and writing.

Run as a module to build an index in a fresh process (so its time and memory can be
measured from outside, like ``vnsearch index``):

    python -m bench.reference ARCHIVE INDEX_DIR
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.analysis import StandardAnalyzer
from whoosh.fields import ID, TEXT, Schema
from whoosh.qparser import AndGroup, MultifieldParser

from indexer.articles import ArticleError, read_article, scan_archive

WRITER_MEMORY_MB = 256  # twice Whoosh's default posting pool, a fair everyday setting
LIMIT = 10


def reference_schema() -> Schema:
    return Schema(
        id=ID(stored=True),
        title=TEXT(analyzer=StandardAnalyzer(), stored=True),
        body=TEXT(analyzer=StandardAnalyzer(), stored=True),
    )


def build_reference(archive: Path, index_dir: Path) -> int:
    """Build from scratch with one single-process writer; returns the documents written."""
    shutil.rmtree(index_dir, ignore_errors=True)
    index_dir.mkdir(parents=True)
    ix = whoosh_index.create_in(str(index_dir), reference_schema())
    writer = ix.writer(limitmb=WRITER_MEMORY_MB)
    written = 0
    for file in scan_archive(archive).files:
        try:
            article = read_article(archive, file)
        except ArticleError:
            continue  # our build rejects the same files
        writer.add_document(id=article.id, title=article.title, body=article.body)
        written += 1
    writer.commit()
    return written


class ReferenceSearcher:
    """Top 10 by BM25F, all words required, the fields of each hit read (as a page would)."""

    def __init__(self, index_dir: Path):
        self._index = whoosh_index.open_dir(str(index_dir))
        self._parser = MultifieldParser(["title", "body"], self._index.schema, group=AndGroup)
        self._searcher = self._index.searcher()

    def search(self, text: str) -> list[dict]:
        results = self._searcher.search(self._parser.parse(text), limit=LIMIT)
        return [hit.fields() for hit in results]

    def close(self) -> None:
        self._searcher.close()


def main() -> None:
    parser = argparse.ArgumentParser(description="Build the reference index of an archive.")
    parser.add_argument("archive", type=Path)
    parser.add_argument("index_dir", type=Path)
    args = parser.parse_args()
    written = build_reference(args.archive, args.index_dir)
    print(f"reference index of {written} documents in {args.index_dir}")


if __name__ == "__main__":
    main()
