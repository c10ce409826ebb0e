"""Listing a directory of the gateway's host for a file dialog (ImJoy's `showFileDialog` in the workspace).

The gateway runs as its user, so a listing shows what that user may read and nothing else; only clients holding
the token reach it, like every other gateway function."""

from __future__ import annotations

import os
import stat
from pathlib import Path

MAX_ENTRIES = 2000


def list_directory(path: str | None = None, *, limit: int = MAX_ENTRIES) -> dict:
    """{path, parent, entries: [{name, path, type: "dir"|"file", size}], truncated} of a directory (default the
    user's home), directories first; ValueError in words for a path that is no readable directory."""
    where = Path(os.path.expanduser(path)) if path else Path.home()
    where = Path(os.path.abspath(where))
    if not where.is_dir():
        raise ValueError(f"{where} is not a directory" if where.exists() else f"{where} does not exist")
    try:
        names = sorted(os.listdir(where))
    except PermissionError:
        raise ValueError(f"{where}: permission denied") from None
    entries = []
    for name in names:
        full = where / name
        try:
            st = full.stat()
        except OSError:  # a dangling link, or one we may not follow
            continue
        kind = "dir" if stat.S_ISDIR(st.st_mode) else "file"
        entries.append({"name": name, "path": str(full), "type": kind, "size": st.st_size if kind == "file" else None})
    entries.sort(key=lambda e: (e["type"] != "dir", e["name"].lower()))
    return {"path": str(where), "parent": str(where.parent) if where.parent != where else None,
            "entries": entries[:limit], "truncated": len(entries) > limit}
