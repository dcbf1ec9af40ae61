"""Exact duplicates and moved addresses: which file an article's text stands in.

Files with the same cleaned title and body (``Article.text_hash``) are one article. The
first of them in id order, the *canonical*, is indexed; the others are its *copies*: not
results of their own, named on its page, and their addresses lead to it. First in id order
is a rule that a full rebuild and any sequence of incremental runs agree on, so which file
is indexed never depends on the index's history.

An address stays usable when its file goes but its text lives on: a renamed or moved file,
a deleted canonical whose copy remains, a deleted copy. Such ids become *former* ids of the
article that now holds the text, and the site redirects them there. Every redirect leads to
an indexed article in one step (a chain a → b → c is kept as a → c and b → c), and an id
that is an article's own again, or a copy's, is no longer a former id: a redirect never
hides a live article and never loops.

Both lists are kept with the canonical document, in its ``links`` column, so they are
committed with it in one atomic step; incremental runs carry them over and a full rebuild
takes them from the previous generation (``plan``).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple

from . import whoosh_internals


@dataclass
class Links:
    """An indexed article's copies and former ids."""

    copies: dict[str, str] = field(default_factory=dict)
    """Copy id → its file state as the index records it (size, mtime, checksum), so that an
    incremental run knows an unchanged copy without reading it."""
    former: list[str] = field(default_factory=list)
    """Ids whose addresses redirect to this article, sorted."""

    def __bool__(self) -> bool:
        return bool(self.copies or self.former)

    def encode(self) -> bytes:
        if not self:
            return b""
        return json.dumps({"copies": self.copies, "former": self.former},
                          ensure_ascii=False, sort_keys=True).encode()

    @classmethod
    def decode(cls, raw: bytes) -> "Links":
        if not raw:
            return cls()
        data = json.loads(raw)
        return cls(dict(data.get("copies", {})), list(data.get("former", [])))


class Known(NamedTuple):
    """A file as the index recorded it: indexed (``canonical`` is its own id) or a copy.
    A named tuple: an incremental run makes one for every file the index knows."""

    state: str
    text: str
    """``Article.text_hash`` of the text recorded for it."""
    canonical: str


@dataclass(frozen=True)
class Present:
    """A usable file of the archive now."""

    text: str
    state: str


def plan(present: dict[str, Present], known: dict[str, Known],
         former: dict[str, list[str]]) -> dict[str, Links]:
    """Canonical id → its links, for every article of ``present``.

    ``known`` and ``former`` are what the index recorded before this run (every file it
    knew, and each indexed article's former ids); they decide only where old addresses
    lead. A former id follows the text of the article it led to, and the id of a file that
    is gone leads to wherever its last known text is now, if anywhere.
    """
    groups: dict[str, list[str]] = defaultdict(list)
    for doc_id in sorted(present):
        groups[present[doc_id].text].append(doc_id)
    holder = {text: ids[0] for text, ids in groups.items()}
    links = {ids[0]: Links({copy: present[copy].state for copy in ids[1:]})
             for ids in groups.values()}

    def text_of(doc_id: str) -> str | None:
        if doc_id in present:
            return present[doc_id].text
        return known[doc_id].text if doc_id in known else None

    leads_to: dict[str, str] = {}
    for doc_id in sorted(former):
        target = holder.get(text_of(doc_id) or "")
        for old in former[doc_id]:
            if target:
                leads_to.setdefault(old, target)
    for doc_id in sorted(set(known) - set(present)):
        target = holder.get(known[doc_id].text)
        if target:
            leads_to.setdefault(doc_id, target)
    for old, target in leads_to.items():
        if old not in present:
            links[target].former.append(old)
    for article in links.values():
        article.former.sort()
    return links


def groups(links: dict[str, Links]) -> list[list[str]]:
    """Every article with copies as [canonical, copy, …], in id order."""
    return [[doc_id, *sorted(links[doc_id].copies)]
            for doc_id in sorted(doc_id for doc_id, article in links.items() if article.copies)]


def column(reader, name: str):
    """A column reader of ``reader``, opened once per reader (opening reads its index)."""
    cache = reader.__dict__.setdefault("_vnsearch_columns", {})
    if name not in cache:
        cache[name] = reader.column_reader(name)
    return cache[name]


def links_of(reader, docnum: int) -> Links:
    return Links.decode(column(reader, "links")[docnum])


def addresses(reader) -> dict[str, str]:
    """Every copy id and former id of the index → the id of the article holding its text.

    Built once per reader from the ``links`` column (most articles have none), and used
    only for ids that are no article's own.
    """
    cache = reader.__dict__
    if "_vnsearch_addresses" not in cache:
        table: dict[str, str] = {}
        for leaf, _ in reader.leaf_readers():
            ids, linked = (whoosh_internals.bytes_column_values(leaf, name)
                           for name in ("id", "links"))
            for docnum in leaf.all_doc_ids():
                raw = linked[docnum]
                if raw:
                    article, doc_id = Links.decode(raw), ids[docnum].decode()
                    for old in (*sorted(article.copies), *article.former):
                        table.setdefault(old, doc_id)
        cache["_vnsearch_addresses"] = table
    return cache["_vnsearch_addresses"]
