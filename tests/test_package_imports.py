"""The layering of imjoy_hpc's packages, read from the source (ast: imports at module level and inside functions;
those under `if TYPE_CHECKING:` are left out, they never run): no import cycle between its subpackages, the
transport (imjoy_hpc.transport) never imports the application (imjoy_hpc.gateway), and the RPC core and clients
(imjoy_hpc.rpc) import neither."""

from __future__ import annotations

import ast
from pathlib import Path

import imjoy_hpc

ROOT = Path(imjoy_hpc.__file__).parent
# Imports that close a cycle known before this test, left out of the cycle check (each one direction of one pair;
# any other cycle, and any cycle through a third package without these edges, still fails). Take an entry out once
# its import is gone (test_known_cycles_are_still_there says when).
# (None left: plugins -> batch went when a job's environment moved to the backends, plugins taking job_id from
# imjoy_hpc.backends; backends -> cluster when cluster/_tls.py became backends/tls.py.)
KNOWN_EDGES: dict[tuple[str, str], str] = {}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST, module: str, is_package: bool, typing_too: bool) -> list[tuple[str, int]]:
    """(imported module, line) for every import in `tree`."""
    found: list[tuple[str, int]] = []
    package = module if is_package else module.rpartition(".")[0]

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test) and not typing_too:
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.extend((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            found.append((source, node.lineno))
            # `from imjoy_hpc import gateway`, `from imjoy_hpc.gateway import http`: the names may be modules
            found.extend((f"{source}.{alias.name}", node.lineno) for alias in node.names if alias.name != "*")
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _sources() -> dict[str, tuple[Path, bool]]:
    return {_module_name(path): (path, path.name == "__init__.py") for path in sorted(ROOT.rglob("*.py"))}


def _subpackage(module: str) -> str | None:
    """The subpackage of imjoy_hpc a module belongs to (None: a top-level module such as imjoy_hpc.settings)."""
    parts = module.split(".")
    if len(parts) < 2 or parts[0] != "imjoy_hpc" or not (ROOT / parts[1]).is_dir():
        return None
    return parts[1]


def _edges(typing_too: bool = False) -> dict[tuple[str, str], list[str]]:
    """(importing subpackage, imported subpackage) -> where ("module:line")."""
    edges: dict[tuple[str, str], list[str]] = {}
    for module, (path, is_package) in _sources().items():
        here = _subpackage(module)
        if here is None:
            continue
        for target, line in _imports(ast.parse(path.read_text(), str(path)), module, is_package, typing_too):
            there = _subpackage(target)
            where = edges.setdefault((here, there), []) if there is not None and there != here else None
            if where is not None and f"{module}:{line}" not in where:
                where.append(f"{module}:{line}")
    return edges


def _cycles(edges: dict[tuple[str, str], list[str]]) -> list[list[str]]:
    """The strongly connected components of more than one subpackage (Tarjan)."""
    graph: dict[str, set[str]] = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)
        graph.setdefault(b, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    components: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in sorted(graph[node]):
            if other not in index:
                connect(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                other = stack.pop()
                component.append(other)
                if other == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return components


def _described(component: list[str], edges: dict[tuple[str, str], list[str]]) -> str:
    lines = [" <-> ".join(component)]
    for (a, b), where in sorted(edges.items()):
        if a in component and b in component:
            lines.append(f"  {a} -> {b}: {', '.join(where[:5])}{' ...' if len(where) > 5 else ''}")
    return "\n".join(lines)


def test_no_import_cycle_between_subpackages():
    edges = {edge: where for edge, where in _edges().items() if edge not in KNOWN_EDGES}
    cycles = _cycles(edges)
    assert not cycles, "import cycles between imjoy_hpc's subpackages:\n" + \
        "\n".join(_described(c, edges) for c in cycles)


def test_known_cycles_are_still_there():
    """A known cycle whose import is gone comes off KNOWN_EDGES, so that it cannot come back unnoticed."""
    edges = _edges()
    gone = {edge: pair for edge, pair in KNOWN_EDGES.items() if edge not in edges}
    assert not gone, f"these imports are gone, take them out of KNOWN_EDGES: {gone}"


def _imported_by(subpackage: str, forbidden: tuple[str, ...]) -> list[str]:
    """Where modules of `subpackage` import one of the `forbidden` subpackages (TYPE_CHECKING imports included)."""
    return [f"{a} -> {b}: {', '.join(where)}" for (a, b), where in sorted(_edges(typing_too=True).items())
            if a == subpackage and b in forbidden]


def test_the_transport_does_not_import_the_application():
    assert (ROOT / "transport").is_dir()
    assert not _imported_by("transport", ("gateway",))


def test_rpc_imports_neither_transport_nor_gateway():
    assert not _imported_by("rpc", ("transport", "gateway"))


def test_the_reading_itself():
    """The walk finds imports in functions and relative ones, and skips TYPE_CHECKING blocks."""
    source = ("from typing import TYPE_CHECKING\nimport imjoy_hpc.rpc\n"
              "if TYPE_CHECKING:\n    import imjoy_hpc.cluster\n"
              "def f():\n    from ..gateway import app\n")
    found = {name for name, _ in _imports(ast.parse(source), "imjoy_hpc.transport.door", False, False)}
    assert {"imjoy_hpc.rpc", "imjoy_hpc.gateway", "imjoy_hpc.gateway.app"} <= found
    assert "imjoy_hpc.cluster" not in found
    assert _cycles({("a", "b"): ["x"], ("b", "c"): ["y"], ("c", "a"): ["z"], ("c", "d"): ["w"]}) == [["a", "b", "c"]]


# Where configuration may be read: the layers (config.py) and the one parser of the settings (settings.py).
CONFIG_READERS = {"imjoy_hpc.config", "imjoy_hpc.settings"}


def _config_reads(tree: ast.AST) -> list[int]:
    """Lines that read configuration directly: dask.config.get / dask.config.config, or get / load of
    imjoy_hpc.config (imported as a module: `from imjoy_hpc import config`, or its functions by name)."""
    as_module = any(isinstance(node, ast.ImportFrom) and node.module == "imjoy_hpc" and
                    any(alias.name == "config" and alias.asname is None for alias in node.names)
                    for node in ast.walk(tree))
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in ("get", "config", "load"):
            owner = node.value
            if isinstance(owner, ast.Attribute) and owner.attr == "config" and \
                    isinstance(owner.value, ast.Name) and owner.value.id == "dask":
                lines.append(node.lineno)  # dask.config.get(...), dask.config.config
            elif as_module and isinstance(owner, ast.Name) and owner.id == "config" and node.attr in ("get", "load"):
                lines.append(node.lineno)  # config.get / config.load of imjoy_hpc.config
        elif isinstance(node, ast.ImportFrom) and node.module in ("imjoy_hpc.config", "dask.config") and \
                any(alias.name in ("get", "load", "config") for alias in node.names):
            lines.append(node.lineno)
    return sorted(lines)


def test_configuration_is_read_in_the_settings_module_only():
    """Everything else takes typed Settings (issue 25): no raw config access outside config.py and settings.py."""
    found = [f"{module}:{line}" for module, (path, _) in _sources().items() if module not in CONFIG_READERS
             for line in _config_reads(ast.parse(path.read_text(), str(path)))]
    assert not found, f"configuration read outside the settings module: {', '.join(found)}"
    planted = ("import dask.config\nfrom imjoy_hpc import config\n"
               "def f():\n    return dask.config.get('imjoy-hpc'), config.get('server')\n")
    assert _config_reads(ast.parse(planted)) == [4, 4]
    a_plugin_config = "def f(config):\n    return config.get('name')\n"  # a plugin's config: not configuration
    assert _config_reads(ast.parse(a_plugin_config)) == []
