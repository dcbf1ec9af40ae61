"""A fresh install brings what the code imports.

``pip install -e .`` installs the requirements of pyproject.toml and, recursively, theirs,
but not the optional extras a dependency asks of another (justext asks for
``lxml[html_clean]``, which not every pip honours): with the pip that ``python3 -m venv``
brings, every HTML file was rejected for a missing ``lxml_html_clean``. These tests check
the declared requirements, closed over their own (extras left out), against the modules
that the code and a read of every kind of article file really load. The exact Whoosh
version is pinned because ``indexer/whoosh_internals.py`` uses its internals and the array
writer writes its on-disk format (``tests/test_whoosh_internals.py`` checks the pin against
the version that module was written for).
"""

from __future__ import annotations

import ast
import functools
import importlib.metadata as metadata
import re
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

from indexer.articles import ArchiveFile, read_article

REPO = Path(__file__).resolve().parents[1]
OWN = {"indexer", "webapp"}
NOT_THE_APP = {"pytest", "hypothesis", "playwright", "pluggy", "iniconfig", "packaging",
               "sortedcontainers", "attrs", "greenlet", "pyee", "typing-extensions",
               "pygments", "setuptools", "vnsearch", "babel"}
"""Distributions loaded here by the test tools and the venv itself, not by vnsearch."""


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared() -> dict[str, Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    requirements = (Requirement(r) for r in project["dependencies"])
    return {normalize(r.name): r for r in requirements if r.marker is None or r.marker.evaluate()}


def installed_closure() -> set[str]:
    """The distributions `pip install -e .` brings: declared ones and, recursively, what
    they require outside extras."""
    found: set[str] = set()
    pending = list(declared())
    while pending:
        name = pending.pop()
        if name in found:
            continue
        found.add(name)
        for line in metadata.requires(name) or []:
            requirement = Requirement(line)
            marker = requirement.marker
            if marker is None or marker.evaluate({"extra": ""}):
                pending.append(normalize(requirement.name))
    return found


@functools.cache
def _module_distributions() -> dict[str, list[str]]:
    return metadata.packages_distributions()


def distributions(module: str) -> set[str]:
    return {normalize(d) for d in _module_distributions().get(module, [])}


def imported_by_our_code() -> set[str]:
    """Top-level third-party modules that indexer/ and webapp/ import."""
    modules: set[str] = set()
    for path in [*(REPO / "indexer").glob("*.py"), *(REPO / "webapp").glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    return {m for m in modules if m not in sys.stdlib_module_names and m not in OWN}


def test_every_module_our_code_imports_is_declared():
    names = declared()
    undeclared = sorted(m for m in imported_by_our_code() if not distributions(m) & set(names))
    assert not undeclared, f"imported but not declared in pyproject.toml: {undeclared}"


def test_reading_every_kind_of_file_loads_only_installed_distributions(tmp_path):
    files = {
        "bai.txt": "Tiêu đề\n\nNội dung bài viết.\n",
        "bai.md": "# Tiêu đề\n\nNội dung *bài viết*.\n",
        "bai.html": ("<html><head><title>Tiêu đề</title></head><body><article><h1>Tiêu đề"
                     "</h1><p>Nội dung bài viết về hội chợ sách mùa thu ở công viên trung "
                     "tâm, với hơn hai trăm gian hàng của các nhà xuất bản.</p></article>"
                     "</body></html>"),
    }
    for name, text in files.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        info = path.stat()
        assert read_article(tmp_path, ArchiveFile(name, str(path), info.st_size, info.st_mtime))
    closure = installed_closure()
    loaded = {name.split(".")[0] for name in list(sys.modules)}
    missing = sorted(
        f"{module} ({', '.join(sorted(dists))})" for module in loaded
        if (dists := distributions(module)) and not dists & closure
        and not dists & NOT_THE_APP
    )
    assert not missing, f"loaded, but not brought by the declared requirements: {missing}"


def test_whoosh_is_pinned_to_the_tested_version():
    whoosh = declared()["whoosh3"]
    pinned = [spec.version for spec in whoosh.specifier if spec.operator == "=="]
    assert pinned == [metadata.version("whoosh3")], (
        f"pyproject.toml must pin whoosh3=={metadata.version('whoosh3')}, not {whoosh}")
