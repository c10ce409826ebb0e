"""The plugin runtime on a Python other than the gateway's (a conda env that pins its own Python).

The plugin process (imjoy_hpc.plugins.host and what it imports) is pure Python and runs on Python 3.9 and newer.
In such an env its third-party packages come from the env itself, solved with the plugin's own packages as conda
specs (`CONDA_SPECS`), and its code from this installation: `runtime_dir` makes a directory holding links to just
the runtime's modules, which the plugin process gets on its PYTHONPATH (no compiled file of this installation is
involved; each Python writes its own bytecode cache beside the links).
"""

from __future__ import annotations

import ast
import functools
import hashlib
import os
import shutil
import tempfile
from pathlib import Path

import imjoy_hpc
from imjoy_hpc.backends import BACKENDS

MIN_PYTHON = (3, 9)
MIN_PYTHON_TEXT = "%d.%d" % MIN_PYTHON

# Third-party packages the plugin process imports, as conda specs (numpy: the codec; tornado: the link's
# websocket, whose internals ws_receive uses, hence <7; msgpack: the link's frames).
CONDA_SPECS = ("numpy >=1.19", "tornado >=6.3,<7", "msgpack-python >=1.0")
IMPORT_NAMES = ("numpy", "tornado", "msgpack")

# Where the plugin process starts, the helpers plugins import themselves, and the backends, which the process asks
# for the job it runs in (imported by name from the registry, so their source does not say it); the runtime is these
# modules and every module of this installation they import (found in their source, lazy imports included).
ROOTS = ("imjoy_hpc.plugins.host", "imjoy_hpc.plugins.remote_array", *(module for module, _, _ in BACKENDS.values()))


def _top() -> Path:
    return Path(imjoy_hpc.__file__).resolve().parent.parent


def _source(top: Path, name: str) -> Path | None:
    parts = name.split(".")
    for path in (top.joinpath(*parts, "__init__.py"), top.joinpath(*parts[:-1], parts[-1] + ".py")):
        if path.is_file():
            return path
    return None


def _imported(name: str, path: Path) -> set[str]:
    """Modules of imjoy_hpc that the module `name` (at `path`) imports, outside `if TYPE_CHECKING:` blocks."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.dump(node.test):
            return
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(), str(path)))
    return {m for m in found if m == "imjoy_hpc" or m.startswith("imjoy_hpc.")}


@functools.lru_cache(maxsize=None)
def module_files() -> dict[str, Path]:
    """Relative path (imjoy_hpc/...) -> source file of this installation, for every module of the runtime
    (with the packages holding them)."""
    top = _top()
    files: dict[str, Path] = {}
    todo, seen = list(ROOTS), set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        parts = name.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))]  # its packages' __init__
        path = _source(top, name)
        if path is None:
            continue  # a name imported from a module, not a module
        files[path.relative_to(top).as_posix()] = path
        todo += sorted(_imported(name, path))
    return dict(sorted(files.items()))


def modules() -> list[str]:
    """The dotted names of the runtime's modules."""
    return [rel[:-3].replace("/", ".").removesuffix(".__init__") for rel in module_files()]


def runtime_dir(cache_dir: Path) -> Path:
    """A directory under `cache_dir` holding links to this installation's runtime modules (made once per
    installation; safe when several processes make it at once)."""
    files = module_files()
    digest = hashlib.sha256("\n".join(f"{k} {v}" for k, v in sorted(files.items())).encode()).hexdigest()[:16]
    target = Path(cache_dir) / ".runtime" / f"imjoy-hpc-{imjoy_hpc.__version__}-{digest}"
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".making-", dir=target.parent))
    try:
        for rel, source in files.items():
            (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
            os.symlink(source, tmp / rel)
        tmp.chmod(0o755)
        try:
            tmp.rename(target)
        except OSError:
            if not target.is_dir():  # not made by another process meanwhile
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def short_version(version: str) -> tuple[int, int]:
    """(major, minor) of a version text such as 3.9.16."""
    major, minor = (version.split(".") + ["0"])[:2]
    return int(major), int(minor)
