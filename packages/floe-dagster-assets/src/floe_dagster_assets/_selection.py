"""dbt's node selection syntax (``--select`` / ``--exclude``), resolved against a manifest index.

What a dbt user types daily, with dbt's meanings: space-separated terms are a union, commas
inside a term an intersection; each part is ``[@][n+]method:value[+n]`` or a bare value (a path
when it has a ``/``, a file when it ends in ``.sql``/``.py``/``.csv``, else an fqn or a name).
Graph operators walk dbt's refs through ephemeral models and sources. dbt tests come along
eagerly, as ``dbt build`` selects them: a test runs when the node it is attached to is built,
unless it (or that node) is excluded.

Nothing here imports dagster or dbt: the result is a set of dbt unique ids, which the caller
maps to asset keys (``dbt/unique_id`` metadata) and asset check keys.
"""

from __future__ import annotations

import difflib
import os
import re
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath
from typing import Any

from ._manifest import ManifestIndex, as_index, load_manifest

__all__ = ["METHODS", "DbtSelection", "DbtSelectionError", "select_dbt_nodes"]

# dbt's own pattern for one selector part (dbt/graph/selector_spec.py).
_PART = re.compile(
    r"\A(?P<childrens_parents>@)?(?P<parents>(?P<parents_depth>\d*)\+)?"
    r"((?P<method>[\w.]+):)?(?P<value>.*?)(?P<children>\+(?P<children_depth>\d*))?\Z"
)
RESOURCE_TYPES = ("model", "seed", "snapshot", "source", "test")
# dbt knows these too; a project here has none of them, so they select nothing.
_OTHER_RESOURCE_TYPES = frozenset(
    {"analysis", "exposure", "metric", "semantic_model", "saved_query", "unit_test", "function"}
)
_EXECUTABLE = frozenset({"model", "seed", "snapshot"})
_SUGGESTIONS = 3
_MAX_LISTED = 8


class DbtSelectionError(ValueError):
    """A ``--select``/``--exclude`` that dbt would not run as meant: every problem, one line."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(self.problems))


@dataclass(frozen=True)
class DbtSelection:
    """What a selection builds: dbt unique ids of models/seeds/snapshots and of dbt tests."""

    nodes: frozenset[str]
    tests: frozenset[str]
    #: Ephemeral models the selection named; they run inside the models that ref them.
    ephemeral: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class _Item:
    unique_id: str
    resource_type: str
    name: str
    fqn: tuple[str, ...]
    path: str
    tags: tuple[str, ...]
    package: str
    materialization: str = ""
    source_name: str = ""
    group: str = ""
    test_type: str = ""


@dataclass
class _Project:
    """Every selectable node of the project, and dbt's graph between them."""

    name: str
    items: dict[str, _Item] = field(default_factory=dict)
    parents: dict[str, list[str]] = field(default_factory=dict)
    children: dict[str, list[str]] = field(default_factory=dict)
    tests_of: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, index: ManifestIndex) -> _Project:
        project = cls(name=index.project_name)
        package = index.project_name
        for node in index.by_uid.values():
            project._add(
                _Item(
                    unique_id=node.unique_id,
                    resource_type=node.resource_type,
                    name=node.name,
                    fqn=tuple(node.fqn),
                    path=_posix(node.path),
                    tags=tuple(node.tags),
                    package=package,
                    materialization=node.materialization,
                    group=str(getattr(node, "group", "") or ""),
                ),
                node.parents,
            )
        for uid, source in index.sources.items():
            project._add(
                _Item(
                    unique_id=uid,
                    resource_type="source",
                    name=source.name,
                    fqn=tuple(
                        getattr(source, "fqn", ()) or (package, source.source_name, source.name)
                    ),
                    path=_posix(str(getattr(source, "path", "") or "")),
                    tags=tuple(getattr(source, "tags", ()) or ()),
                    package=package,
                    source_name=source.source_name,
                ),
                (),
            )
        for test in index.tests:
            project._add(
                _Item(
                    unique_id=test.unique_id,
                    resource_type="test",
                    name=test.name,
                    fqn=tuple(test.fqn),
                    path=_posix(str(getattr(test, "path", "") or "")),
                    tags=tuple(getattr(test, "tags", ()) or ()),
                    package=package,
                    test_type="singular" if test.test_type == "singular" else "generic",
                ),
                (),
            )
            if test.attached_to:
                project.tests_of.setdefault(test.attached_to, []).append(test.unique_id)
        return project

    def _add(self, item: _Item, parents: Iterable[str]) -> None:
        self.items[item.unique_id] = item
        known = [p for p in parents if p != item.unique_id]
        self.parents[item.unique_id] = known
        for parent in known:
            self.children.setdefault(parent, []).append(item.unique_id)

    def walk(
        self, start: Iterable[str], edges: Mapping[str, list[str]], depth: int | None
    ) -> set[str]:
        """Nodes reachable from ``start`` along ``edges`` within ``depth`` steps (not ``start``)."""
        seen: set[str] = set()
        frontier = deque((uid, 0) for uid in start)
        while frontier:
            uid, steps = frontier.popleft()
            if depth is not None and steps >= depth:
                continue
            for other in edges.get(uid, ()):
                if other not in seen and other in self.items:
                    seen.add(other)
                    frontier.append((other, steps + 1))
        return seen


