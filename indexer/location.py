"""Where the live index is, and how a new one replaces it without readers noticing.

The index folder holds generations (``gen-000001/`` …) and a ``current`` symbolic link to
the live one. A full rebuild writes a new generation and replaces the link with one atomic
``os.replace``, so a reader opens either the old or the new index, never a half-built or
missing one. Incremental updates commit into the live generation: Whoosh segments are
immutable and a commit publishes a new table of contents atomically.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.index import FileIndex, clean_files

from . import whoosh_internals
from .i18n import _
from .schema import build_schema, schema_signature

CURRENT = "current"
_GEN_RE = re.compile(r"^gen-(\d{6})$")


class IndexMissing(Exception):
    """There is no usable index yet: run ``vnsearch index`` first."""

    @classmethod
    def absent(cls, root: Path) -> IndexMissing:
        """No index has been built in ``root`` (or it was removed)."""
        return cls(_("no search index in the folder '{folder}': run `vnsearch index` to "
                     "build it").format(folder=root))

    @classmethod
    def unreadable(cls, root: Path, error: object) -> IndexMissing:
        """The index's files vanished or broke while they were read."""
        return cls(_("the index in {folder} cannot be read ({error}): run `vnsearch index` "
                     "to build it").format(folder=root, error=error))


class IndexIncompatible(IndexMissing):
    """The index was written by a vnsearch with other fields or analyzers."""


def current_dir(root: Path) -> Path | None:
    link = root / CURRENT
    try:
        target = os.readlink(link)
    except OSError:
        return None
    path = root / target
    return path if path.is_dir() else None


def open_current(root: Path) -> FileIndex:
    path = current_dir(root)
    if path is None or not whoosh_index.exists_in(str(path)):
        raise IndexMissing.absent(root)
    try:
        index = whoosh_index.open_dir(str(path))
    except whoosh_index.IndexVersionError as err:
        raise _incompatible(root, str(err)) from err
    except (OSError, whoosh_index.IndexError) as err:
        # Files vanishing while they are read: the index was removed under a reader.
        raise IndexMissing.unreadable(root, err) from err
    except (AttributeError, ImportError, EOFError, ValueError) as err:
        raise _incompatible(root, str(err)) from err
    if schema_signature(index.schema) != schema_signature(build_schema()):
        index.close()
        raise _incompatible(root, _("its fields differ from this version's"))
    return index


def _incompatible(root: Path, reason: str) -> IndexIncompatible:
    return IndexIncompatible(
        _("the index in {folder} was built by another version of vnsearch and cannot be read "
          "({reason}): rebuild it with `vnsearch index --full`").format(folder=root,
                                                                        reason=reason)
    )


def generations(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    found = [p for p in root.iterdir() if _GEN_RE.match(p.name) and p.is_dir()]
    return sorted(found)


def new_generation(root: Path) -> Path:
    existing = generations(root)
    number = int(existing[-1].name[4:]) + 1 if existing else 1
    path = root / f"gen-{number:06d}"
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def publish(root: Path, generation: Path) -> None:
    """Point ``current`` at ``generation`` atomically, then drop all but the previous one.

    The previous generation stays so that a reader that opened it just before the swap can
    finish its request; anything older is no longer reachable.
    """
    tmp_link = root / f".{CURRENT}.{os.getpid()}"
    if tmp_link.is_symlink() or tmp_link.exists():
        tmp_link.unlink()
    os.symlink(generation.name, tmp_link)
    os.replace(tmp_link, root / CURRENT)
    live = generation.name
    older = [g for g in generations(root) if g.name < live]
    for stale in older[:-1]:
        shutil.rmtree(stale, ignore_errors=True)


def discard_unpublished(root: Path) -> None:
    """Remove generations newer than the live one: leftovers of a killed full rebuild."""
    live = current_dir(root)
    for gen in generations(root):
        if live is None or gen.name > live.name:
            shutil.rmtree(gen, ignore_errors=True)


def discard_uncommitted(root: Path) -> None:
    """Remove what a failed or killed incremental run left in the live generation: segment
    files no table of contents lists, and the writer's temporary folders.

    Called with the reindex lock held, so no writer is running; Whoosh's own commit removes
    the same files, so a reader never needs them.
    """
    live = current_dir(root)
    if live is None or not whoosh_index.exists_in(str(live)):
        return
    for leftover in live.glob("*.tmp"):
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
    try:
        index = whoosh_index.open_dir(str(live))
        clean_files(index.storage, index.indexname, index.latest_generation(),
                    whoosh_internals.index_segments(index))
    except (OSError, AttributeError, ImportError, EOFError, ValueError):
        return  # an unreadable index is rebuilt, not cleaned
