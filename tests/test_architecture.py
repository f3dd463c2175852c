"""The layers stay layered: every import points down, no module waits on itself.

Every import statement counts, wherever it stands: at the top of a module,
inside a function, or under `if TYPE_CHECKING:` (a type named there is still a
dependency: the module cannot be read, checked or moved without the other).
Relative imports are resolved against the importing module's package.

A package may import only packages of a lower layer, or itself. Packages that
share a layer are siblings and may not import each other. `settings.py` is
plain configuration and sits at the bottom with `errors.py`; `client.py` is the
far side of the HTTP API and sits beside `api` and `console`; `server.py` builds
the app that serves both; `demo.py` drives the line through the server and the
client, and the CLI offers it as a command, so the CLI sits on top. The package
`deconflict` itself (its `__init__.py`) is the public surface: nothing inside
imports it.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import deconflict

SOURCE = Path(deconflict.__file__).parent
ROOT = "deconflict"

LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors", "problem_codes", "settings"),
    ("geo",),
    ("rules",),
    ("record", "i18n"),
    ("line", "utm"),
    ("store", "formats", "examples", "outbound"),
    ("web",),
    ("api", "console", "client"),
    ("server",),
    ("demo",),
    ("cli",),
    (ROOT,),
)
RANK = {package: rank for rank, layer in enumerate(LAYERS) for package in layer}

DOMAIN = ("geo", "rules", "line", "utm", "record")
NOT_IN_DOMAIN = (
    "fastapi",
    "starlette",
    "uvicorn",
    "httpx",
    "pydantic",
    "sqlite3",
    "psycopg",
    "psycopg_pool",
    "sqlalchemy",
    "typer",
    "rich",
    "jwt",
)


@dataclass(frozen=True)
class Import:
    """One imported name: the module importing, the module imported, the line it is on."""

    importer: str
    imported: str
    line: int

    def __str__(self) -> str:
        return f"{self.importer}:{self.line} imports {self.imported}"


def sources() -> dict[str, str]:
    """Every module of deconflict, by dotted name (a package by its own name), to its text."""
    return dict(_sources())


@functools.cache
def _sources(root: Path = SOURCE) -> dict[str, str]:
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = (ROOT, *path.relative_to(root).with_suffix("").parts)
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path.read_text()
    return found


def packages_of(modules: Mapping[str, str]) -> set[str]:
    """The names among `modules` that are packages (another module lives inside them)."""
    return {name.rpartition(".")[0] for name in modules if "." in name}


def imports(modules: Mapping[str, str]) -> list[Import]:
    """Every import in `modules`, relative ones resolved; `from p import m` names module p.m."""
    packages = packages_of(modules)
    found: dict[Import, None] = {}
    for name, text in modules.items():
        package = name if name in packages else name.rpartition(".")[0]
        for node in ast.walk(_parsed(text)):
            if isinstance(node, ast.Import):
                found.update((Import(name, alias.name, node.lineno), None) for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = _absolute(node, package)
                for alias in node.names:
                    submodule = f"{base}.{alias.name}"
                    imported = submodule if submodule in modules else base
                    found[Import(name, imported, node.lineno)] = None
    return list(found)


@functools.cache
def _parsed(text: str) -> ast.Module:
    return ast.parse(text)


def _absolute(node: ast.ImportFrom, package: str) -> str:
    if node.level == 0:
        return node.module or ""
    parts = package.split(".")
    base = parts[: len(parts) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def package_of(module: str) -> str:
    """The top-level part of deconflict a module belongs to (`deconflict.geo.shapes` -> geo)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ROOT


def _ours(module: str) -> bool:
    return module == ROOT or module.startswith(ROOT + ".")


def layer_offences(found: list[Import]) -> list[str]:
    """Imports of a package that is not lower, or of a package placed in no layer."""
    offences = []
    for each in found:
        if not _ours(each.imported):
            continue
        mine, theirs = package_of(each.importer), package_of(each.imported)
        if mine not in RANK or theirs not in RANK:
            offences.append(f"{each}: place {mine if mine not in RANK else theirs} in LAYERS")
        elif mine != theirs and RANK[theirs] >= RANK[mine]:
            offences.append(f"{each}: {theirs} is not below {mine}")
    return offences


def domain_offences(found: list[Import]) -> list[str]:
    """Imports of a web framework, database driver or CLI library by the domain."""
    return [
        f"{each}: the domain does not use {each.imported.split('.')[0]}"
        for each in found
        if package_of(each.importer) in DOMAIN and each.imported.split(".")[0] in NOT_IN_DOMAIN
    ]


def cycles(found: list[Import]) -> list[list[str]]:
    """Groups of modules that import each other, directly or round a loop (Tarjan)."""
    graph: dict[str, set[str]] = {}
    for each in found:
        if _ours(each.imported) and each.imported != each.importer:
            graph.setdefault(each.importer, set()).add(each.imported)
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(module: str) -> None:
        order[module] = low[module] = len(order)
        stack.append(module)
        for other in graph.get(module, ()):
            if other not in order:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in stack:
                low[module] = min(low[module], order[other])
        if low[module] == order[module]:
            group = []
            while (member := stack.pop()) != module:
                group.append(member)
            if group:
                groups.append(sorted([module, *group]))

    for module in sorted(graph):
        if module not in order:
            visit(module)
    return sorted(groups)


