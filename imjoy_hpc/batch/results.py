"""The output directory of a batch run, written so that a crash never leaves a result that looks complete.

Everything is written into ``DIR.tmp-<random>`` beside DIR; the ``COMPLETE`` marker is written last and the
directory is then renamed to DIR in one step. A job prepared by `imjoy-hpc submit` already owns DIR (its job
script and logs live there): then the files are moved into DIR one by one and ``COMPLETE`` comes last.
So: a result is complete exactly when ``DIR/COMPLETE`` exists. A failed run leaves ``summary.json`` (status
"failed", the error and its traceback) and ``plugin.log`` but neither ``result.json`` nor ``COMPLETE``.

Layout: ``result.json`` (the returned value; arrays replaced by ``{"$ndarray": "<file>.npy", "dtype", "shape"}``
and bytes by ``{"$bytes": "<file>.bin", "size"}``), the ``.npy``/``.bin`` files, ``plugin.log`` (the plugin
process's output, its api.log messages and any error), ``summary.json`` and ``COMPLETE``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from pathlib import Path
from typing import Any

from imjoy_hpc.batch import BatchError

COMPLETE = "COMPLETE"
SUMMARY = "summary.json"
RESULT = "result.json"
PLUGIN_LOG = "plugin.log"
# Files of a submitted job's directory (written by `imjoy-hpc submit`): their presence marks DIR as ours.
SUBMIT_RECORD = "submit.json"
OWN_MARKERS = (SUMMARY, COMPLETE, SUBMIT_RECORD)
KEEP_IN_PLACE = (SUBMIT_RECORD, "job.sh", "args.json", "logs")  # a submitted job's own files


def looks_like_output(path: Path) -> bool:
    """True for a directory written by imjoy-hpc run/submit (or an empty one)."""
    try:
        entries = list(path.iterdir())
    except OSError:
        return False
    return not entries or any((path / m).exists() for m in OWN_MARKERS)


def check_target(target: Path, *, force: bool = False, in_place: bool = False) -> None:
    """Raise BatchError unless `target` may receive a run's output."""
    if in_place:
        if target.exists() and not target.is_dir():
            raise BatchError(f"output {target} exists and is not a directory")
        return
    if not target.exists() and not target.is_symlink():
        if not target.parent.is_dir():
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise BatchError(f"cannot create the parent directory of output {target}: {exc}") from None
        return
    if not force:
        raise BatchError(f"output directory {target} already exists; choose another --output or add --force "
                         "to replace it")
    if not target.is_dir() or target.is_symlink():
        raise BatchError(f"output {target} exists and is not a directory; refusing to replace it")
    if not looks_like_output(target):
        raise BatchError(f"refusing to replace {target}: it is not an imjoy-hpc output directory "
                         f"(no {SUMMARY}, {COMPLETE} or {SUBMIT_RECORD}); remove it yourself if you mean it")


