"""The ``vnsearch`` command: index, check, search, import, evaluate and serve an archive.

Exit status: 0 when everything was fine, 1 when some files were rejected (the rest was
indexed) or a check found problems, 2 for usage or fatal errors, such as a Whoosh other
than the one vnsearch was written for. Heavy modules (pyvi, Flask) are imported inside
the commands that need them, to keep start-up fast.

Everything it says goes through ``_()``/``ngettext()`` (``indexer.i18n``): Vietnamese for a
Vietnamese locale, English otherwise. Help texts are message ids, translated when shown.
"""

from __future__ import annotations

import functools
import json
import sys
from importlib import metadata
from pathlib import Path
from typing import NoReturn

import click

from .articles import printable
from .cli_i18n import Group, Option
from .i18n import N_, _, ngettext, number

option = functools.partial(click.option, cls=Option)

ARCHIVE_OPTION = option(
    "--archive", "archive", type=click.Path(path_type=Path), envvar="VNSEARCH_ARCHIVE",
    show_envvar=True, default="archive", show_default=True,
    help=N_("Folder of article files."),
)
INDEX_OPTION = option(
    "--index", "index_root", type=click.Path(path_type=Path), envvar="VNSEARCH_INDEX",
    show_envvar=True, default="index", show_default=True,
    help=N_("Folder of the search index."),
)
MAX_FILE_OPTION = option(
    "--max-file-mb", type=click.FloatRange(0.001), default=5.0, show_default=True,
    help=N_("Reject article files larger than this (megabytes)."),
)
LISTED = 10
"""Files a report lists under each heading unless --verbose asks for all."""
RATE_MIN_ARTICLES = 100
"""A run that wrote fewer articles says no rate: loading pyvi's model and starting the
writers take seconds, so the rate would measure start-up, not indexing ("0.1 articles/s"
for one new article, "0.0" for none)."""


def _fail(message: str) -> NoReturn:
    click.echo(_("Error: {message}").format(message=message), err=True)
    sys.exit(2)


def _archive_must_exist(archive: Path) -> None:
    if not archive.is_dir():
        _fail(_("the archive folder {archive} does not exist (use --archive or "
                "VNSEARCH_ARCHIVE)").format(archive=archive))


def _num(n: int) -> str:
    return number(n)


def _version(ctx: click.Context, param: click.Parameter, shown: bool) -> None:
    """--version in the reader's language (Click's own option fixes its words at import)."""
    if shown and not ctx.resilient_parsing:
        click.echo(_("vnsearch, version {version}").format(version=metadata.version("vnsearch")))
        ctx.exit()


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]},
             help=N_("Search archives of Vietnamese news articles.\n\n"
                     "The archive and the index are the folders archive/ and index/ in the "
                     "current folder, unless --archive and --index or the environment "
                     "variables VNSEARCH_ARCHIVE and VNSEARCH_INDEX name others.\n\n"
                     "vnsearch speaks Vietnamese when the locale is Vietnamese "
                     "(LANG=vi_VN.UTF-8) and English otherwise; VNSEARCH_LANG=vi or "
                     "VNSEARCH_LANG=en chooses whatever the locale.\n\n"
                     "Exit status: 0 when all went well, 1 when files were rejected or a "
                     "check found problems, 2 for usage or fatal errors."))
@option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_version,
        help=N_("Show the version and exit."))
def main() -> None:
    _check_whoosh()


def _check_whoosh() -> None:
    """Stop before any command reads or writes an index if the installed Whoosh is not the
    release vnsearch uses the internals of: one line and exit 2, not a traceback or an
    index written in another format."""
    try:
        from . import whoosh_internals

        whoosh_internals.check_version()
    except ImportError as err:  # WhooshVersionError, also when importing the module raises it
        _fail(str(err))


@main.command(help=N_("Bring the index up to date with the archive. Only what changed is "
                      "read again, unless --full rebuilds it all."))
