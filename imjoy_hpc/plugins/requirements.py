"""The `requirements` grammar of ImJoy Python plugins (the legacy plugin engine's), parsed into structured form.

A plugin's `requirements` is a list of strings (a single string counts as a list of one):

* ``"pip:a b>=1.2"``: pip packages (split like a shell would split them);
* ``"conda:a b"``: conda packages;
* ``"repo:<git url> [dir]"``: a git repository cloned next to the environment;
* ``"cmd:<shell command>"``: a shell command run once when the environment is built;
* anything else (``"numpy"``, ``"git+https://..."``, ``"pkg @ https://..."``): pip packages.

Only the grammar lives here; environments are built by :mod:`imjoy_hpc.plugins.envs`.
"""

from __future__ import annotations

import re
import shlex
import sys
from dataclasses import dataclass
from typing import Any, Iterable

KINDS = ("pip", "conda", "repo", "cmd")
# pip options that change nothing for us and are dropped; any other option is refused (an index URL or a
# `-r file` in a plugin file would bypass the site's pip configuration).
_IGNORED_PIP_OPTIONS = {"-U", "--upgrade", "-q", "--quiet"}
_PREFIX = re.compile(r"^\s*([A-Za-z][A-Za-z0-9+.\-]*)\s*:(.*)$", re.S)
_REPO_DIR = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")


class RequirementSyntaxError(ValueError):
    """A `requirements` entry that does not follow the grammar; the message names the entry."""


@dataclass(frozen=True)
class Requirement:
    """One entry of `requirements`.

    kind: "pip" | "conda" | "repo" | "cmd". items: the package specs (pip, conda), ``(url, dir)`` (repo)
    or ``(command,)`` (cmd). entry: the text as written in the plugin file.
    """

    kind: str
    items: tuple[str, ...]
    entry: str


@dataclass(frozen=True)
class Requirements:
    """All requirements of a plugin, in file order."""

    entries: tuple[Requirement, ...] = ()

    def _items(self, kind: str) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for req in self.entries:
            if req.kind == kind:
                for item in req.items:
                    seen.setdefault(item, None)
        return tuple(seen)

    @property
    def pip(self) -> tuple[str, ...]:
        """pip package specs, duplicates removed, in order."""
        return self._items("pip")

    @property
    def conda(self) -> tuple[str, ...]:
        """conda package specs."""
        return self._items("conda")

    @property
    def repos(self) -> tuple[tuple[str, str], ...]:
        """(git url, directory name) pairs."""
        return tuple((r.items[0], r.items[1]) for r in self.entries if r.kind == "repo")

    @property
    def commands(self) -> tuple[str, ...]:
        """Shell commands, in order."""
        return tuple(r.items[0] for r in self.entries if r.kind == "cmd")

    def to_list(self) -> list[str]:
        """The entries as written."""
        return [r.entry for r in self.entries]

    def __bool__(self) -> bool:
        return bool(self.entries)


def _split(text: str, entry: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError as exc:
        raise RequirementSyntaxError(f"requirement {entry!r}: {exc}") from None


def _pip_items(text: str, entry: str) -> tuple[str, ...]:
    items = []
    for token in _split(text, entry):
        if token in _IGNORED_PIP_OPTIONS:
            continue
        if token.startswith("-"):
            raise RequirementSyntaxError(
                f"requirement {entry!r}: pip option {token!r} is not allowed in a plugin's requirements "
                "(package index settings come from the site's pip configuration)"
            )
        items.append(token)
    if not items:
        raise RequirementSyntaxError(f"requirement {entry!r} names no package")
    return tuple(items)


def _repo_items(text: str, entry: str) -> tuple[str, ...]:
    parts = _split(text, entry)
    if not parts or len(parts) > 2:
        raise RequirementSyntaxError(f"requirement {entry!r}: expected 'repo:<git url> [directory]'")
    url = parts[0]
    name = parts[1] if len(parts) == 2 else url.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")
    if not _REPO_DIR.match(name) or name in (".", ".."):
        raise RequirementSyntaxError(
            f"requirement {entry!r}: directory {name!r} must be a plain name (letters, digits, '_', '-', '.')"
        )
    return (url, name)


def parse_entry(entry: Any) -> Requirement:
    """Parse one requirements entry (a string)."""
    if not isinstance(entry, str):
        raise RequirementSyntaxError(f"requirement entries must be strings, got {type(entry).__name__}: {entry!r}")
    text = entry.strip()
    match = _PREFIX.match(text)
    if match and "://" not in text[: match.end(1) + 3]:
        kind, rest = match.group(1).lower(), match.group(2).strip()
        if kind == "pip":
            return Requirement("pip", _pip_items(rest, entry), entry)
        if kind == "conda":
            items = tuple(_split(rest, entry))
            if not items:
                raise RequirementSyntaxError(f"requirement {entry!r} names no package")
            return Requirement("conda", items, entry)
        if kind == "repo":
            return Requirement("repo", _repo_items(rest, entry), entry)
        if kind == "cmd":
            if not rest:
                raise RequirementSyntaxError(f"requirement {entry!r} has an empty command")
            return Requirement("cmd", (rest,), entry)
        if "+" not in kind:
            raise RequirementSyntaxError(
                f"requirement {entry!r}: unknown kind {kind!r}; use pip:, conda:, repo:, cmd: or a bare pip package"
            )
    # A bare entry (also "git+https://...", "https://...whl", "name @ url"): pip packages, split like a shell.
    return Requirement("pip", _pip_items(text, entry), entry)


def parse_requirements(value: Any) -> Requirements:
    """Parse a plugin's `requirements` value (None, a string, or a list of strings)."""
    if value is None:
        return Requirements()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)):
        raise RequirementSyntaxError(f"must be a list of strings, got {type(value).__name__}")
    # Empty entries ("", "pip:", "conda: ") mean nothing, as in the legacy engine, and are left out.
    return Requirements(tuple(parse_entry(e) for e in value if not _is_empty(e)))


def _is_empty(entry: Any) -> bool:
    if not isinstance(entry, str):
        return False
    match = _PREFIX.match(entry)
    rest = match.group(2) if match and match.group(1).lower() in KINDS else entry
    return not rest.strip()


def normalized_pip(specs: Iterable[str]) -> list[str]:
    """pip specs as used for the environment key: stripped, lower-cased, sorted, unique."""
    return sorted({s.strip().lower() for s in specs if s.strip()})


_PROJECT_NAME = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:[<>=!~;\[]|$)")


def standard_library_name(spec: str) -> str | None:
    """The module name when a pip spec names a module of Python's standard library (`os`, `json>=1`), else None."""
    match = _PROJECT_NAME.match(spec.strip())
    if not match:
        return None
    name = match.group(1)
    names = getattr(sys, "stdlib_module_names", frozenset())
    return name if name in names or name.lower() in names else None


def without_standard_library(reqs: Requirements) -> tuple[Requirements, list[str]]:
    """`reqs` without pip specs that name standard-library modules (published plugins list `os`, which pip cannot
    install, failing the whole install); the names left out."""
    skipped: list[str] = []
    kept: list[Requirement] = []
    for req in reqs.entries:
        if req.kind != "pip":
            kept.append(req)
            continue
        items = []
        for item in req.items:
            name = standard_library_name(item)
            (skipped.append(name) if name else items.append(item))
        if items:
            kept.append(Requirement("pip", tuple(items), req.entry if len(items) == len(req.items)
                                    else "pip:" + " ".join(shlex.quote(i) for i in items)))
    return (reqs, []) if not skipped else (Requirements(tuple(kept)), skipped)