def select_dbt_nodes(
    manifest: Mapping[str, Any] | ManifestIndex | str | os.PathLike[str],
    select: Sequence[str] = (),
    exclude: Sequence[str] = (),
    *,
    project_dir: str | os.PathLike[str] | None = None,
) -> DbtSelection:
    """What ``dbt build --select ... --exclude ...`` would build in the project, as unique ids.

    ``manifest`` is a loaded manifest, its path, or its index. ``select`` and ``exclude`` are
    dbt selectors as typed (each item may hold several space-separated terms); no ``select``
    means everything. ``project_dir`` lets ``path:`` take paths relative to the current
    directory or absolute ones (dbt's are relative to the project). Raises
    :class:`DbtSelectionError` naming every selector that matches nothing, names only ephemeral
    models or only sources (nothing to build), or that dbt would not parse.
    """
    if isinstance(manifest, (str, os.PathLike)):
        manifest = load_manifest(manifest)
    project = _Project.of(as_index(manifest))
    root = Path(project_dir).resolve() if project_dir is not None else None
    problems: list[str] = []
    chosen: set[str] = set()
    select_terms = _terms(select)
    exclude_terms = _terms(exclude)
    if select_terms:
        for term in select_terms:
            chosen |= _term(project, term, "--select", root, problems)
    else:
        chosen = set(project.items)
    dropped: set[str] = set()
    for term in exclude_terms:
        dropped |= _term(project, term, "--exclude", root, problems)
    if problems:
        raise DbtSelectionError(problems)
    kept = chosen - dropped
    nodes = {u for u in kept if _runnable(project.items[u])}
    # Eager indirect selection: the tests of every built node, unless excluded themselves.
    tests = {u for u in kept if project.items[u].resource_type == "test"}
    for uid in nodes:
        tests.update(project.tests_of.get(uid, ()))
    dropped_tests = {u for u in dropped if project.items[u].resource_type == "test"}
    for uid in dropped:
        dropped_tests.update(project.tests_of.get(uid, ()))
    tests -= dropped_tests
    ephemeral = {u for u in kept if project.items[u].materialization == "ephemeral"}
    if not nodes and not tests:
        what = " ".join(select_terms) or "every node"
        raise DbtSelectionError(
            [
                f"--select {what!r} minus --exclude {' '.join(exclude_terms)!r} leaves nothing "
                f"to build in dbt project {project.name!r}"
            ]
        )
    return DbtSelection(frozenset(nodes), frozenset(tests), frozenset(ephemeral))


def _terms(selectors: Sequence[str]) -> list[str]:
    if isinstance(selectors, str):
        selectors = [selectors]
    return [term for selector in selectors for term in str(selector).split()]


def _runnable(item: _Item) -> bool:
    return item.resource_type in _EXECUTABLE and item.materialization != "ephemeral"


def _term(
    project: _Project, term: str, option: str, root: Path | None, problems: list[str]
) -> set[str]:
    """One space-separated term: the intersection of its comma-separated parts."""
    found: set[str] | None = None
    try:
        for part in term.split(","):
            matched = _part(project, part, root)
            found = matched if found is None else found & matched
    except ValueError as error:
        problems.append(f"{option} {term!r}: {error}")
        return set()
    if not found:
        problems.append(_nothing(project, term, option))
        return set()
    if option == "--select" and not any(
        _runnable(project.items[u]) or project.items[u].resource_type == "test" for u in found
    ):
        problems.append(_nothing_to_build(project, term, found))
        return set()
    return found