@ARCHIVE_OPTION
@INDEX_OPTION
@option("--full", is_flag=True, help=N_("Rebuild from scratch and swap it in atomically."))
@option("--jobs", type=click.IntRange(1, 64), default=None,
        help=N_("Worker processes for reading and segmenting [default: one per CPU core]."))
@MAX_FILE_OPTION
@option("--verbose", "-v", is_flag=True,
        help=N_("List every added, updated, renamed and deleted file, not only the first "
                "10."))
@option("--verify", is_flag=True,
        help=N_("Change nothing: compare the index with the archive, exit 1 on any "
                "difference."))
@option("--allow-deletions", is_flag=True,
        help=N_("Confirm a run that removes more than half of the indexed articles."))
def index(archive: Path, index_root: Path, full: bool, jobs: int | None, max_file_mb: float,
          verbose: bool, verify: bool, allow_deletions: bool) -> None:
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
        _fail(_("could not write the index in {index}: {problem} ({file}); the previous "
                "index is unchanged").format(index=index_root, problem=err.strerror or err,
                                             file=err.filename or index_root))
    if report.full:
        click.echo(_("Indexed {archive} into {index} (full rebuild).").format(
            archive=archive, index=index_root))
    else:
        click.echo(_("Indexed {archive} into {index} (incremental update).").format(
            archive=archive, index=index_root))
    limit = None if verbose else LISTED
    lines = _Report()
    lines.items(_("added"), report.added, limit)
    lines.items(_("updated"), report.updated, limit)
    lines.items(_("renamed"), [f"{a} → {b}" for a, b in report.renamed], limit)
    lines.items(_("deleted"), report.deleted, limit)
    if report.unreadable:
        lines.items(_("unreadable"), report.unreadable, limit)  # kept: see the folder's rejection
    _duplicates(lines, report.duplicates, report.folded, verbose)
    lines.count(_("unchanged"), report.unchanged)
    lines.count(_("skipped"), report.skipped, _("(hidden files, editor backups, other kinds)"))
    lines.items(_("rejected"), [str(e) for e in report.rejected], None)
    lines.echo()
    if report.sidecars_written:
        click.echo(ngettext(
            "Wrote the quick-lookup file of {count} index segment made by an older version "
            "(once: searches on it now start fast).",
            "Wrote the quick-lookup files of {count} index segments made by an older version "
            "(once: searches on them now start fast).",
            report.sidecars_written).format(count=_num(report.sidecars_written)))
    click.echo(_done(report.elapsed, report.indexed, report.documents))
    sys.exit(1 if report.rejected else 0)


def _duplicates(lines: "_Report", groups: list[list[str]], folded: int, verbose: bool) -> None:
    """How many files are copies, indexed once as the first of each group; the groups
    themselves only with --verbose, since they are the same on every run."""
    if verbose or not folded:
        note = _("(each text indexed once, as its first file)")
    else:
        note = _("(each text indexed once, as its first file, --verbose lists them)")
    listed = [" = ".join(printable(doc_id) for doc_id in group) for group in groups]
    lines.count(_("duplicates"), folded, note, listed if verbose else [])


def _done(elapsed: float, indexed: int, documents: int) -> str:
    """The closing line of ``vnsearch index``, with a rate where there is one to tell."""
    holds = ngettext("the index holds {count} article.", "the index holds {count} articles.",
                     documents).format(count=_num(documents))
    seconds = number(elapsed, 1)
    if indexed >= RATE_MIN_ARTICLES and elapsed > 0:
        return _("Done in {seconds} s ({rate} articles/s); {holds}").format(
            seconds=seconds, rate=number(indexed / elapsed, 1), holds=holds)
    return _("Done in {seconds} s; {holds}").format(seconds=seconds, holds=holds)


def _progress_bar(items):
    from tqdm import tqdm

    return tqdm(items, unit=" " + _("files"), desc=_("Indexing"), leave=False)


