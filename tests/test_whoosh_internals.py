"""indexer.whoosh_internals: the one module that reaches inside Whoosh, and its version check.

The check is given another version as an argument; Whoosh's code itself is always the
installed one. A scan of ``indexer/`` and ``webapp/`` makes sure no other module uses
Whoosh's internals.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import textwrap
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from indexer.whoosh_internals import WRITTEN_FOR, WhooshVersionError, check_version

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
