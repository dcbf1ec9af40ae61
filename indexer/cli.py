"""The ``vnsearch`` command: index, check, search, import, evaluate and serve an archive.

Exit status: 0 when everything was fine, 1 when some files were rejected (the rest was
indexed) or a check found problems, 2 for usage or fatal errors. Heavy modules (pyvi,
Whoosh, Flask) are imported inside the commands that need them, to keep start-up fast.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .articles import printable

ARCHIVE_OPTION = click.option(
    "--archive", "archive", type=click.Path(path_type=Path), envvar="VNSEARCH_ARCHIVE",
    default="archive", show_default=True, help="Folder of article files.",
)
INDEX_OPTION = click.option(
    "--index", "index_root", type=click.Path(path_type=Path), envvar="VNSEARCH_INDEX",
    default="index", show_default=True, help="Folder of the search index.",
)


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(2)


def _archive_must_exist(archive: Path) -> None:
    if not archive.is_dir():
        _fail(f"archive folder {archive} does not exist (use --archive or VNSEARCH_ARCHIVE)")


def _num(n: int) -> str:
    return f"{n:,}"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="vnsearch")
def main() -> None:
    """Search archives of Vietnamese news articles."""


@main.command()
@ARCHIVE_OPTION
@INDEX_OPTION
@click.option("--full", is_flag=True, help="Rebuild from scratch and swap it in atomically.")
@click.option("--jobs", type=click.IntRange(1, 64), default=None,
              help="Worker processes for reading and segmenting [default: CPU count].")
@click.option("--max-file-mb", type=click.FloatRange(0.001), default=5.0, show_default=True,
              help="Reject article files larger than this.")
@click.option("--verbose", "-v", is_flag=True, help="List every added, updated and deleted file.")
@click.option("--verify", is_flag=True,
              help="Change nothing: compare the index with the archive, exit 1 on any difference.")
@click.option("--allow-deletions", is_flag=True,
              help="Confirm a run that removes more than half of the indexed articles.")
def index(archive: Path, index_root: Path, full: bool, jobs: int | None, max_file_mb: float,
          verbose: bool, verify: bool, allow_deletions: bool) -> None:
    """Bring the index up to date with the archive (incremental unless --full)."""
    from .build import IndexWriteFailed, TooManyDeletions, build
    from .lock import IndexBusy
    from .progress import progress_lines

    _archive_must_exist(archive)
    if verify:
        _verify(archive, index_root, int(max_file_mb * 1024 * 1024))
    try:
        report = build(archive, index_root, full=full, jobs=jobs,
                       max_bytes=int(max_file_mb * 1024 * 1024),
                       progress=_progress_bar if sys.stdout.isatty() else progress_lines,
                       allow_deletions=allow_deletions)
    except (IndexBusy, IndexWriteFailed, TooManyDeletions) as err:
        _fail(str(err))
    except OSError as err:
        _fail(f"could not write the index in {index_root}: {err.strerror or err} "
              f"({err.filename or index_root}); the previous index is unchanged")
    kind = "full rebuild" if report.full else "incremental update"
    click.echo(f"Indexed {archive} into {index_root} ({kind}).")
    limit = None if verbose else 10
    _list("added", report.added, limit)
    _list("updated", report.updated, limit)
    _list("renamed", [f"{a} → {b}" for a, b in report.renamed], limit)
    _list("deleted", report.deleted, limit)
    if report.unreadable:
        _list("unreadable", report.unreadable, limit)  # kept: see the folder's rejection
    click.echo(f"  unchanged  {_num(report.unchanged)}")
    click.echo(f"  skipped    {_num(report.skipped)} (hidden files, editor backups, other kinds)")
    _list("rejected", [str(e) for e in report.rejected], None)
    click.echo(
        f"Done in {report.elapsed:.1f} s ({report.docs_per_second:.1f} documents/s); "
        f"the index holds {_num(report.documents)} articles."
    )
    sys.exit(1 if report.rejected else 0)


def _progress_bar(items):
    from tqdm import tqdm

    return tqdm(items, unit=" files", desc="Indexing", leave=False)


def _verify(archive: Path, index_root: Path, max_bytes: int) -> None:
    from .build import verify
    from .location import IndexMissing

    try:
        report = verify(archive, index_root, max_bytes)
    except IndexMissing as err:
        _fail(str(err))
    click.echo(f"Compared {index_root} ({_num(report.documents)} articles) with {archive}.")
    _list("missing", report.missing, None)
    _list("stale", report.stale, None)
    _list("orphaned", report.orphaned, None)
    _list("rejected", [str(e) for e in report.rejected], None)
    if report.in_sync:
        click.echo("The index matches the archive.")
        sys.exit(0)
    click.echo("The index differs from the archive: run `vnsearch index` to bring it up to date.")
    sys.exit(1)


def _list(label: str, items: list[str], limit: int | None) -> None:
    click.echo(f"  {label:<10} {_num(len(items))}")
    shown = items if limit is None else items[:limit]
    for item in shown:
        click.echo(f"    {printable(item)}")
    if len(shown) < len(items):
        click.echo(f"    … and {_num(len(items) - len(shown))} more (--verbose lists them all)")


@main.command()
@ARCHIVE_OPTION
@click.option("--max-file-mb", type=click.FloatRange(0.001), default=5.0, show_default=True)
def check(archive: Path, max_file_mb: float) -> None:
    """Validate the archive without indexing: rejected files, duplicates, undated articles."""
    from .checking import check_archive

    _archive_must_exist(archive)
    report = check_archive(archive, int(max_file_mb * 1024 * 1024))
    click.echo(f"Checked {_num(report.files)} files in {archive}: "
               f"{_num(report.valid)} articles are fine.")
    click.echo(f"  skipped    {_num(report.skipped)} (hidden files, editor backups, other kinds)")
    _list("rejected", [str(e) for e in report.rejected], None)
    _list("duplicates", [" = ".join(group) for group in report.duplicates], None)
    _list("no date", report.undated, 10)
    if report.abbreviations:
        _list("abbreviations", report.abbreviations, None)
    if report.categories:
        _list("categories", report.categories, None)
    sys.exit(1 if report.rejected or report.duplicates or report.abbreviations
             or report.categories else 0)


@main.command()
@click.argument("query")
@ARCHIVE_OPTION
@INDEX_OPTION
@click.option("--limit", type=click.IntRange(1, 50), default=10, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.option("--spell/--no-spell", default=True,
              help="Correct misspelt words before searching, or search exactly as typed.")
def search(query: str, archive: Path, index_root: Path, limit: int, as_json: bool,
           spell: bool) -> None:
    """Search the index and print ranked results with highlighted snippets."""
    from .location import IndexMissing
    from .search import ArchiveSearcher, SearchParams

    try:
        searcher = ArchiveSearcher(index_root, archive_root=archive)
        results = searcher.search(SearchParams(q=query, per_page=limit, spell=spell),
                                  facets=False)
    except IndexMissing as err:
        _fail(str(err))
    if as_json:
        click.echo(json.dumps({
            "query": query, "total": results.total, "suggestion": results.suggestion,
            "corrected": results.corrected,
            "hits": [{"path": h.id, "title": h.title, "snippet": str(h.snippet_html),
                      "score": round(h.score, 4)} for h in results.hits],
        }, ensure_ascii=False, indent=2))
        return
    click.echo(f"{_num(results.total)} results ({results.took_ms / 1000:.2f} s)")
    if results.corrected:
        click.echo(f"Showing results for: {results.corrected} (search exactly as typed: "
                   f"--no-spell)")
    if results.suggestion:
        click.echo(f"Did you mean: {results.suggestion}")
    for hit in results.hits:
        click.echo(f"\n{hit.rank}. {_terminal(hit.title, hit.title_spans)}  [{hit.score:.2f}]")
        click.echo(f"   {hit.id}")
        click.echo(f"   {_terminal(hit.snippet_text, hit.snippet_spans)}")


def _terminal(text: str, spans: list[tuple[int, int]]) -> str:
    """Highlights as bold terminal text (plain brackets when not a terminal)."""
    out = []
    pos = 0
    for start, end in spans:
        marked = text[start:end]
        marked = click.style(marked, bold=True, fg="yellow") if sys.stdout.isatty() \
            else f"[{marked}]"
        out += [text[pos:start], marked]
        pos = end
    return "".join(out) + text[pos:]


@main.command(name="import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--into", type=click.Path(path_type=Path), required=True,
              help="Archive folder to write the article files into.")
@click.option("--overwrite", is_flag=True, help="Replace files that already exist.")
def import_(files: tuple[Path, ...], into: Path, overwrite: bool) -> None:
    """Convert JSON Lines (optionally .gz) records into archive files with front matter."""
    from .importer import import_jsonl

    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        _fail(f"no such file: {', '.join(missing)}")
    report = import_jsonl(list(files), into, overwrite=overwrite)
    click.echo(f"Wrote {_num(report.written)} articles into {into}; "
               f"{_num(report.skipped_existing)} already existed (--overwrite replaces them).")
    for error in report.errors:
        click.echo(f"  rejected: {error}")
    sys.exit(1 if report.errors else 0)


@main.command(name="eval")
@click.argument("queries", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@INDEX_OPTION
@click.option("--k", type=click.IntRange(1, 100), default=10, show_default=True)
@click.option("--failures", type=click.IntRange(0), default=0,
              help="List the N worst queries with what ranked first.")
@click.option("--json", "as_json", is_flag=True)
def evaluate(queries: Path, index_root: Path, k: int, failures: int, as_json: bool) -> None:
    """Measure ranking on known-item queries (JSON Lines: qid, query, relevant, kind)."""
    from .evaluate import format_report, load_queries, run_eval
    from .location import IndexMissing

    try:
        items = load_queries(queries)
    except ValueError as err:
        _fail(str(err))
    try:
        report = run_eval(index_root, items, k=k)
    except IndexMissing as err:
        _fail(str(err))
    if as_json:
        click.echo(json.dumps(report.as_dict(failures), ensure_ascii=False, indent=2))
    else:
        click.echo(format_report(report, failures))


@main.command()
@INDEX_OPTION
@ARCHIVE_OPTION
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="Worker processes [default: CPU count].")
@click.option("--watch", is_flag=True,
              help="Update the index by itself when archive files are added, changed, "
                   "renamed or deleted.")
@click.option("--scan-interval", type=click.FloatRange(1), default=30.0, show_default=True,
              help="With --watch: also scan the whole archive this often (seconds), for "
                   "changes file events miss, as on network shares.")
def serve(index_root: Path, archive: Path, host: str, port: int, workers: int | None,
          watch: bool, scan_interval: float) -> None:
    """Serve the search website and JSON API with a production WSGI server."""
    from webapp.serve import run

    watcher = None
    if watch:
        from . import watch as watching

        _archive_must_exist(archive)
        watcher = watching.start(archive, index_root, scan_interval)
    try:
        run(index_root=index_root, archive=archive, host=host, port=port, workers=workers)
    finally:
        if watcher is not None:
            watching.stop(watcher)
