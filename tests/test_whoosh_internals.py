"""indexer.whoosh_internals: the one module that reaches inside Whoosh, and its version check.

On a Whoosh other than the release the module was written for, every entry point stops
before reading or writing an index: the command line with one line and exit 2, ``build``
and the web app with ``WhooshVersionError``. The check is given another version as an
argument, or (in a new process) finds another whoosh3 distribution first on Python's path;
Whoosh's code itself is always the installed one. A scan of ``indexer/`` and ``webapp/``
then makes sure no other module uses Whoosh's internals.
"""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import os
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner
from packaging.requirements import Requirement

from helpers import VNSEARCH, write_article
from indexer import whoosh_internals
from indexer.build import build
from indexer.cli import main
from indexer.whoosh_internals import WRITTEN_FOR, WhooshVersionError, check_version
from webapp import create_app

REPO = Path(__file__).resolve().parents[1]
INTERNALS = REPO / "indexer" / "whoosh_internals.py"
OTHER_VERSION = "3.55.0"


def test_the_version_it_was_written_for_is_accepted():
    check_version(WRITTEN_FOR)
    check_version()  # the installed one


def test_another_version_is_refused_naming_both_and_what_to_do():
    with pytest.raises(WhooshVersionError) as refused:
        check_version(OTHER_VERSION)
    message = str(refused.value)
    assert "\n" not in message
    assert message.startswith(f"whoosh3 {OTHER_VERSION} is installed, but vnsearch ")
    assert message.endswith(
        f"install whoosh3=={WRITTEN_FOR}, the version vnsearch was tested with")


def test_pyproject_pins_the_version_it_was_written_for():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    whoosh = [Requirement(r) for r in project["dependencies"]
              if Requirement(r).name == "whoosh3"]
    assert [str(r.specifier) for r in whoosh] == [f"=={WRITTEN_FOR}"]


@pytest.fixture
def other_whoosh(monkeypatch):
    """Entry points check as if whoosh3 OTHER_VERSION were installed."""
    monkeypatch.setattr(whoosh_internals, "check_version",
                        functools.partial(check_version, OTHER_VERSION))


@pytest.fixture
def archive(tmp_path) -> Path:
    root = tmp_path / "archive"
    write_article(root, "bao.txt", "Bão số 3 đổ bộ", "Bão số 3 gây mưa lớn ở miền Trung.")
    return root


def test_the_command_line_stops_with_one_line_and_exit_2(other_whoosh, archive, tmp_path):
    for command in (["index", "--archive", archive], ["search", "bão"]):
        result = CliRunner().invoke(main, [*map(str, command), "--index",
                                           str(tmp_path / "index")])
        assert result.exit_code == 2, result.output
        assert result.stdout == ""
        assert result.stderr.count("\n") == 1
        assert result.stderr.startswith(f"Error: whoosh3 {OTHER_VERSION} is installed")
        assert not (tmp_path / "index").exists()


def test_a_new_process_with_another_whoosh3_stops_at_start_up(tmp_path):
    """The check reads the installed distribution's version, so a whoosh3 OTHER_VERSION
    found first on Python's path is what it sees after that release was installed: the
    module refuses to be imported, and the command says so in one line."""
    if not VNSEARCH.exists():
        pytest.skip(f"{VNSEARCH} is not installed")
    site = tmp_path / "site"
    dist_info = site / f"whoosh3-{OTHER_VERSION}.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: whoosh3\nVersion: {OTHER_VERSION}\n")
    path = os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path}
    done = subprocess.run([str(VNSEARCH), "search", "bão", "--index", str(tmp_path / "index")],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 2
    assert done.stderr.startswith(f"Error: whoosh3 {OTHER_VERSION} is installed")
    assert done.stderr.count("\n") == 1 and done.stdout == ""
    imported = subprocess.run([sys.executable, "-c", "import indexer.search"],
                              capture_output=True, text=True, env=env, timeout=120)
    assert f"WhooshVersionError: whoosh3 {OTHER_VERSION} is installed" in imported.stderr


def test_build_refuses_before_touching_the_index(other_whoosh, archive, tmp_path):
    with pytest.raises(WhooshVersionError):
        build(archive, tmp_path / "index", jobs=1)
    assert not (tmp_path / "index").exists()


def test_the_web_app_is_not_built(other_whoosh, tmp_path):
    with pytest.raises(WhooshVersionError):
        create_app({"INDEX_ROOT": tmp_path / "index", "ARCHIVE_ROOT": tmp_path / "archive"})


# ------------------------------------------------------------------ nobody else reaches in

SOURCES = sorted([*(REPO / "indexer").glob("*.py"), *(REPO / "webapp").glob("*.py")])
STDLIB_PRIVATE = {("os", "_exit")}
"""Private names of the standard library that our modules may use."""


def _private(name: str) -> bool:
    return name.startswith("_") and not name.endswith("__")


def _root(node: ast.expr) -> str | None:
    """The name an attribute chain starts from (``whoosh`` for ``whoosh.query.Term.x``)."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _whoosh_names(tree: ast.Module) -> set[str]:
    """The names a module binds to Whoosh's modules and classes by importing them."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "whoosh":
            names.update(alias.asname or alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.asname or alias.name.split(".")[0] for alias in node.names
                         if alias.name.split(".")[0] == "whoosh")
    return names


def _own_private_names(tree: ast.Module) -> set[str]:
    """Private attributes the module's own classes set on ``self`` or define."""
    stored = {node.attr for node in ast.walk(tree)
              if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store)
              and isinstance(node.value, ast.Name) and node.value.id == "self"}
    defined = {item.name for node in ast.walk(tree) if isinstance(node, ast.ClassDef)
               for item in node.body if isinstance(item, ast.FunctionDef)}
    return {name for name in stored | defined if _private(name)}