def offences(modules: Mapping[str, str]) -> Iterator[str]:
    """Everything wrong with the imports of `modules`, one line each."""
    found = imports(modules)
    yield from layer_offences(found)
    yield from domain_offences(found)
    for group in cycles(found):
        yield "cycle: " + " <-> ".join(group)


def test_every_import_points_down_the_layers() -> None:
    found = layer_offences(imports(sources()))
    assert found == [], "\n".join(found)


def test_domain_imports_no_web_framework_database_or_cli_library() -> None:
    found = domain_offences(imports(sources()))
    assert found == [], "\n".join(found)


def test_no_module_imports_itself_round_a_loop() -> None:
    found = cycles(imports(sources()))
    assert found == [], "\n".join(" <-> ".join(group) for group in found)


def test_every_package_is_placed_in_a_layer() -> None:
    placed = {package_of(name) for name in sources()}
    assert placed == set(RANK)


def _with(path: str, text: str) -> dict[str, str]:
    """The real sources, with `text` added to the module `path`."""
    modules = sources()
    modules[path] += text
    return modules


def _new_offences(path: str, text: str) -> list[str]:
    """What the check says of the sources with `text` added to `path`, and not without."""
    before = set(offences(sources()))
    return [offence for offence in offences(_with(path, text)) if offence not in before]


def _names(offence: str, importer: str, what: str) -> bool:
    """True when `offence` is `importer` (at whatever line) importing with the complaint `what`."""
    return offence.startswith(importer + ":") and offence.endswith(" imports " + what)


def test_the_check_sees_the_domain_import_an_outer_layer() -> None:
    found = _new_offences("deconflict.geo.ellipsoid", "from deconflict import store\n")
    assert _names(found[0], "deconflict.geo.ellipsoid", "deconflict.store: store is not below geo")
    assert all(offence.startswith("cycle: ") for offence in found[1:])  # store imports geo


def test_the_check_sees_the_domain_import_pydantic() -> None:
    found = _new_offences("deconflict.geo.ellipsoid", "import pydantic\n")
    assert len(found) == 1
    assert _names(
        found[0], "deconflict.geo.ellipsoid", "pydantic: the domain does not use pydantic"
    )


def test_the_check_sees_an_import_inside_a_function() -> None:
    text = "def later() -> None:\n    from deconflict.api import routes\n"
    found = _new_offences("deconflict.line.service", text)
    assert _names(
        found[0], "deconflict.line.service", "deconflict.api.routes: api is not below line"
    )


def test_the_check_sees_an_import_for_type_checking_only() -> None:
    text = "if TYPE_CHECKING:\n    from deconflict.store import Store\n"
    found = _new_offences("deconflict.rules.plan", text)
    assert _names(found[0], "deconflict.rules.plan", "deconflict.store: store is not below rules")


def test_the_check_resolves_a_relative_import() -> None:
    found = _new_offences("deconflict.geo.ellipsoid", "from ..store import open_store\n")
    assert _names(found[0], "deconflict.geo.ellipsoid", "deconflict.store: store is not below geo")


def test_the_check_sees_siblings_of_one_layer_import_each_other() -> None:
    found = _new_offences("deconflict.api.routes", "from deconflict.console import routes\n")
    assert _names(
        found[0], "deconflict.api.routes", "deconflict.console.routes: console is not below api"
    )


def test_the_check_sees_a_cycle_inside_a_package() -> None:
    text = "def later() -> None:\n    import deconflict.geo.distance\n"  # which imports ellipsoid
    found = _new_offences("deconflict.geo.ellipsoid", text)
    assert len(found) == 1
    assert found[0].startswith("cycle: ")
    assert {"deconflict.geo.distance", "deconflict.geo.ellipsoid"} <= set(
        found[0][7:].split(" <-> ")
    )


def test_the_check_sees_a_cycle_between_two_modules() -> None:
    modules = {
        "deconflict.geo.shapes": "def later() -> None:\n    from deconflict.geo import construct\n",
        "deconflict.geo.construct": "from deconflict.geo.shapes import Sector\n",
        "deconflict.geo": "",
    }
    assert cycles(imports(modules)) == [["deconflict.geo.construct", "deconflict.geo.shapes"]]


def test_the_check_sees_a_cycle_through_a_package() -> None:
    modules = {
        "deconflict.store": "from deconflict.store.sqlite import SqliteStore\n",
        "deconflict.store.sqlite": "from deconflict.store import Unavailable\n",
    }
    assert cycles(imports(modules)) == [["deconflict.store", "deconflict.store.sqlite"]]


def test_public_api_is_exactly_what_is_documented() -> None:
    assert sorted(deconflict.__all__) == [
        "AltitudeBand",
        "Area",
        "Circle",
        "Conflict",
        "Corridor",
        "DeconflictError",
        "EngineFailure",
        "Feature",
        "Forbidden",
        "InvalidCoordinate",
        "InvalidFeature",
        "InvalidPlan",
        "Kind",
        "NotFound",
        "StateConflict",
        "TimeWindow",
        "distance_within_m",
        "find_conflicts",
        "geodesic_distance_m",
        "parse_plan",
    ]
    for name in deconflict.__all__:
        assert getattr(deconflict, name) is not None
