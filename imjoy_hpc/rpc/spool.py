"""Arrays the gateway must hold while they pass through: kept in a private temporary file, not in memory.

A `Spool` is an anonymous file in the gateway's private spool directory (0700): created already unlinked
(O_TMPFILE, or unlinked at once), so no other process can open it and nothing is left behind if the gateway dies.
Its bytes stay on disk (the page cache) until the last holder lets go of it; the gateway's RSS does not grow.
A `SpooledArray` is an `ndarray` value whose bytes are in a spool; `slices(n)` cuts it into wire chunks of at most
`n` bytes that are read from the file one at a time, when the socket is ready for them.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

SPOOL_PREFIX = "imjoy-hpc-spool-"


def make_spool_dir(parent: str | None = None) -> Path:
    """A fresh private (0700) directory for spools, under `parent` or the system's temporary directory."""
    return Path(tempfile.mkdtemp(prefix=SPOOL_PREFIX, dir=parent))


def remove_spool_dir(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


class Spool:
    """An anonymous, private, append-only file of bytes (0600, never visible under a name)."""

    def __init__(self, directory: Path) -> None:
        self._file = tempfile.TemporaryFile(dir=directory)  # O_TMPFILE or unlinked at once; mode 0600
        self.fd = self._file.fileno()
        self.size = 0
        self.complete = False

    def write(self, data: bytes | memoryview) -> None:
        view = memoryview(data)
        while view.nbytes:
            written = os.write(self.fd, view)
            view = view[written:]
            self.size += written

    def read(self, offset: int, length: int) -> bytes:
        """`length` bytes at `offset` (a short read means the file was cut: an error, never padding)."""
        if self._file.closed:  # its descriptor number may belong to another file by now
            raise OSError("the spooled array was already freed")
        data = os.pread(self.fd, length, offset)
        if len(data) != length:
            raise OSError(f"spooled array truncated: wanted {length} bytes at {offset}, got {len(data)}")
        return data

    def close(self) -> None:
        """Free the file's disk space now (later reads fail)."""
        self._file.close()

    @property
    def closed(self) -> bool:
        return self._file.closed

    def __del__(self) -> None:
        try:
            self._file.close()
        except Exception:  # noqa: BLE001
            pass


class SpoolSlice:
    """One wire chunk of a spooled array: `length` bytes at `offset`, read only when it is sent."""

    __slots__ = ("spool", "offset", "length")

    def __init__(self, spool: Spool, offset: int, length: int) -> None:
        self.spool, self.offset, self.length = spool, offset, length

    def read(self) -> bytes:
        return self.spool.read(self.offset, self.length)

    def __len__(self) -> int:
        return self.length


class SpooledArray:
    """An `ndarray` value whose C-order little-endian bytes are in a spool (a relay forwards it as is)."""

    __slots__ = ("spool", "shape", "dtype", "wire_dtype")

    def __init__(self, spool: Spool, shape: list[int], dtype: np.dtype, wire_dtype: Any) -> None:
        self.spool, self.shape, self.dtype, self.wire_dtype = spool, list(shape), dtype, wire_dtype

    @property
    def nbytes(self) -> int:
        return self.spool.size

    def slices(self, chunk_bytes: int) -> list[SpoolSlice]:
        """The bytes as wire chunks of at most `chunk_bytes` (one chunk when 0)."""
        size = self.spool.size
        step = chunk_bytes if chunk_bytes > 0 else max(size, 1)
        return [SpoolSlice(self.spool, offset, min(step, size - offset)) for offset in range(0, size, step)] \
            or [SpoolSlice(self.spool, 0, 0)]

    def encode(self, chunk_bytes: int = 0) -> dict:
        """The `ndarray` value with `_rvalue` as spooled chunks (the sender reads them as it sends them)."""
        chunks = self.slices(chunk_bytes)
        return {"_rtype": "ndarray", "_rvalue": chunks[0] if len(chunks) == 1 else chunks,
                "_rshape": list(self.shape), "_rdtype": self.wire_dtype}

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        data = self.spool.read(0, self.spool.size) if self.spool.size else b""
        arr = np.frombuffer(data, dtype=self.dtype).reshape(tuple(self.shape))
        return arr if dtype is None else arr.astype(dtype)

    def __repr__(self) -> str:
        return f"<ndarray shape={self.shape} dtype={self.dtype}, {self.nbytes} bytes spooled>"