def reaching_in(path: Path) -> list[str]:
    """Where the module's source imports Whoosh's format module (``whoosh.codec``), reads a
    private attribute of anything but ``self`` (by name or by ``getattr``) that is not one
    of its own classes', or assigns into a Whoosh module or class."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    whoosh = _whoosh_names(tree)
    own = _own_private_names(tree)
    found = []
    for node in ast.walk(tree):
        where = f"{path.name}:{getattr(node, 'lineno', '')}"
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("whoosh.codec"):
            found.append(f"{where} imports {node.module}")
        elif (isinstance(node, ast.Attribute) and _private(node.attr) and node.attr not in own
              and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))
              and (_root(node), node.attr) not in STDLIB_PRIVATE):
            found.append(f"{where} reads .{node.attr}")
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id in ("getattr", "setattr", "hasattr") and len(node.args) > 1):
            name = node.args[1]
            if isinstance(name, ast.Constant) and _private(str(name.value)):
                found.append(f"{where} {node.func.id}(…, {name.value!r})")
            if node.func.id == "setattr" and _root(node.args[0]) in whoosh:
                found.append(f"{where} patches {ast.unparse(node.args[0])}")
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            found += [f"{where} patches {ast.unparse(t)}" for t in targets
                      if isinstance(t, ast.Attribute) and _root(t) in whoosh]
    return found


def _private_names_of(cls: type) -> set[str]:
    """Private names a class defines, or uses on ``self`` in its own source."""
    names = {name for name in vars(cls) if _private(name)}
    try:
        source = textwrap.dedent(inspect.getsource(cls))
    except (OSError, TypeError):
        return names
    return names | {node.attr for node in ast.walk(ast.parse(source))
                    if isinstance(node, ast.Attribute) and _private(node.attr)
                    and _root(node) == "self"}


def overriding(path: Path) -> list[str]:
    """Private names that the module's subclasses of Whoosh classes share with their
    Whoosh ancestors: overridden private methods, and private attributes of Whoosh's
    objects used as their own."""
    module = importlib.import_module(f"{path.parent.name}.{path.stem}")
    found = []
    for cls in vars(module).values():
        if not isinstance(cls, type) or cls.__module__ != module.__name__:
            continue
        whoosh = set().union(*(_private_names_of(c) for c in cls.__mro__[1:]
                               if c.__module__.split(".")[0] == "whoosh"))
        found += [f"{cls.__name__}.{name}" for name in sorted(_private_names_of(cls) & whoosh)]
    return found


def test_only_the_internals_module_reaches_inside_whoosh():
    others = [path for path in SOURCES if path != INTERNALS]
    assert len(others) > 30
    assert [use for path in others for use in reaching_in(path)] == []
    assert [use for path in others for use in overriding(path)] == []


def test_the_scan_finds_what_the_internals_module_does():
    found = reaching_in(INTERNALS)
    for use in ("imports whoosh.codec.whoosh3", "reads ._tindex", "reads ._dbfile",
                "getattr(…, '_perdoc')", "patches W3LeafMatcher.skip_to",
                "patches W3TermsReader.__contains__"):
        assert any(use in line for line in found), use
    assert {"PoolFreeSegmentWriter._flush_segment", "ExactAndNotMatcher._find_first",
            "PoolFreeSegmentWriter._added"} <= set(overriding(INTERNALS))


def test_titles_read_from_the_mapped_column_are_those_whoosh_reads(tmp_path):
    from indexer.location import open_current
    from indexer.search import _titles

    root = tmp_path / "archive"
    for n in range(30):
        write_article(root, f"muc/bai-{n:02d}.txt", f"Tiêu đề số {n}" + " dài" * n, "Nội dung.")
    build(root, tmp_path / "index", jobs=1)
    write_article(root, "muc/moi.txt", "Bài mới về Hà Nội", "Nội dung.")
    build(root, tmp_path / "index", jobs=1)
    ix = open_current(tmp_path / "index")
    with ix.searcher() as searcher:
        reader = searcher.reader()
        leaves = reader.leaf_readers()
        assert len(leaves) == 2
        for leaf, _ in leaves:
            mapped = whoosh_internals.mapped_bytes_column(leaf, "title_column")
            assert mapped is not None
            whoosh = leaf.column_reader("title_column")
            assert ([mapped[d] for d in range(leaf.doc_count_all())]
                    == [whoosh[d] for d in range(leaf.doc_count_all())])
        column, titles = reader.column_reader("title_column"), _titles(reader)
        assert ([titles[d] for d in range(reader.doc_count_all())]
                == [column[d].decode() for d in range(reader.doc_count_all())])
        assert "Bài mới về Hà Nội" in [titles[d] for d in range(reader.doc_count_all())]


def test_columns_read_in_one_piece_are_those_whoosh_reads(tmp_path):
    from indexer.location import open_current

    root = tmp_path / "archive"
    for n in range(12):
        write_article(root, f"muc/bai-{n:02d}.txt", f"Tiêu đề số {n}", "Nội dung " * n)
    write_article(root, "muc/ban-sao.txt", "Tiêu đề số 3", "Nội dung " * 3)
    build(root, tmp_path / "index", jobs=1)
    (root / "muc" / "bai-05.txt").unlink()
    write_article(root, "muc/moi.txt", "Bài mới về Hà Nội", "Nội dung.")
    build(root, tmp_path / "index", jobs=1)
    ix = open_current(tmp_path / "index")
    with ix.reader() as reader:
        leaves = reader.leaf_readers()
        assert len(leaves) >= 2
        for leaf, _ in leaves:
            for name in ("id", "state", "content", "links"):
                whoosh = leaf.column_reader(name, translate=False)
                assert (list(whoosh_internals.bytes_column_values(leaf, name))
                        == [whoosh[d] for d in range(leaf.doc_count_all())]), name
        links = [v for leaf, _ in leaves
                 for v in whoosh_internals.bytes_column_values(leaf, "links")]
        assert any(b"ban-sao" in v for v in links)


def test_terms_looked_up_in_the_mapped_dictionary_are_those_whoosh_finds(tmp_path):
    from indexer.location import open_current

    root = tmp_path / "archive"
    for n in range(20):
        write_article(root, f"muc/bai-{n:02d}.txt", f"Tin số {n} về Hà Nội",
                      f"Bài {n}: kinh tế, bóng đá và thời tiết ở Hà Nội, Huế, Đà Nẵng.")
    build(root, tmp_path / "index", jobs=1)
    write_article(root, "muc/moi.txt", "Xuồng cứu hộ", "Xuồng cứu hộ ở Quỳnh Lưu.")
    build(root, tmp_path / "index", jobs=1)
    with open_current(tmp_path / "index").reader() as reader:
        leaves = reader.leaf_readers()
        assert len(leaves) == 2
        for leaf, _ in leaves:
            table = leaf._terms._tindex
            mapped = whoosh_internals.mapped_hash_table(table)
            assert mapped is not None
            keys = list(table.keys())
            assert len(keys) > 20
            assert [mapped.get(key) for key in keys] == [table.get(key) for key in keys]
            assert all(mapped.get(key + b"\x00x") is None for key in keys)
        assert reader.doc_frequency("syl", "quỳnh") == 1
        assert reader.doc_frequency("syl", "không-có") == 0
