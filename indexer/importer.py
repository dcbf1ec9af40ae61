"""Turn JSON Lines exports into archive files, one article per file.

Each line of a ``.jsonl`` or ``.jsonl.gz`` file is one record:

=============  =========  ==================================================================
record key     required   goes to
=============  =========  ==================================================================
``id``         yes        the file name ``<id>.txt`` (letters, digits, ``_``, ``-``, ``.``)
``title``      yes        front matter ``title``
``body``       yes        the text after the front matter
``date``       no         front matter ``date`` (YYYY-MM-DD or ISO 8601 date-time)
``author``     no         front matter ``author``
``category``   no         front matter ``category`` (as written, with diacritics) and the
                          sub-folder, a slug of it ("Chính trị - Xã hội" → chinh-tri-xa-hoi)
``url``        no         front matter ``source`` (our front matter's ``source`` is a URL)
``source``     no         front matter ``publisher``: in exports ``source`` is the publisher's
                          name ("VnExpress"); the reader keeps it in the file but ignores it
``tags``       no         front matter ``tags`` (a list, or a comma-separated text)
=============  =========  ==================================================================

Other keys are ignored. Records without a category go to the archive root. Title and body
are written already cleaned, so reading a file back gives them exactly. Files are replaced
atomically (a hidden temporary file, then ``os.replace``) so an interrupted import never
leaves half an article for the indexer; there is no fsync, which keeps 50,000 records fast.
New files get the usual permissions (0o666 less the umask), like any file the user creates.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import re
import tempfile
import unicodedata
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .articles import clean_text, parse_date
from .i18n import _

_YAML_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_SAFE_ID = re.compile(r"\w[\w.-]{0,199}")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass
class ImportReport:
    written: int = 0
    skipped_existing: int = 0
    errors: list[str] = field(default_factory=list)


class _BadRecord(Exception):
    """Why one record cannot become an archive file."""


def category_slug(category: str) -> str:
    """A folder name that is the same on every file system: ASCII, lowercase, no marks."""
    text = unicodedata.normalize("NFD", category.replace("đ", "d").replace("Đ", "D"))
    ascii_text = text.encode("ascii", "ignore").decode("ascii").lower()
    return _NOT_SLUG.sub("-", ascii_text).strip("-")


def _lines(source: Path) -> Iterator[tuple[int, bytes]]:
    opener = gzip.open if source.name.endswith(".gz") else open
    with opener(source, "rb") as fh:
        yield from enumerate(fh, start=1)


def _text(record: dict, key: str, required: bool = False) -> str | None:
    value = record.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise _BadRecord(_("missing '{key}'").format(key=key))
        return None
    if not isinstance(value, str):
        raise _BadRecord(_("'{key}' must be a string, got {kind}").format(
            key=key, kind=type(value).__name__))
    return value


def _record_id(record: dict) -> str:
    record_id = _text(record, "id", required=True)
    if not _SAFE_ID.fullmatch(record_id) or ".." in record_id:
        raise _BadRecord(
            _("unsafe id {id}: use letters, digits, '_', '-' and '.' only (no '/', no '..', "
              "not starting with '.')").format(id=repr(record_id))
        )
    return record_id


def _tags(record: dict) -> list[str] | None:
    value = record.get("tags")
    if value is None:
        return None
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise _BadRecord(_("'tags' must be a list of strings or a comma-separated string"))
    tags = [" ".join(clean_text(t).split()) for t in value]
    return [t for t in tags if t] or None


def _front_matter(record: dict) -> tuple[dict[str, Any], str]:
    """(front matter, body) for one record, validated so the reader will accept the file."""
    title = " ".join(clean_text(_text(record, "title", required=True)).split())
    body = clean_text(_text(record, "body", required=True))
    if not title:
        raise _BadRecord(_("'title' is empty"))
    if not body:
        raise _BadRecord(_("'body' is empty"))
    meta: dict[str, Any] = {"title": title}
    if (date := _text(record, "date")) is not None:
        parsed = parse_date(date)
        if parsed is None:
            raise _BadRecord(_("'date' must be YYYY-MM-DD or ISO 8601, got {date}").format(
                date=repr(date)))
        meta["date"] = dt.date.fromisoformat(parsed)
    for key, target in (("author", "author"), ("category", "category"),
                        ("url", "source"), ("source", "publisher")):
        if (value := _text(record, key)) is not None:
            meta[target] = " ".join(clean_text(value).split())
    if (tags := _tags(record)) is not None:
        meta["tags"] = tags
    return meta, body


def _render(meta: dict[str, Any], body: str) -> bytes:
    front = yaml.dump(meta, Dumper=_YAML_DUMPER, allow_unicode=True, sort_keys=False,
                      width=10_000)
    return f"---\n{front}---\n{body}\n".encode("utf-8")


def _file_mode() -> int:
    """The mode ``open()`` would give a new file (0o666 less the umask).

    ``mkstemp`` creates its file readable by its owner only; an archive shared by several
    librarians needs the files to be as readable as any other they create.
    """
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _write_atomic(path: Path, data: bytes, mode: int) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


class _Importer:
    """State shared across all sources: folders made, ids seen, the report."""

    def __init__(self, into: Path, overwrite: bool):
        self.into = into
        self.overwrite = overwrite
        self.report = ImportReport()
        self.folders: set[Path] = set()
        self.seen: dict[str, str] = {}
        self.mode = _file_mode()

    def source(self, source: Path) -> None:
        try:
            for number, line in _lines(source):
                if line.strip():
                    self.line(f"{source}:{number}", line)
        except (OSError, EOFError, zlib.error) as err:
            self.report.errors.append(_("{source}: cannot read: {error}").format(
                source=source, error=err))

    def line(self, where: str, line: bytes) -> None:
        try:
            self.record(where, json.loads(line))
        except (ValueError, UnicodeDecodeError) as err:
            self.report.errors.append(_("{where}: invalid JSON: {error}").format(
                where=where, error=err))
        except _BadRecord as err:
            self.report.errors.append(f"{where}: {err}")

    def record(self, where: str, record: Any) -> None:
        if not isinstance(record, dict):
            raise _BadRecord(_("a record must be a JSON object"))
        record_id = _record_id(record)
        if record_id in self.seen:
            raise _BadRecord(_("duplicate id {id} (first at {where})").format(
                id=repr(record_id), where=self.seen[record_id]))
        meta, body = _front_matter(record)
        folder = self.into
        if "category" in meta:
            slug = category_slug(meta["category"])
            if not slug:
                raise _BadRecord(_("category {category} has no letters to name a "
                                   "folder").format(category=repr(meta["category"])))
            folder = self.into / slug
        self.seen[record_id] = where
        path = folder / f"{record_id}.txt"
        if not self.overwrite and path.exists():
            self.report.skipped_existing += 1
            return
        if folder not in self.folders:
            folder.mkdir(parents=True, exist_ok=True)
            self.folders.add(folder)
        _write_atomic(path, _render(meta, body), self.mode)
        self.report.written += 1


def import_jsonl(sources: list[Path], into: Path, overwrite: bool = False) -> ImportReport:
    """Write one archive file per record; bad records are reported and skipped, not fatal."""
    importer = _Importer(Path(into), overwrite)
    for source in sources:
        importer.source(Path(source))
    return importer.report


def import_records(records: Iterable[dict], into: Path, overwrite: bool = False) -> ImportReport:
    """Write records made by a program (a generator, a migration) as ``import_jsonl`` writes
    an export's lines: same validation, file format and folders, one record in memory at a
    time. Bad records are reported by their position and skipped."""
    importer = _Importer(Path(into), overwrite)
    for number, record in enumerate(records, start=1):
        try:
            importer.record(f"record {number}", record)
        except _BadRecord as err:
            importer.report.errors.append(f"record {number}: {err}")
    return importer.report
