"""Read and validate the files of the article archive.

Every file becomes either an ``Article`` with clean, NFC text or an ``ArticleError`` whose
message tells the librarian what to fix. The reader is called for every file of an
archive of tens of thousands, so the plain-text path uses only the standard library,
PyYAML and regular expressions; trafilatura and markdown-it are imported only when an
HTML or Markdown file is actually read.
"""

from __future__ import annotations

import codecs
import datetime as dt
import errno
import functools
import hashlib
import html
import os
import re
import stat
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from .boilerplate import strip_boilerplate
from .i18n import N_, _

SUPPORTED_SUFFIXES = frozenset({".txt", ".md", ".html", ".htm"})
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
MAX_TITLE_CHARS = 300
"""Longer titles are shortened (the whole text stays in the body): every result list and
JSON answer repeats the title, and a 200,000-character first line made a 255 KB answer."""

_BACKUP_SUFFIXES = ("~", ".swp", ".swo", ".swx")


class _YamlLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe loader that leaves dates as text, for parse_date to check with a line number
    (PyYAML's own timestamps fail with a bare ValueError on e.g. 2024-02-30)."""


_YamlLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _YamlLoader.yaml_implicit_resolvers.items()
}


class ArchiveFile(NamedTuple):
    """A file the scan found. Its path is kept as the scan's string: making a ``Path`` of
    every file took a third of an incremental run that changes nothing (15 us a file). A
    named tuple rather than a frozen dataclass, made three times faster: the scan makes
    one per file, and a run that changes nothing is mostly the scan."""

    id: str
    path: str
    size: int
    mtime: float

    @property
    def abspath(self) -> Path:
        return Path(self.path)


@dataclass(frozen=True)
class Article:
    id: str
    title: str
    body: str
    date: str | None
    author: str | None
    category: str | None
    source_url: str | None
    publisher: str | None
    """The newspaper or site that published the article (front matter ``publisher``)."""
    tags: tuple[str, ...]
    checksum: str
    size: int
    mtime: float

    @property
    def text_hash(self) -> str:
        """What makes two files the same article: see ``text_hash``."""
        return text_hash(self.title, self.body)


def text_hash(title: str, body: str) -> str:
    """A digest of an article's cleaned title and body: files with equal digests are exact
    duplicates, shown once. Front matter (date, author, tags) is not part of it, since a
    copy saved twice often differs only there; the title is, since articles that share a
    short body ("Ảnh: TTXVN", "Xem video") under different titles are not the same."""
    return hashlib.sha256(f"{title}\n\n{body}".encode()).hexdigest()


class ArticleError(Exception):
    """A file that cannot be used. ``str(err) == f"{id}: {reason}"``."""

    def __init__(self, id: str, reason: str):
        # Both go to Exception so the error pickles across the build's worker processes.
        super().__init__(id, reason)
        self.id = id
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.id}: {self.reason}"


@dataclass
class ArchiveScan:
    files: list[ArchiveFile] = field(default_factory=list)
    skipped: int = 0
    rejected: list[ArticleError] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    """Folders that could not be listed: their articles are unknown, not gone."""


class _Reject(Exception):
    """A reason found below ``read_article``, which adds the article id."""


# --------------------------------------------------------------------------- cleaning

_ODD_SPACE = "\t\xa0\u1680\u2000-\u200a\u202f\u205f\u3000"
_INVISIBLE_CHARS = "\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\xad\u200b-\u200d\u2060\ufeff"
_NEWLINE_CHARS = "\r\v\f\x85\u2028\u2029"
# One scan tells whether the rarer fixes below are needed at all: most text is already clean.
_UNUSUAL = re.compile(f"[{_ODD_SPACE}{_INVISIBLE_CHARS}{_NEWLINE_CHARS}]")
_NEWLINES = re.compile(f"\r\n?|[{_NEWLINE_CHARS}]")
_INVISIBLE = re.compile(f"[{_INVISIBLE_CHARS}]+")
_ODD_SPACE_RUNS = re.compile(f"[ {_ODD_SPACE}]*[{_ODD_SPACE}][ {_ODD_SPACE}]*")
_SPACE_RUNS = re.compile(" {2,}")
_LINE_EDGES = re.compile(r" +\n *|\n +")
_BLANK_RUNS = re.compile(r"\n{3,}")


