"""The archive as the index last recorded it, kept as one digest beside the index.

An incremental run that changes nothing used to read every file's recorded state out of
the index and compare it with the scan file by file: about half of such a run, which
grows with the archive (500,000 articles: 9.6-10.9 s in all, 4.6-5.3 s without it). A run whose
scan hashes to the digest of the last commit knows at once that every file the index
knows is there, unchanged by size and mtime, and that no other file is: exactly the case
where the file-by-file comparison finds nothing to do.

The digest names the Whoosh generation it was taken at, so any commit not followed by a
new digest (a run that failed half-way, an older vnsearch) makes it stale, and a stale,
missing or unreadable digest only means the run compares file by file, as before.
"""

from __future__ import annotations

import hashlib
import json
import os
from array import array
from pathlib import Path
from typing import NamedTuple

FILE_NAME = "archive-fingerprint.json"


class Listing(NamedTuple):
    """Every file's id, size and mtime, in id order: columns, so that the digest hashes
    three buffers instead of formatting a line per file (formatting each mtime was most
    of the digest's cost)."""

    ids: list[str]
    sizes: list[int]
    mtimes: list[float]


def digest(listing: Listing) -> str:
    hashed = hashlib.blake2b(digest_size=20)
    hashed.update("\0".join(listing.ids).encode("utf-8", "surrogatepass"))
    hashed.update(array("q", listing.sizes).tobytes())
    hashed.update(array("d", listing.mtimes).tobytes())
    return hashed.hexdigest()


def record(folder: Path, generation: int, listing: Listing,
           duplicates: list[list[str]]) -> None:
    """Save the digest of what the index at ``generation`` records, and its duplicate
    groups (a run that changes nothing reports them)."""
    content = json.dumps({"generation": generation, "digest": digest(listing),
                          "duplicates": duplicates}, ensure_ascii=False)
    path = folder / FILE_NAME
    tmp = folder / f".{FILE_NAME}.{os.getpid()}"
    try:
        if path.read_text(encoding="utf-8") == content:
            return  # a run that changed nothing writes nothing
    except (OSError, ValueError):
        pass
    try:
        tmp.write_text(content, encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        # Only a shortcut is lost: the next run compares file by file.
        tmp.unlink(missing_ok=True)


def unchanged(folder: Path, generation: int, listing: Listing) -> list[list[str]] | None:
    """The duplicate groups if the archive is exactly as recorded at ``generation``,
    else None (changed, or no usable digest)."""
    try:
        saved = json.loads((folder / FILE_NAME).read_text(encoding="utf-8"))
        if saved["generation"] != generation:
            return None
        if saved["digest"] != digest(listing):
            return None
        return [list(group) for group in saved["duplicates"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None