def _safe_name(text: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("._") or "value"
    return name[:100]


class ResultFiles:
    """Turns a returned value into JSON with array/bytes files beside it."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.files: list[str] = []
        self._used: set[str] = {RESULT, SUMMARY, PLUGIN_LOG, COMPLETE, SUBMIT_RECORD}

    def _file_name(self, path: str, suffix: str) -> str:
        base = _safe_name(path)
        name = f"{base}{suffix}"
        n = 1
        while name.lower() in self._used:
            name = f"{base}-{n}{suffix}"
            n += 1
        self._used.add(name.lower())
        self.files.append(name)
        return name

    def encode(self, value: Any, path: str = "result") -> Any:
        """A JSON-ready copy of `value`; arrays and bytes are written to files and referenced."""
        import numpy as np

        if isinstance(value, np.ndarray):
            if value.dtype.hasobject:
                return self.encode(value.tolist(), path)
            name = self._file_name(path, ".npy")
            np.save(self.directory / name, value, allow_pickle=False)
            return {"$ndarray": name, "dtype": str(value.dtype), "shape": list(value.shape)}
        if isinstance(value, np.generic):
            return value.item()
        if isinstance(value, (bytes, bytearray, memoryview)):
            data = bytes(value)
            name = self._file_name(path, ".bin")
            (self.directory / name).write_bytes(data)
            return {"$bytes": name, "size": len(data)}
        if isinstance(value, dict):
            top = path == "result"
            return {str(k): self.encode(v, str(k) if top else f"{path}.{k}") for k, v in value.items()}
        if isinstance(value, (list, tuple, set, frozenset)):
            return [self.encode(v, f"{path}.{i}") for i, v in enumerate(value)]
        if value is None or isinstance(value, (str, int, float, bool)):
            return value
        kind = "function" if callable(value) else type(value).__name__
        return {"$unsupported": kind, "repr": repr(value)[:200]}


class OutputDir:
    """One run's output: open() a temporary directory, write into `.path`, then finish()."""

    def __init__(self, target: str | os.PathLike, *, force: bool = False, in_place: bool = False) -> None:
        self.target = Path(target).expanduser().absolute()
        self.force = force
        self.in_place = in_place
        self.path: Path | None = None
        self.finished = False

    def open(self) -> Path:
        check_target(self.target, force=self.force, in_place=self.in_place)
        if self.in_place:
            self.target.mkdir(parents=True, exist_ok=True)
            self._clear_previous_attempt()
        tmp = self.target.parent / f"{self.target.name}.tmp-{uuid.uuid4().hex[:8]}"
        tmp.mkdir(mode=0o755)
        self.path = tmp
        return tmp

    def _clear_previous_attempt(self) -> None:
        """A requeued job runs again into its directory: drop the earlier attempt's result files first
        (COMPLETE before anything else, so nothing looks complete meanwhile)."""
        old: list[str] = []
        try:
            old = list(json.loads((self.target / SUMMARY).read_text()).get("files") or [])
        except (OSError, ValueError, AttributeError):
            pass
        for name in [COMPLETE, SUMMARY, RESULT, PLUGIN_LOG, *old]:
            if "/" in str(name) or name in KEEP_IN_PLACE:
                continue
            try:
                (self.target / str(name)).unlink()
            except (FileNotFoundError, IsADirectoryError):
                pass

    def write_result(self, value: Any) -> list[str]:
        """result.json (and the array/bytes files it references); the file names written."""
        assert self.path is not None
        files = ResultFiles(self.path)
        encoded = files.encode(value)
        self.write_json(RESULT, encoded)
        return files.files + [RESULT]

    def write_json(self, name: str, value: Any) -> None:
        assert self.path is not None
        text = json.dumps(value, indent=2, default=str)
        (self.path / name).write_text(text + "\n", encoding="utf-8")

    def write_text(self, name: str, text: str) -> None:
        assert self.path is not None
        (self.path / name).write_text(text, encoding="utf-8", errors="replace")

    def remove(self, name: str) -> None:
        if self.path is not None:
            (self.path / name).unlink(missing_ok=True)

    def finish(self, summary: dict, *, complete: bool) -> Path:
        """Write summary.json (and COMPLETE when `complete`), then move everything to the target."""
        assert self.path is not None and not self.finished
        self.write_json(SUMMARY, summary)
        if self.in_place:
            for entry in sorted(self.path.iterdir()):
                os.replace(entry, self.target / entry.name)
            self.path.rmdir()
            if complete:
                _write_marker(self.target / COMPLETE, summary)
        else:
            if complete:
                _write_marker(self.path / COMPLETE, summary)
            old = None
            if self.target.exists():
                old = self.target.parent / f"{self.target.name}.old-{uuid.uuid4().hex[:8]}"
                os.replace(self.target, old)
            os.replace(self.path, self.target)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        self.finished = True
        self.path = self.target
        return self.target

def _write_marker(path: Path, summary: dict) -> None:
    path.write_text(f"{summary.get('finished', '')}\n", encoding="utf-8")


def read_summary(directory: Path) -> dict | None:
    """summary.json of an output directory, with `complete` (COMPLETE present); None when there is none."""
    try:
        data = json.loads((directory / SUMMARY).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    data["complete"] = (directory / COMPLETE).is_file()
    return data