def clean_text(text: str) -> str:
    """Text as the index and the reader should see it, whatever editor or site produced it.

    NFC comes after entity decoding and zero-width removal, because both can leave a
    base letter and its combining tone mark side by side. Each fix is guarded by a cheap
    test because this runs on every article of the archive.
    """
    if "&" in text:
        text = html.unescape(text)
    if _UNUSUAL.search(text):
        text = _NEWLINES.sub("\n", text)
        text = _INVISIBLE.sub("", text)
        text = _ODD_SPACE_RUNS.sub(" ", text)
    text = unicodedata.normalize("NFC", text)
    if "  " in text:
        text = _SPACE_RUNS.sub(" ", text)
    if " \n" in text or "\n " in text:
        text = _LINE_EDGES.sub("\n", text)
    if "\n\n\n" in text:
        text = _BLANK_RUNS.sub("\n\n", text)
    return text.strip(" \n")


def _one_line(text: str) -> str:
    return " ".join(clean_text(text).split())


# --------------------------------------------------------------------------- decoding

_CONTROL_BYTES = bytes([*range(0x00, 0x09), *range(0x0E, 0x20), 0x7F])
_VIETNAMESE_LETTERS = frozenset(
    unicodedata.normalize("NFC", base + mark)
    for base in "aăâeêioôơuưyAĂÂEÊIOÔƠUƯY"
    for mark in ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")
) | frozenset("đĐ")
_LATIN_LETTERS = frozenset(chr(c) for c in range(0xC0, 0x100)) - frozenset("×÷")
_PUNCTUATION = frozenset("\u00a0“”‘’–—…•€₫°«»·¡¿§©®±€")
_PLAUSIBLE = _VIETNAMESE_LETTERS | _LATIN_LETTERS | _PUNCTUATION
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)


