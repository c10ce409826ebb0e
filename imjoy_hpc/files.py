"""Small file helpers: atomic writes (private by default) and the tail of a log file."""

from __future__ import annotations

import os
from pathlib import Path


def write_atomic(path: Path, text: str, mode: int = 0o600) -> None:
    """Replace `path` atomically with `text`, in a file that has `mode` (less the umask) from the start: with the
    default 0600 it is never readable by others, not even in between."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def tail(path: Path | None, lines: int = 20, max_bytes: int | None = 16384, missing: str = "") -> str:
    """The last `lines` lines of a log file, read from its last `max_bytes` (None: all of it); `missing` when the
    file cannot be read."""
    if path is None:
        return missing
    try:
        with open(path, "rb") as f:
            if max_bytes is not None:
                f.seek(0, os.SEEK_END)
                f.seek(max(0, f.tell() - max_bytes))
            data = f.read().decode(errors="replace")
    except OSError:
        return missing
    return "\n".join(data.splitlines()[-lines:])