def _verify(archive: Path, index_root: Path, max_bytes: int) -> None:
    from .build import verify
    from .location import IndexMissing

    try:
        report = verify(archive, index_root, max_bytes)
    except IndexMissing as err:
        _fail(str(err))
    click.echo(ngettext("Compared {index} ({count} article) with {archive}.",
                        "Compared {index} ({count} articles) with {archive}.",
                        report.documents).format(index=index_root,
                                                 count=_num(report.documents),
                                                 archive=archive))
    lines = _Report()
    lines.items(_("missing"), report.missing, None)
    lines.items(_("stale"), report.stale, None)
    lines.items(_("orphaned"), report.orphaned, None)
    lines.items(_("rejected"), [str(e) for e in report.rejected], None)
    lines.echo()
    if report.in_sync:
        click.echo(_("The index matches the archive."))
        sys.exit(0)
    click.echo(_("The index differs from the archive: run `vnsearch index` to bring it up "
                 "to date."))
    sys.exit(1)


class _Report:
    """The body of an index, verify or check report: a count under each heading, aligned
    whatever the headings' length in the reader's language, and the files it concerns."""

    WIDTH = 10

    def __init__(self) -> None:
        self._rows: list[tuple[str, str, list[str]]] = []

    def count(self, label: str, n: int, note: str = "", listed: list[str] = ()) -> None:
        self._rows.append((label, f"{_num(n)} {note}" if note else _num(n),
                           [f"    {line}" for line in listed]))

    def items(self, label: str, items: list[str], limit: int | None) -> None:
        shown = [f"    {printable(item)}" for item in (items if limit is None else items[:limit])]
        if len(shown) < len(items):
            shown.append("    " + _("… and {count} more (--verbose lists them all)").format(
                count=_num(len(items) - len(shown))))
        self._rows.append((label, _num(len(items)), shown))

    def echo(self) -> None:
        width = max([self.WIDTH, *(len(row[0]) for row in self._rows)])
        for label, count, lines in self._rows:
            click.echo(f"  {label:<{width}} {count}")
            for line in lines:
                click.echo(line)


@main.command(help=N_("Check the archive without indexing it. Lists the files that would be "
                      "rejected, with their reasons, duplicates and undated articles."))
@ARCHIVE_OPTION
@MAX_FILE_OPTION
@option("--verbose", "-v", is_flag=True,
        help=N_("List every undated article, not only the first 10."))
def check(archive: Path, max_file_mb: float, verbose: bool) -> None:
    from .checking import check_archive

    _archive_must_exist(archive)
    report = check_archive(archive, int(max_file_mb * 1024 * 1024))
    checked = ngettext("Checked {count} file in {archive}", "Checked {count} files in {archive}",
                       report.files).format(count=_num(report.files), archive=archive)
    fine = ngettext("{count} article is fine.", "{count} articles are fine.",
                    report.valid).format(count=_num(report.valid))
    click.echo(f"{checked}: {fine}")
    lines = _Report()
    lines.count(_("skipped"), report.skipped, _("(hidden files, editor backups, other kinds)"))
    lines.items(_("rejected"), [str(e) for e in report.rejected], None)
    lines.items(_("duplicates"), [" = ".join(group) for group in report.duplicates], None)
    lines.items(_("no date"), report.undated, None if verbose else LISTED)
    if report.abbreviations:
        lines.items(_("abbreviations"), report.abbreviations, None)
    if report.categories:
        lines.items(_("categories"), report.categories, None)
    lines.echo()
    sys.exit(1 if report.rejected or report.duplicates or report.abbreviations
             or report.categories else 0)


@main.command(help=N_("Search the index. Prints ranked results with highlighted snippets."))
@click.argument("query")
@ARCHIVE_OPTION
@INDEX_OPTION
@option("--limit", type=click.IntRange(1, 50), default=10, show_default=True,
        help=N_("How many results to print."))