def _decode(data: bytes, is_html: bool) -> str:
    """Bytes to NFC text, or _Reject naming the encoding problem.

    Order matters: BOMs are certain; NUL bytes mean UTF-16 or binary; strict UTF-8 almost
    never succeeds by accident; Windows-1258 (legacy Vietnamese) is the last guess and must
    produce text that looks like Vietnamese or another Latin language.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return _decode_utf8(data[3:])
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return unicodedata.normalize("NFC", data.decode("utf-16"))
        except UnicodeDecodeError:
            raise _Reject(_("invalid UTF-16 text (odd length or broken surrogate)")) from None
    if b"\x00" in data:
        if _looks_like_utf16(data):
            raise _Reject(_("looks like UTF-16 without a byte-order mark; save it as UTF-8"))
        raise _Reject(_("binary content (contains NUL bytes), not a text file"))
    if len(data.translate(None, _CONTROL_BYTES)) < 0.7 * len(data):
        raise _Reject(_("binary content (mostly control bytes), not a text file"))
    try:
        return unicodedata.normalize("NFC", data.decode("utf-8"))
    except UnicodeDecodeError as err:
        if _mostly_utf8(data):
            line = data.count(b"\n", 0, err.start) + 1
            raise _Reject(
                _("invalid UTF-8 at line {line} (byte 0x{byte:02X}); re-save the file as "
                  "UTF-8").format(line=line, byte=data[err.start])
            ) from None
    declared = _declared_charset(data) if is_html else None
    return _decode_legacy(data, declared or "cp1258", guessed=declared is None)


def _decode_utf8(data: bytes) -> str:
    try:
        return unicodedata.normalize("NFC", data.decode("utf-8"))
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise _Reject(_("invalid UTF-8 at line {line} (byte 0x{byte:02X})").format(
            line=line, byte=data[err.start])) from None


def _looks_like_utf16(data: bytes) -> bool:
    """NULs on one byte parity only: the high bytes of ASCII letters in UTF-16."""
    even, odd = data[0::2].count(0), data[1::2].count(0)
    high, low = max(even, odd), min(even, odd)
    if high < 0.2 * (len(data) // 2) or low > 0.05 * high:
        return False
    codec = "utf-16-le" if odd > even else "utf-16-be"
    try:
        data[: len(data) - len(data) % 2].decode(codec)
    except UnicodeDecodeError:
        return False
    return True


def _mostly_utf8(data: bytes) -> bool:
    """More well-formed multi-byte UTF-8 sequences than broken ones: a UTF-8 file damaged
    in places, which no legacy code page would read correctly either."""
    text = data.decode("utf-8", "replace")
    broken = text.count("\ufffd")
    well_formed = sum(1 for ch in text if ch >= "\x80") - broken
    return well_formed > broken


def _declared_charset(data: bytes) -> str | None:
    match = _META_CHARSET.search(data, 0, 4096)
    if not match:
        return None
    try:
        codec = codecs.lookup(match.group(1).decode("ascii", "replace")).name
    except LookupError:
        return None
    return None if codec == "utf-8" else codec


def _decode_legacy(data: bytes, codec: str, guessed: bool) -> str:
    try:
        text: str | None = unicodedata.normalize("NFC", data.decode(codec))
    except UnicodeDecodeError:
        text = None
    if text is None or (guessed and not _plausible_latin(text)):
        raise _Reject(_("unsupported encoding (not UTF-8, UTF-16 or Windows-1258); save it "
                        "as UTF-8"))
    return text


def _plausible_latin(text: str) -> bool:
    """Vietnamese or other Latin-script text: mostly ASCII letters, and the rest known
    letters or punctuation rather than stray symbols and tone marks left uncomposed."""
    letters = sum(1 for ch in text if ch.isalpha())
    non_ascii = [ch for ch in text if ch >= "\x80"]
    if not letters:
        return not non_ascii
    odd = sum(1 for ch in non_ascii if ch not in _PLAUSIBLE)
    non_ascii_letters = sum(1 for ch in non_ascii if ch.isalpha())
    return odd <= 0.02 * letters and non_ascii_letters <= 0.6 * letters


# --------------------------------------------------------------------------- front matter

_FENCE = re.compile(r"^---[ \t]*$", re.MULTILINE)
_TYPE_NAMES = {
    bool: N_("true/false"),
    int: N_("a number"),
    float: N_("a number"),
    list: N_("a list"),
    dict: N_("a mapping"),
    dt.date: N_("a date"),
    dt.datetime: N_("a date-time"),
}


@dataclass
class _Meta:
    title: str | None = None
    date: str | None = None
    author: str | None = None
    category: str | None = None
    source_url: str | None = None
    publisher: str | None = None
    tags: tuple[str, ...] = ()


def _split_front_matter(text: str) -> tuple[_Meta, str]:
    """(metadata, the text after the front matter); text without front matter passes through."""
    first_end = text.find("\n")
    first = text if first_end < 0 else text[:first_end]
    if first.rstrip(" \t") != "---":
        return _Meta(), text
    closing = _FENCE.search(text, first_end + 1) if first_end >= 0 else None
    if closing is None:
        raise _Reject(_("front matter opened with '---' on line 1 is never closed with '---'"))
    block = text[first_end + 1 : closing.start()]
    rest = text[closing.end() + 1 :]
    return _parse_front_matter(block), rest


def _parse_front_matter(block: str) -> _Meta:
    try:
        data = yaml.load(block, Loader=_YamlLoader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        problem = getattr(err, "problem", None) or _("invalid YAML")
        if mark:
            raise _Reject(_("front matter YAML syntax error on line {line}: {problem}").format(
                line=mark.line + 2, problem=problem)) from None
        raise _Reject(_("front matter YAML syntax error: {problem}").format(
            problem=problem)) from None
    if data is None:
        return _Meta()
    if not isinstance(data, dict):
        raise _Reject(_("front matter must be 'key: value' lines (lines 2 to the closing "
                        "'---')"))
    lines = block.split("\n")
    return _Meta(
        title=_text_field(data, "title", lines),
        date=_date_field(data, lines),
        author=_text_field(data, "author", lines),
        category=_text_field(data, "category", lines),
        source_url=_text_field(data, "source", lines),
        publisher=_text_field(data, "publisher", lines),
        tags=_tags_field(data, lines),
    )


def _key_line(lines: list[str], key: str) -> int:
    """Line number in the FILE of `key:` (the block starts on line 2)."""
    pattern = re.compile(rf"""\s*["']?{re.escape(key)}["']?\s*:""")
    for number, line in enumerate(lines, start=2):
        if pattern.match(line):
            return number
    return 1


def _kind(value: Any) -> str:
    for typ in (bool, dt.datetime, dt.date, int, float, list, dict):
        if isinstance(value, typ):
            return _(_TYPE_NAMES[typ])
    return type(value).__name__


def _text_field(data: dict, key: str, lines: list[str]) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _Reject(
            _("front matter '{key}' on line {line} must be text, got {kind} (put it in "
              "quotes)").format(key=key, line=_key_line(lines, key), kind=_kind(value))
        )
    return _one_line(value) or None


def parse_date(value: Any) -> str | None:
    """YYYY-MM-DD from a YAML date, date-time or ISO 8601 string; None if not a date.

    A date-time keeps the calendar date as written, in its own time zone, because that is
    the date the article was published where it was published.
    """
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if not isinstance(value, str):
        return None
    text = value.strip()
    for parse in (dt.date.fromisoformat, dt.datetime.fromisoformat):
        try:
            return parse_date(parse(text))
        except ValueError:
            continue
    return None


def _date_field(data: dict, lines: list[str]) -> str | None:
    value = data.get("date")
    if value is None or value == "":
        return None
    parsed = parse_date(value)
    if parsed is None:
        raise _Reject(
            _("front matter 'date' on line {line} must be a date as YYYY-MM-DD or an ISO "
              "8601 date-time (2024-05-31T08:30:00+07:00), got {value}").format(
                line=_key_line(lines, "date"), value=repr(value))
        )
    return parsed


def _tags_field(data: dict, lines: list[str]) -> tuple[str, ...]:
    value = data.get("tags")
    if value is None:
        return ()
    if isinstance(value, str):
        items: list[Any] = value.split(",")
    elif isinstance(value, list) and all(
        isinstance(item, (str, int, float)) and not isinstance(item, bool) for item in value
    ):
        items = value
    else:
        raise _Reject(
            _("front matter 'tags' on line {line} must be a list of words or a "
              "comma-separated text, got {kind}").format(line=_key_line(lines, "tags"),
                                                         kind=_kind(value))
        )
    tags = (_one_line(str(item)) for item in items)
    return tuple(dict.fromkeys(tag for tag in tags if tag))


# --------------------------------------------------------------------------- file kinds


@dataclass
class _Parsed:
    meta: _Meta
    text: str
    title: str | None = None
    author: str | None = None


def _parse_text(text: str) -> _Parsed:
    meta, rest = _split_front_matter(text)
    return _Parsed(meta, rest)


def _parse_markdown(text: str) -> _Parsed:
    meta, rest = _split_front_matter(text)
    return _Parsed(meta, markdown_to_text(rest))


@functools.cache
def _markdown_parser():
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table")


def markdown_to_text(source: str) -> str:
    """Plain text of a Markdown document: one paragraph per block, markup gone.

    Raw HTML is dropped rather than shown, since it is markup too (and may be a script).
    """
    tokens = _markdown_parser().parse(source)
    blocks: list[str] = []
    row: list[str] | None = None
    for token in tokens:
        if token.type == "tr_open":
            row = []
        elif token.type == "tr_close" and row is not None:
            blocks.append(" ".join(row))
            row = None
        elif token.type == "inline":
            text = _inline_text(token.children or [])
            (row if row is not None else blocks).append(text)
        elif token.type in ("fence", "code_block"):
            blocks.append(token.content)
    return "\n\n".join(block for block in blocks if block.strip())


def _inline_text(children: list) -> str:
    parts = []
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
    return "".join(parts)


# Page parts that are never the article. Pruned before extraction because trafilatura's
# fallback extractors would otherwise take navigation links for text on a page with little
# else on it.
_HTML_PRUNE = "|".join(
    f"//{tag}" for tag in ("nav", "aside", "footer", "iframe", "noscript", "*[@role='navigation']")
)


def _parse_html(text: str) -> _Parsed:
    """Main text and metadata of a saved web page; navigation, scripts and frames go."""
    import trafilatura

    doc = trafilatura.bare_extraction(
        text,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,
        deduplicate=False,
        prune_xpath=_HTML_PRUNE,
    )
    if doc is None:
        raise _Reject(_("no article text found in the web page"))
    title = _one_line(doc.title or "")
    body = clean_text("\n\n".join((doc.text or "").split("\n")))
    first, newline, rest = body.partition("\n")
    if title and first == title:  # some pages repeat the headline inside the article
        body = rest
    raw_tags = [doc.tags] if isinstance(doc.tags, str) else doc.tags or []
    tags = (_one_line(part) for tag in raw_tags for part in tag.split(","))
    meta = _Meta(
        date=parse_date(doc.date),
        source_url=doc.url or None,
        tags=tuple(dict.fromkeys(tag for tag in tags if tag)),
    )
    return _Parsed(meta, body, title=title or None, author=_one_line(doc.author or "") or None)


_PARSERS = {".txt": _parse_text, ".md": _parse_markdown, ".html": _parse_html, ".htm": _parse_html}


# --------------------------------------------------------------------------- reading


_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
_FD_PATHS = Path("/proc/self/fd")
_FINAL_LINK_ERRNOS = (errno.ELOOP, errno.EMLINK)
"""What ``open`` with O_NOFOLLOW says of a symbolic link: ELOOP (Linux, macOS), EMLINK (BSD)."""


def _open_inside(root_real: str, path: Path) -> int:
    """A descriptor of the regular file at ``path``, proven to lie inside the archive.

    The scan checked every file, but a file can be swapped between the scan and the read:
    for a symbolic link to ``/etc/passwd`` (which would then be indexed and served) or for
    a FIFO (which would block ``open`` forever while the reindex lock is held). So the
    file is opened without following a final symbolic link and without blocking, and what
    was opened is checked on the descriptor itself: a regular file, at a real path inside
    the archive. A link the scan accepted (a file link within the archive) is opened
    through its resolved target, then checked the same way.
    """
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as err:
        if err.errno not in _FINAL_LINK_ERRNOS:
            raise
        fd = os.open(os.path.realpath(path), _OPEN_FLAGS)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _Reject(_("not a regular file ({kind})").format(kind=_file_kind(info.st_mode)))
        real = _real_path(fd, path)
        if os.path.commonpath([root_real, real]) != root_real:
            raise _Reject(_("the file now lies outside the archive (it was replaced by a "
                            "symbolic link, or a folder on its path was)"))
    except BaseException:
        os.close(fd)
        raise
    return fd


def _real_path(fd: int, path: Path) -> str:
    """Where the open file really is: from the descriptor where the system tells (Linux
    /proc), otherwise the path resolved again, which leaves only a tiny window for a swap."""
    try:
        return os.readlink(_FD_PATHS / str(fd))
    except OSError:
        return os.path.realpath(path)


def _file_kind(mode: int) -> str:
    for test, kind in ((stat.S_ISDIR, N_("a folder")), (stat.S_ISFIFO, N_("a named pipe")),
                       (stat.S_ISSOCK, N_("a socket")), (stat.S_ISCHR, N_("a device")),
                       (stat.S_ISBLK, N_("a device"))):
        if test(mode):
            return _(kind)
    return _("not a plain file")


def _read_bytes(root_real: str, path: Path, max_bytes: int) -> tuple[bytes, os.stat_result]:
    """The file's bytes, refusing an oversized file before reading it into memory."""
    try:
        with os.fdopen(_open_inside(root_real, path), "rb") as fh:
            info = os.fstat(fh.fileno())
            if info.st_size > max_bytes:
                raise _Reject(_too_big(info.st_size, max_bytes))
            data = fh.read(max_bytes + 1)
    except PermissionError:
        raise _Reject(_("unreadable: permission denied")) from None
    except FileNotFoundError:
        raise _Reject(_("the file disappeared before it could be read")) from None
    except IsADirectoryError:
        raise _Reject(_("not a regular file ({kind})").format(kind=_("a folder"))) from None
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise _Reject(_("symbolic link loop")) from None
        raise _Reject(_("unreadable: {problem}").format(problem=err.strerror or err)) from None
    if len(data) > max_bytes:
        raise _Reject(_too_big(len(data), max_bytes))
    return data, info


def file_checksum(root: Path, path: Path) -> str | None:
    """SHA-256 of an archive file, opened with the same checks as for reading it; None
    when it cannot be read (it is then read, and rejected with its reason, later)."""
    try:
        with os.fdopen(_open_inside(os.path.realpath(root), path), "rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    except (OSError, _Reject):
        return None


def _too_big(size: int, limit: int) -> str:
    return _("file is too large: {size} bytes, over the limit of {limit} bytes").format(
        size=f"{size:,}", limit=f"{limit:,}")


def shorten(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters at a word boundary, with "…"."""
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[:cut if cut > limit // 2 else limit - 1].rstrip() + "…"


def _split_title(text: str) -> tuple[str, str]:
    """First line is the title, the rest the body (text is already clean)."""
    title, _, body = text.partition("\n")
    return title, body.strip("\n")


def _category(id: str) -> str | None:
    folder, slash, _ = id.partition("/")
    return folder if slash else None


def read_article(root: Path, file: ArchiveFile, max_bytes: int = DEFAULT_MAX_BYTES) -> Article:
    """Read, decode, parse and clean one archive file; raises ArticleError saying why not.

    The file is found through ``file.abspath``, which the scan already resolved (so an
    NFD-named file is opened by its real name), and must still lie inside ``root``.
    """
    try:
        return _read(os.path.realpath(root), file, max_bytes)
    except _Reject as err:
        raise ArticleError(file.id, str(err)) from None


def read_or_reject(root: Path, file: ArchiveFile, max_bytes: int = DEFAULT_MAX_BYTES
                   ) -> Article | ArticleError:
    """The article, or why it cannot be used: the one reading path of ``index``, ``index
    --verify`` and ``check``, so all three reject the same files for the same reasons.

    An unexpected error (a bug in a parser) rejects that file instead of stopping the
    whole archive.
    """
    try:
        return read_article(root, file, max_bytes)
    except ArticleError as err:
        return err
    except Exception as err:  # noqa: BLE001 - see the docstring
        return ArticleError(file.id, _("could not be read ({error})").format(
            error=f"{type(err).__name__}: {err}"))


def _read(root_real: str, file: ArchiveFile, max_bytes: int) -> Article:
    path = file.abspath
    data, info = _read_bytes(root_real, path, max_bytes)
    suffix = path.suffix.lower()
    if suffix not in _PARSERS:
        suffix = Path(file.id).suffix.lower()
    parse = _PARSERS.get(suffix, _parse_text)
    # Line ends are unified first so front matter fences and YAML line numbers work
    # the same for files saved on Windows or old Macs.
    text = _NEWLINES.sub("\n", _decode(data, is_html=parse is _parse_html))
    if not text.strip():
        raise _Reject(_("empty file (nothing but whitespace)"))
    parsed = parse(text)
    meta = parsed.meta
    content = clean_text(parsed.text)
    title = meta.title or parsed.title
    if title:
        body = content
    else:
        title, body = _split_title(content)
    if not title:
        raise _Reject(_("no title: no text is left once front matter and markup are removed"))
    if len(title) > MAX_TITLE_CHARS:
        # A "title" this long is text (a file without line breaks, say): it stays whole
        # at the top of the body, and the title is its beginning.
        body = f"{title}\n\n{body}" if body else title
        title = shorten(title, MAX_TITLE_CHARS)
    body, byline = strip_boilerplate(body)
    if not body:
        raise _Reject(_("no body: the file has a title but no article text after it"))
    author = meta.author or parsed.author or byline
    return Article(
        id=file.id,
        title=title,
        body=body,
        date=meta.date,
        author=author or None,
        category=meta.category or _category(file.id),
        source_url=meta.source_url,
        publisher=meta.publisher,
        tags=meta.tags,
        checksum=hashlib.sha256(data).hexdigest(),
        size=len(data),
        mtime=info.st_mtime,
    )


# --------------------------------------------------------------------------- scanning


def _ignored(name: str) -> bool:
    """Hidden files and editor leftovers, which are never articles."""
    return (
        name.startswith(".")
        or name.endswith(_BACKUP_SUFFIXES)
        or (name.startswith("#") and name.endswith("#"))
    )


def _nfc_id(rel: str) -> str:
    return unicodedata.normalize("NFC", rel)


_UNPRINTABLE = frozenset(("Cc", "Zl", "Zp"))


def printable(text: str) -> str:
    """``text`` safe to print on one line: a file name's bytes that are not UTF-8 as
    ``\\xNN`` (Python keeps them as lone surrogates) and control characters and line
    breaks escaped (``\\t``, ``\\n``, ``\\x1b``), so a hostile name can neither break the
    report into false lines nor send escape sequences to the librarian's terminal."""
    try:
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    if all(ch.isprintable() or ch == " " for ch in text):
        return text
    return "".join(
        ch.encode("unicode_escape").decode("ascii")
        if unicodedata.category(ch) in _UNPRINTABLE else ch
        for ch in text
    )


def _name_problem(name: str) -> str | None:
    """Why a file or folder name cannot be part of an article id, or None.

    Ids are stored as UTF-8 and become web addresses: a name that is not UTF-8 could not
    be stored at all (it stopped the whole run), and a backslash or control character
    makes an address that the site refuses as unsafe.
    """
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return _("the name is not valid UTF-8 (the bytes shown as \\xNN); rename it in "
                 "UTF-8")
    if "\\" in name:
        return _("the name contains a backslash, which a web address cannot hold; rename it")
    if not name.isprintable() and any(unicodedata.category(ch) in _UNPRINTABLE
                                      for ch in name):
        return _("the name contains a control character or line break; rename it")
    return None


_LINKED_FOLDER = N_("symbolic link to a folder; linked folders are not followed")


def _symlink_problem(path: str, root_real: str) -> str | None:
    """Why a symbolic link cannot be used, or None for a file link that stays inside."""
    try:
        info = os.stat(path)
    except OSError as err:
        if err.errno == errno.ELOOP:
            return _("symbolic link loop")
        return _("broken symbolic link (target {target} does not exist)").format(
            target=repr(os.readlink(path)))
    if stat.S_ISDIR(info.st_mode):
        return _(_LINKED_FOLDER)
    target = os.path.realpath(path)
    if os.path.commonpath([root_real, target]) != root_real:
        return _("symbolic link points outside the archive (to {target})").format(
            target=target)
    return None


def scan_archive(root: Path) -> ArchiveScan:
    """List every candidate article under root, in id order, without reading any.

    Folders are walked without following symlinks, so a linked folder cannot pull in
    files from elsewhere or loop forever. Raises OSError if root itself cannot be listed.
    """
    root = Path(os.path.abspath(root))
    root_real = os.path.realpath(root)
    scan = ArchiveScan()
    found: list[ArchiveFile] = []
    with os.scandir(root) as entries:
        pending = [("", list(entries))]
    while pending:
        prefix, entries = pending.pop()
        for entry in entries:
            _visit(entry, prefix, root_real, scan, found, pending)
    found.sort()  # by id first: files of one id end up side by side
    if len({f.id for f in found}) == len(found):
        scan.files = found
    else:
        _reject_same_ids(found, root, scan)
    scan.rejected.sort(key=lambda e: e.id)
    return scan


def _reject_same_ids(found: list[ArchiveFile], root: Path, scan: ArchiveScan) -> None:
    by_id: dict[str, list[ArchiveFile]] = defaultdict(list)
    for file in found:
        by_id[file.id].append(file)
    for id, files in by_id.items():
        if len(files) == 1:
            scan.files.append(files[0])
        else:
            names = ", ".join(repr(os.path.relpath(f.abspath, root)) for f in files)
            scan.rejected.append(
                ArticleError(id, _("{count} files have this name once Unicode-normalized "
                                   "({names}); rename all but one").format(
                                       count=len(files), names=names))
            )


def _visit(entry: os.DirEntry, prefix: str, root_real: str, scan: ArchiveScan,
           found: list[ArchiveFile], pending: list) -> None:
    name = entry.name
    rel = prefix + name
    if _ignored(name):
        scan.skipped += 1
        return
    try:
        is_dir = entry.is_dir(follow_symlinks=False)
        dot = name.rfind(".")
        supported = dot > 0 and name[dot:].lower() in SUPPORTED_SUFFIXES
        if is_dir or supported:
            problem = _name_problem(name)
            if problem:
                kind = _("folder") if is_dir else _("file")
                scan.rejected.append(ArticleError(printable(_nfc_id(rel)),
                                                  f"{kind}: {problem}"))
                return
        if is_dir:
            _enter(entry, rel, scan, pending)
            return
        if entry.is_symlink():
            problem = _symlink_problem(entry.path, root_real)
            if problem and (supported or problem == _(_LINKED_FOLDER)):
                scan.rejected.append(ArticleError(_nfc_id(rel), problem))
                return
        if not supported or not entry.is_file():
            scan.skipped += 1
            return
        info = entry.stat()
    except FileNotFoundError:
        return
    found.append(ArchiveFile(_nfc_id(rel), entry.path, info.st_size, info.st_mtime))


def _enter(entry: os.DirEntry, rel: str, scan: ArchiveScan, pending: list) -> None:
    try:
        with os.scandir(entry.path) as children:
            pending.append((rel + "/", list(children)))
    except FileNotFoundError:
        return
    except OSError as err:
        reason = _("permission denied") if isinstance(err, PermissionError) else err.strerror
        scan.rejected.append(ArticleError(_nfc_id(rel), _("cannot read folder: {reason}").format(
            reason=reason)))
        scan.unreadable.append(_nfc_id(rel))
