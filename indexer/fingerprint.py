"""The archive as the index last recorded it, kept as one digest beside the index.

An incremental run that changes nothing used to read every file's recorded state out of
the index and compare it with the scan file by file: about half of such a run, which
grows with the archive (500,000 articles: over 10 s of the target's 10). A run whose
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
from collections.abc import Iterable
from pathlib import Path

FILE_NAME = "archive-fingerprint.json"


def stamp(size: int, mtime: float) -> str:
    """A file's size and mtime as the index records them (the start of its state)."""
    return f"{size} {mtime!r}"


def digest(stamps: Iterable[tuple[str, str]]) -> str:
    """The digest of (id, stamp) pairs, which must come in id order."""
    listing = "".join(f"{doc_id}\t{file_stamp}\n" for doc_id, file_stamp in stamps)
    return hashlib.blake2b(listing.encode("utf-8", "surrogatepass"), digest_size=20).hexdigest()


def record(folder: Path, generation: int, stamps: Iterable[tuple[str, str]],
           duplicates: list[list[str]]) -> None:
    """Save the digest of what the index at ``generation`` records, and its duplicate
    groups (a run that changes nothing reports them)."""
    content = json.dumps({"generation": generation, "digest": digest(stamps),
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


def unchanged(folder: Path, generation: int, stamps: Iterable[tuple[str, str]]
              ) -> list[list[str]] | None:
    """The duplicate groups if the archive is exactly as recorded at ``generation``,
    else None (changed, or no usable digest)."""
    try:
        saved = json.loads((folder / FILE_NAME).read_text(encoding="utf-8"))
        if saved["generation"] != generation:
            return None
        if saved["digest"] != digest(stamps):
            return None
        return [list(group) for group in saved["duplicates"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None