def _part(project: _Project, part: str, root: Path | None) -> set[str]:
    """One selector part with its graph operators; a ``ValueError`` says what is wrong."""
    match = _PART.match(part)
    if not part or match is None:
        raise ValueError("an empty selector (allowed: names, method:value, a,b)")
    if match["childrens_parents"] and match["parents"]:
        raise ValueError("'@' and a leading '+' cannot be combined (as in dbt)")
    value = match["value"]
    if not value:
        raise ValueError("a selector without a value")
    method = match["method"] or _default_method(value)
    search = _SEARCHES.get(method)
    if search is None:
        raise ValueError(f"unknown selector method {method!r} (allowed: {', '.join(_SEARCHES)})")
    found = search(project, value, root)
    if match["childrens_parents"]:
        descendants = found | project.walk(found, project.children, None)
        return descendants | project.walk(descendants, project.parents, None)
    selected = set(found)
    if match["parents"]:
        selected |= project.walk(found, project.parents, _depth(match["parents_depth"]))
    if match["children"]:
        selected |= project.walk(found, project.children, _depth(match["children_depth"]))
    return selected


def _depth(text: str | None) -> int | None:
    return int(text) if text else None


def _default_method(value: str) -> str:
    """dbt's: a value with a path separator is a path, a file name is a file, else an fqn."""
    if "/" in value or os.sep in value:
        return "path"
    if value.lower().endswith((".sql", ".py", ".csv")):
        return "file"
    return "fqn"


# -- the methods: (project, value, project root) -> unique ids ------------------------------
Search = Callable[[_Project, str, "Path | None"], set[str]]


def _where(test: Callable[[_Item], bool]) -> Callable[[_Project], set[str]]:
    return lambda project: {i.unique_id for i in project.items.values() if test(i)}


def _by_fqn(project: _Project, value: str, _: Path | None) -> set[str]:
    return _where(lambda i: _fqn_matches(i.fqn, value))(project)


def _by_tag(project: _Project, value: str, _: Path | None) -> set[str]:
    return _where(lambda i: any(fnmatchcase(t, value) for t in i.tags))(project)


def _by_path(project: _Project, value: str, root: Path | None) -> set[str]:
    pattern = _path_pattern(value, root)
    return _where(lambda i: bool(i.path) and pattern.match(i.path) is not None)(project)


def _by_file(project: _Project, value: str, _: Path | None) -> set[str]:
    def matches(item: _Item) -> bool:
        path = PurePosixPath(item.path)
        return bool(item.path) and (fnmatchcase(path.name, value) or fnmatchcase(path.stem, value))

    return _where(matches)(project)


def _by_resource_type(project: _Project, value: str, _: Path | None) -> set[str]:
    if value not in RESOURCE_TYPES and value not in _OTHER_RESOURCE_TYPES:
        raise ValueError(f"unknown resource type {value!r} (allowed: {', '.join(RESOURCE_TYPES)})")
    return _where(lambda i: i.resource_type == value)(project)


def _by_package(project: _Project, value: str, _: Path | None) -> set[str]:
    wanted = project.name if value == "this" else value
    return _where(lambda i: fnmatchcase(i.package, wanted))(project)


def _by_group(project: _Project, value: str, _: Path | None) -> set[str]:
    return _where(lambda i: bool(i.group) and fnmatchcase(i.group, value))(project)


def _by_materialization(project: _Project, value: str, _: Path | None) -> set[str]:
    return _where(lambda i: bool(i.materialization) and fnmatchcase(i.materialization, value))(
        project
    )


def _by_test_name(project: _Project, value: str, _: Path | None) -> set[str]:
    return _where(lambda i: i.resource_type == "test" and fnmatchcase(i.name, value))(project)


def _by_test_type(project: _Project, value: str, _: Path | None) -> set[str]:
    # dbt still takes its old words: schema (generic) and data (singular).
    kind = {"schema": "generic", "data": "singular"}.get(value, value)
    if kind not in {"generic", "singular"}:
        raise ValueError(f"unknown test type {value!r} (allowed: generic, singular)")
    return _where(lambda i: i.resource_type == "test" and i.test_type == kind)(project)


