"""Workspaces the gateway remembers for its user: named sets of installed plugins (source, where it came from,
version), their config and form values, and the page's own settings, kept in the state directory so they survive
a page reload, another browser and a gateway restart.

One JSON file per workspace under ``<state-dir>/workspaces/`` (0600, written atomically). The page saves a whole
workspace at a time; every value is plain JSON and bounded in size, so a broken page cannot fill the disk.
"""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

from imjoy_hpc.files import private_dir, write_atomic
from imjoy_hpc.rpc.errors import UserFacingError

DEFAULT = "default"
MAX_BYTES = 32 * 1024 * 1024      # one workspace's JSON (plugin sources included)
MAX_WORKSPACES = 200
_NAME = re.compile(r"^[^\x00-\x1f/\\]{1,80}$")
FORMAT = "imjoy-hpc-workspace"


class WorkspaceError(UserFacingError, ValueError):
    """A workspace request that cannot be done; the message says why."""


def _checked_name(name: Any) -> str:
    if not isinstance(name, str) or not _NAME.match(name.strip()) or name.strip() in (".", ".."):
        raise WorkspaceError(f"a workspace name is 1-80 characters without '/' or control characters, got {name!r}")
    return name.strip()


def _plugin_entry(item: Any, where: str) -> dict:
    if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"].strip():
        raise WorkspaceError(f"{where}: a plugin entry needs a \"name\"")
    source = item.get("source")
    if source is not None and not isinstance(source, str):
        raise WorkspaceError(f"{where}: plugin {item['name']!r}: \"source\" must be the plugin file's text")
    return item


def normalized(data: Any, name: str) -> dict:
    """A workspace as stored: {"name", "plugins": [...], "settings": {...}, "updated"}; refuses what is not."""
    if not isinstance(data, dict):
        raise WorkspaceError(f"workspace {name!r} must be an object, got {type(data).__name__}")
    plugins = data.get("plugins") or []
    if not isinstance(plugins, list):
        raise WorkspaceError(f"workspace {name!r}: \"plugins\" must be a list")
    settings = data.get("settings") or {}
    if not isinstance(settings, dict):
        raise WorkspaceError(f"workspace {name!r}: \"settings\" must be an object")
    return {"format": FORMAT, "name": name,
            "plugins": [_plugin_entry(p, f"workspace {name!r}") for p in plugins],
            "settings": settings, "updated": time.time()}


class WorkspaceStore:
    """The user's workspaces on disk; every method is safe to call from several connections at once."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.Lock()

    def _path(self, name: str) -> Path:
        return self.directory / (urllib.parse.quote(name, safe=" -_.()") + ".json")

    def _read(self, path: Path) -> dict | None:
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError):
            return None

    def list(self) -> list[dict]:
        """Every workspace: name, number of plugins, when it was last saved (newest first)."""
        out = []
        for path in self.directory.glob("*.json"):
            data = self._read(path)
            if data and isinstance(data.get("name"), str):
                out.append({"name": data["name"], "plugins": len(data.get("plugins") or []),
                            "updated": data.get("updated")})
        if not any(w["name"] == DEFAULT for w in out):
            out.append({"name": DEFAULT, "plugins": 0, "updated": None})
        return sorted(out, key=lambda w: -(w["updated"] or 0))

    def get(self, name: str = DEFAULT) -> dict:
        """A workspace (an empty one if it was never saved)."""
        name = _checked_name(name)
        data = self._read(self._path(name))
        if data is None:
            return {"format": FORMAT, "name": name, "plugins": [], "settings": {}, "updated": None}
        return data

    def save(self, name: str, data: Any) -> dict:
        """Replace a workspace with `data` (its plugins and settings); what was stored."""
        name = _checked_name(name)
        stored = normalized(data, name)
        text = json.dumps(stored)
        if len(text) > MAX_BYTES:
            raise WorkspaceError(f"workspace {name!r} is {len(text) / 1e6:.1f} MB; at most "
                                 f"{MAX_BYTES / 1e6:.0f} MB are kept")
        with self._lock:
            path = self._path(name)
            if not path.exists() and len(list(self.directory.glob("*.json"))) >= MAX_WORKSPACES:
                raise WorkspaceError(f"there are {MAX_WORKSPACES} workspaces already; delete one first")
            private_dir(self.directory)
            write_atomic(path, text)
        return {"name": name, "plugins": len(stored["plugins"]), "updated": stored["updated"]}

    def rename(self, old: str, new: str) -> dict:
        old, new = _checked_name(old), _checked_name(new)
        with self._lock:
            source, target = self._path(old), self._path(new)
            if not source.exists():
                raise WorkspaceError(f"there is no workspace {old!r}")
            if target.exists() and source != target:
                raise WorkspaceError(f"a workspace {new!r} exists already")
            data = self._read(source) or {}
            data["name"] = new
            write_atomic(target, json.dumps(data))
            if source != target:
                source.unlink()
        return {"name": new, "plugins": len(data.get("plugins") or []), "updated": data.get("updated")}

    def delete(self, name: str) -> bool:
        """Remove a workspace; False if there was none."""
        name = _checked_name(name)
        with self._lock:
            try:
                self._path(name).unlink()
            except FileNotFoundError:
                return False
        return True

    def export(self, name: str) -> str:
        """A workspace as the text of a file the user can keep or hand on (import takes it back)."""
        return json.dumps(self.get(name), indent=1)

    def import_(self, text: Any, name: str | None = None) -> dict:
        """Store a workspace from an exported file's text, under `name` or the name it carries."""
        if not isinstance(text, str):
            raise WorkspaceError("import takes the text of an exported workspace file")
        if len(text) > MAX_BYTES:
            raise WorkspaceError(f"the workspace file is {len(text) / 1e6:.1f} MB; at most "
                                 f"{MAX_BYTES / 1e6:.0f} MB are kept")
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise WorkspaceError(f"the file is not an exported workspace (not JSON: {exc})") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise WorkspaceError(f"the file is not an exported workspace (no \"format\": \"{FORMAT}\")")
        return self.save(name or data.get("name") or DEFAULT, data)
