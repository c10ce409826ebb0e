"""Small file helpers: private directories and atomic writes (private by default), the tail of a log file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def private_dir(path: Path | str) -> Path:
    """`path` as a directory, every directory made on the way (missing parents too) 0700: only its owner can list
    or enter it. Directories already there are left as they are."""
    path = Path(path)
    missing = []
    step = path
    while not step.is_dir() and step.parent != step:
        missing.append(step)
        step = step.parent
    for step in reversed(missing):
        try:
            os.mkdir(step, 0o700)
        except FileExistsError:  # made meanwhile (another plugin starting): checked below
            continue
        os.chmod(step, 0o700)  # whatever the umask
    if not path.is_dir():
        raise NotADirectoryError(f"{path} is not a directory")
    return path


def open_private(path: Path | str, mode: str = "ab", **kwargs) -> Any:
    """`path` opened for appending (created 0600 when it is not there: only its owner can read it)."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), mode, **kwargs)


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