def _by_source(project: _Project, value: str, _: Path | None) -> set[str]:
    parts = value.split(".")
    if len(parts) == 1:
        package, source, table = "*", parts[0], "*"
    elif len(parts) == 2:
        package, source, table = "*", parts[0], parts[1]
    elif len(parts) == 3:
        package, source, table = parts
    else:
        raise ValueError(
            f"{value!r} is not a source (allowed: source_name, source_name.table, "
            "package.source_name.table)"
        )
    return _where(
        lambda i: (
            i.resource_type == "source"
            and fnmatchcase(i.package, package)
            and fnmatchcase(i.source_name, source)
            and fnmatchcase(i.name, table)
        )
    )(project)


_SEARCHES: dict[str, Search] = {
    "fqn": _by_fqn,
    "tag": _by_tag,
    "path": _by_path,
    "file": _by_file,
    "resource_type": _by_resource_type,
    "source": _by_source,
    "package": _by_package,
    "group": _by_group,
    "config.materialized": _by_materialization,
    "test_name": _by_test_name,
    "test_type": _by_test_type,
}
METHODS = tuple(_SEARCHES)


def _fqn_matches(fqn: tuple[str, ...], selector: str) -> bool:
    """dbt's ``is_selected_node``: the leaf name, a prefix of the fqn, or a wildcard pattern."""
    if not fqn or fqn[-1] == selector:
        return bool(fqn)
    flat = [piece for segment in fqn for piece in segment.split(".")]
    wanted = selector.split(".")
    if len(flat) < len(wanted):
        return False
    for position, piece in enumerate(wanted):
        if any(wildcard in piece for wildcard in "*?[]"):
            rest = fnmatchcase(".".join(flat[position:]), ".".join(wanted[position:]))
            # A bare wildcard (no dot) also matches the leaf, however deep the node is.
            return rest or ("." not in selector and fnmatchcase(fqn[-1], selector))
        if flat[position] != piece:
            return False
    return True


def _path_pattern(value: str, root: Path | None) -> re.Pattern[str]:
    """The nodes under ``value`` (a project-relative path or glob; ``**`` spans folders)."""
    text = value.replace(os.sep, "/")
    if root is not None and (Path(text).is_absolute() or text.startswith("..")):
        try:
            text = Path(os.path.abspath(text)).relative_to(root).as_posix()
        except ValueError:
            raise ValueError(f"{value!r} is outside the dbt project {str(root)!r}") from None
    while text.startswith("./"):
        text = text[2:]
    text = text.rstrip("/")
    if text in {"", "."}:
        return re.compile(r".*")
    pattern = ""
    position = 0
    while position < len(text):
        if text.startswith("**", position):
            pattern += ".*"
            position += 2
        elif text[position] == "*":
            pattern += "[^/]*"
            position += 1
        elif text[position] == "?":
            pattern += "[^/]"
            position += 1
        else:
            pattern += re.escape(text[position])
            position += 1
    # The path itself, or anything under it (dbt selects a folder's contents).
    return re.compile(rf"{pattern}(/.*)?\Z")


def _nothing(project: _Project, term: str, option: str) -> str:
    names = sorted({i.name for i in project.items.values() if i.resource_type != "test"})
    close = difflib.get_close_matches(
        term.split(",", maxsplit=1)[0].strip("@+0123456789"), names, _SUGGESTIONS
    )
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return f"{option} {term!r} matches nothing in dbt project {project.name!r}{hint}"


def _nothing_to_build(project: _Project, term: str, found: set[str]) -> str:
    items = sorted((project.items[u] for u in found), key=lambda i: i.name)
    ephemeral = [i.name for i in items if i.materialization == "ephemeral"]
    sources = [f"{i.source_name}.{i.name}" for i in items if i.resource_type == "source"]
    said = []
    if ephemeral:
        said.append(
            f"ephemeral model(s) {_listed(ephemeral)}, which are no assets (they run inside "
            "the models that ref them)"
        )
    if sources:
        said.append(
            f"dbt source(s) {_listed(sources)}, observed but never built (add '+' to select "
            "what reads them)"
        )
    return f"--select {term!r} names only {' and '.join(said) or 'nodes that are not built'}"


def _listed(names: Sequence[str]) -> str:
    shown = ", ".join(names[:_MAX_LISTED])
    return shown + (f" and {len(names) - _MAX_LISTED} more" if len(names) > _MAX_LISTED else "")


def _posix(path: str) -> str:
    return path.replace("\\", "/")
