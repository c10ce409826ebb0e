"""The plugin catalog: the example plugins plus the site's and user's plugin directories.

A directory's plugins are its top-level ``*.imjoy.html`` files and those ``*.py`` files that look like plugins
(they mention ``imjoy`` or define ``IMJOY_CONFIG``); names starting with ``.`` or ``_`` are skipped.
The examples are listed first, then the directories in the order given.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from .parser import PluginError, PluginSpec, parse_plugin

IMJOY_SUFFIX = ".imjoy.html"
_PACKAGE_DIR = Path(__file__).resolve().parent.parent   # imjoy_hpc/


def examples_dir() -> Path | None:
    """The example plugins: ``<repo>/examples`` in a source checkout, else the copy installed in the package."""
    repo = _PACKAGE_DIR.parent
    if (repo / "examples").is_dir() and ((repo / "setup.cfg").is_file() or (repo / "pyproject.toml").is_file()):
        return repo / "examples"
    packaged = _PACKAGE_DIR / "examples"
    if packaged.is_dir():
        return packaged
    return None


def _looks_like_python_plugin(path: Path) -> bool:
    try:
        head = path.read_text(encoding="utf-8", errors="replace")[:100_000]
    except OSError:
        return False
    return "imjoy" in head or "IMJOY_CONFIG" in head


def plugin_files(directory: Path) -> list[Path]:
    """Plugin files directly inside `directory`, sorted by name."""
    files = []
    for path in sorted(directory.iterdir()):
        if path.name.startswith((".", "_")) or not path.is_file():
            continue
        if path.name.lower().endswith(IMJOY_SUFFIX):
            files.append(path)
        elif path.suffix == ".py" and _looks_like_python_plugin(path):
            files.append(path)
    return files


def _directories(directories: Iterable[os.PathLike | str], include_examples: bool) -> list[Path]:
    dirs: list[Path] = []
    if include_examples:
        ex = examples_dir()
        if ex is not None:
            dirs.append(ex)
    for d in directories:
        path = Path(os.path.expanduser(str(d)))
        if all(path.resolve() != seen.resolve() for seen in dirs):
            dirs.append(path)
    return dirs


def _entry(path: Path) -> dict[str, Any]:
    try:
        spec = parse_plugin(path)
    except PluginError as exc:
        stem = path.name[: -len(IMJOY_SUFFIX)] if path.name.lower().endswith(IMJOY_SUFFIX) else path.stem
        return {"name": stem, "description": "", "file": str(path), "tags": [], "type": None, "version": None,
                "flags": [], "error": str(exc)}
    return {"name": spec.name, "description": spec.description, "file": str(path), "tags": list(spec.tags),
            "type": spec.type, "version": spec.version, "flags": sorted(spec.flags), "error": None}


def list_plugins(directories: Iterable[os.PathLike | str] = (), *, include_examples: bool = True
                 ) -> list[dict[str, Any]]:
    """One entry per plugin file: name, description, file, tags, type, version, flags, error.

    An invalid file gets `error` (the parser's message) instead of stopping the listing; a missing directory
    gets one entry with `error` too.
    """
    entries: list[dict[str, Any]] = []
    for directory in _directories(directories, include_examples):
        if not directory.is_dir():
            entries.append({"name": directory.name, "description": "", "file": str(directory), "tags": [],
                            "type": None, "version": None, "flags": [],
                            "error": f"{directory}: plugin directory does not exist"})
            continue
        entries.extend(_entry(path) for path in plugin_files(directory))
    return entries


def _file_stem(name: str) -> str:
    lower = name.lower()
    if lower.endswith(IMJOY_SUFFIX):
        return lower[: -len(IMJOY_SUFFIX)]
    return lower.rsplit(".", 1)[0] if lower.endswith(".py") else lower


def find_plugin(name_or_path: str | os.PathLike, directories: Iterable[os.PathLike | str] = (), *,
                include_examples: bool = True) -> Path:
    """The plugin file for a path, a file name (``hello.imjoy.html``, ``hello``) or a plugin name (``Hello``,
    case-insensitive). Raises PluginError naming the available plugins when nothing matches."""
    text = str(name_or_path)
    path = Path(os.path.expanduser(text))
    if path.is_file():
        return path.resolve()
    if path.is_dir():
        raise PluginError(f"{text}: is a directory, not a plugin file")
    if os.sep in text:
        raise PluginError(f"{text}: plugin file not found")
    wanted = text.strip().lower()
    entries = list_plugins(directories, include_examples=include_examples)
    by_name = [e for e in entries if e["error"] is None and e["name"].lower() == wanted]
    files = [e for e in entries if Path(e["file"]).is_file()]
    by_file = [e for e in files if Path(e["file"]).name.lower() == wanted or _file_stem(Path(e["file"]).name) == wanted]
    for matches in (by_name, by_file):
        files = list(dict.fromkeys(e["file"] for e in matches))
        if len(files) == 1:
            return Path(files[0]).resolve()
        if len(files) > 1:
            raise PluginError(f"plugin {text!r} is ambiguous: it matches {', '.join(files)}; give the file path")
    names = sorted({e["name"] for e in entries if e["error"] is None}, key=str.lower)
    raise PluginError(f"unknown plugin {text!r}; available plugins: {', '.join(names) or '(none)'}")


def looks_like_source(text: str) -> bool:
    """Whether `text` is a plugin's source rather than a name or a path."""
    return "\n" in text and ("<config" in text or "<script" in text or "api.export" in text)


@dataclass(frozen=True)
class Catalog:
    """The plugins a gateway offers: the examples plus its plugin directories."""

    directories: tuple[Path, ...] = ()

    def list(self) -> list[dict[str, Any]]:
        """One entry per plugin file (see list_plugins)."""
        return list_plugins(self.directories)

    def load(self, name_or_source: Any, tag: str | None = None) -> PluginSpec:
        """The parsed plugin for a catalog name, a file path or a plugin's source text."""
        if not isinstance(name_or_source, str) or not name_or_source.strip():
            raise PluginError("load_plugin needs a plugin name, file path or source text")
        if looks_like_source(name_or_source):
            return parse_plugin(name_or_source, tag=tag, filename="<source>")
        return parse_plugin(find_plugin(name_or_source, self.directories), tag=tag)