@option("--json", "as_json", is_flag=True,
        help=N_("Print JSON instead of text, with the same fields for each hit as the "
                "site's /api/search."))
@option("--spell/--no-spell", default=True,
        help=N_("Correct misspelt words before searching, or search exactly as typed."))
def search(query: str, archive: Path, index_root: Path, limit: int, as_json: bool,
           spell: bool) -> None:
    from .hitjson import article_url, hit_json
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
            "hits": [hit_json(hit, article_url(hit.id, results.params.q))
                     for hit in results.hits],
        }, ensure_ascii=False, indent=2))
        return
    click.echo(ngettext("{count} result ({seconds} s)", "{count} results ({seconds} s)",
                        results.total).format(count=_num(results.total),
                                              seconds=number(results.took_ms / 1000, 2)))
    if results.corrected:
        click.echo(_("Showing results for: {query} (search exactly as typed: "
                     "--no-spell)").format(query=results.corrected))
    if results.suggestion:
        click.echo(_("Did you mean: {suggestion}").format(suggestion=results.suggestion))
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


@main.command(name="import", help=N_("Convert JSON Lines into archive files. Each record "
                                     "(optionally gzipped) becomes a file with front "
                                     "matter."))
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@option("--into", type=click.Path(path_type=Path), required=True,
        help=N_("Archive folder to write the article files into."))
@option("--overwrite", is_flag=True, help=N_("Replace files that already exist."))
def import_(files: tuple[Path, ...], into: Path, overwrite: bool) -> None:
    from .importer import import_jsonl

    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        _fail(_("no such file: {files}").format(files=", ".join(missing)))
    report = import_jsonl(list(files), into, overwrite=overwrite)
    wrote = ngettext("Wrote {count} article into {into}", "Wrote {count} articles into {into}",
                     report.written).format(count=_num(report.written), into=into)
    existed = ngettext("{count} already existed (--overwrite replaces it).",
                       "{count} already existed (--overwrite replaces them).",
                       report.skipped_existing).format(count=_num(report.skipped_existing))
    click.echo(f"{wrote}; {existed}")
    for error in report.errors:
        click.echo("  " + _("rejected: {error}").format(error=error))
    sys.exit(1 if report.errors else 0)


@main.command(name="eval", help=N_("Measure ranking on known-item queries. QUERIES is "
                                   "JSON Lines with qid, query, relevant and kind."))
@click.argument("queries", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@INDEX_OPTION
@option("--k", type=click.IntRange(1, 100), default=10, show_default=True,
        help=N_("How many results count: MRR@k and success@k."))
@option("--failures", type=click.IntRange(0), default=0,
        help=N_("List the N worst queries with what ranked first."))
@option("--json", "as_json", is_flag=True, help=N_("Print JSON instead of a table."))
def evaluate(queries: Path, index_root: Path, k: int, failures: int, as_json: bool) -> None:
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


@main.command(help=N_("Serve the search website and JSON API. A production WSGI server "
                      "runs them."))
@INDEX_OPTION
@ARCHIVE_OPTION
@option("--host", default="127.0.0.1", show_default=True,
        help=N_("Address to listen on (0.0.0.0 listens on every address)."))
@option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True,
        help=N_("Port to listen on."))
@option("--workers", type=click.IntRange(1, 64), default=None,
        help=N_("Worker processes [default: one per CPU core]."))
@option("--watch", is_flag=True,
        help=N_("Update the index by itself when archive files are added, changed, renamed "
                "or deleted."))
@option("--scan-interval", type=click.FloatRange(1), default=30.0, show_default=True,
        help=N_("With --watch: also scan the whole archive this often (seconds), for "
                "changes file events miss, as on network shares."))
def serve(index_root: Path, archive: Path, host: str, port: int, workers: int | None,
          watch: bool, scan_interval: float) -> None:
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
