"""Large arrays by reference: a plugin returns `remote_array(x)` and its client reads regions of `x` on demand.

    from imjoy_hpc.plugins.remote_array import remote_array

    def open_stack(self, path):
        return remote_array(np.load(path, mmap_mode="r"))      # or a zarr array, a dask array, an ndarray

The client gets an object with `shape`, `dtype`, `ndim`, `nbytes`, `chunks` (the natural block to read) and
`get(region)` / `get_chunk(index)`, which return ndarrays of just those elements: plane 700 of a 20 GB stack
travels as one plane, and the stack never leaves the job. `read(region)` is `get` under a name that Python
clients can call as an attribute (the imjoy-rpc Python client's objects are dicts, whose own `get` wins:
there `arr.read(...)` or `arr["get"](...)`). A region is a list with one entry per leading axis
(an index, null for the whole axis, or [start, stop] / [start, stop, step]) or the same in numpy's text form
("700, :, 100:200"). One read may not exceed `max_bytes` (default 256 MiB), so neither the gateway nor the client
holds more than that for it.

Through a gateway the array is also a zarr store (imjoy_hpc/gateway/zarr_store.py): the object a client gets has
`zarr_url` (for zarr-python, vizarr, neuroglancer); a plugin asks for one with `arr.zarr_url = await api.zarr_url(arr)`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

DEFAULT_MAX_BYTES = 256 * 2**20
CHUNK_TARGET_BYTES = 4 * 2**20  # default block for arrays without chunks of their own: a plane, or rows of one


class RegionError(ValueError):
    """A region that does not fit the array; the message names the axis and the bounds."""


def _kind(source: Any) -> str:
    module = type(source).__module__.split(".")[0]
    if isinstance(source, np.memmap):
        return "memmap"
    if isinstance(source, np.ndarray):
        return "ndarray"
    return module if module in ("zarr", "dask", "h5py") else "array"


def default_chunks(source: Any, shape: tuple[int, ...]) -> tuple[int, ...]:
    """The array's own chunks (zarr, dask, h5py), else planes (3-D and more) or bands of rows of ~4 MiB."""
    own = getattr(source, "chunksize", None) if _kind(source) == "dask" else getattr(source, "chunks", None)
    if isinstance(own, tuple) and len(own) == len(shape) and all(isinstance(n, int) for n in own):
        return tuple(int(n) for n in own)
    if not shape:
        return ()
    itemsize = np.dtype(source.dtype).itemsize
    chunks = list(shape)
    # Cut the leading axes to 1 while the block is above the target, then the first cut axis into bands.
    for axis in range(len(shape) - 1):
        if math.prod(chunks) * itemsize <= CHUNK_TARGET_BYTES:
            break
        rest = math.prod(chunks[axis + 1:]) * itemsize
        chunks[axis] = max(1, min(shape[axis], CHUNK_TARGET_BYTES // max(rest, 1)))
    return tuple(max(1, n) for n in chunks)


def _text_entry(text: str) -> Any:
    text = text.strip()
    if text in (":", "", "..."):
        return None if text != "..." else Ellipsis
    if ":" in text:
        parts = [p.strip() for p in text.split(":")]
        if len(parts) > 3:
            raise RegionError(f"region entry {text!r}: at most start:stop:step")
        return [int(p) if p else None for p in parts]
    return int(text)


def parse_region(region: Any, shape: tuple[int, ...]) -> tuple[tuple, tuple[int, ...]]:
    """(numpy index, result shape) of a region; RegionError in words for one that does not fit."""
    if region is None:
        entries: list[Any] = []
    elif isinstance(region, str):
        try:
            entries = [_text_entry(part) for part in region.split(",")] if region.strip() else []
        except ValueError as exc:
            raise RegionError(f"region {region!r} is not numpy's index form ('700, :, 10:20'): {exc}") from None
    elif isinstance(region, (list, tuple)):
        entries = list(region)
    elif isinstance(region, int) and not isinstance(region, bool):
        entries = [region]
    else:
        raise RegionError(f"a region is a list of indices and [start, stop(, step)] pairs, got {type(region).__name__}")
    if Ellipsis in entries:
        at = entries.index(Ellipsis)
        entries[at:at + 1] = [None] * (len(shape) - len(entries) + 1)
    if len(entries) > len(shape):
        raise RegionError(f"region has {len(entries)} entries but the array has {len(shape)} axes (shape {list(shape)})")
    entries += [None] * (len(shape) - len(entries))
    index: list[Any] = []
    out_shape: list[int] = []
    for axis, (entry, size) in enumerate(zip(entries, shape)):
        if entry is None:
            index.append(slice(None))
            out_shape.append(size)
        elif isinstance(entry, int) and not isinstance(entry, bool):
            if not -size <= entry < size:
                raise RegionError(f"region axis {axis}: index {entry} is out of range for size {size}")
            index.append(entry % size)
        elif isinstance(entry, (list, tuple)) and 1 <= len(entry) <= 3 and all(
                v is None or (isinstance(v, int) and not isinstance(v, bool)) for v in entry):
            start, stop, step = (list(entry) + [None, None])[:3]
            if step == 0:
                raise RegionError(f"region axis {axis}: step 0")
            piece = slice(start, stop, step)
            index.append(piece)
            out_shape.append(len(range(*piece.indices(size))))
        else:
            raise RegionError(f"region axis {axis}: {entry!r} is neither an index, null nor [start, stop(, step)]")
    return tuple(index), tuple(out_shape)


def _size_text(n: int) -> str:
    return f"{n / 2**20:,.1f} MiB" if n >= 2**20 else f"{n:,} bytes"


class RemoteArray:
    """An array the client reads region by region (sent over RPC as an object with these members)."""

    def __init__(self, source: Any, *, chunks: tuple[int, ...] | None = None,
                 max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        if not hasattr(source, "shape") or not hasattr(source, "dtype") or not hasattr(source, "__getitem__"):
            raise TypeError(f"remote_array needs an array (shape, dtype, indexing), got {type(source).__name__}")
        self._source = source
        shape = tuple(int(n) for n in source.shape)
        self.shape = list(shape)
        self.dtype = str(np.dtype(source.dtype))
        self.ndim = len(shape)
        self.nbytes = math.prod(shape) * np.dtype(source.dtype).itemsize
        self.chunks = list(chunks if chunks is not None else default_chunks(source, shape))
        if len(self.chunks) != self.ndim or any(int(n) < 1 for n in self.chunks):
            raise ValueError(f"chunks {self.chunks} do not fit shape {self.shape}")
        self.kind = _kind(source)
        self.max_bytes = int(max_bytes)
        self.zarr_url: str | None = None  # set by the gateway on the client's copy; in the plugin, by api.zarr_url

    def get(self, region: Any = None) -> np.ndarray:
        """The elements of `region` (see the module docstring) as a C-ordered ndarray."""
        index, out_shape = parse_region(region, tuple(self.shape))
        size = math.prod(out_shape) * np.dtype(self.dtype).itemsize
        if size > self.max_bytes:
            raise RegionError(f"region of {_size_text(size)} (shape {list(out_shape)}) is more than one read may "
                              f"take ({_size_text(self.max_bytes)}); read it in parts, e.g. by chunks {self.chunks}")
        part = self._source[index]
        if self.kind == "dask":
            part = part.compute()
        return np.ascontiguousarray(np.asarray(part))

    def read(self, region: Any = None) -> np.ndarray:
        """`get` for clients whose remote objects are dicts (there `.get` is the dict's own)."""
        return self.get(region)

    def get_chunk(self, index: list[int]) -> np.ndarray:
        """The block at position `index` of the chunk grid (edge blocks are smaller)."""
        if not isinstance(index, (list, tuple)) or len(index) != self.ndim:
            raise RegionError(f"a chunk index has one entry per axis ({self.ndim}), got {index!r}")
        grid = [math.ceil(n / c) for n, c in zip(self.shape, self.chunks)]
        region = []
        for axis, (i, c, g) in enumerate(zip(index, self.chunks, grid)):
            if not isinstance(i, int) or not 0 <= i < g:
                raise RegionError(f"chunk index axis {axis}: {i!r} is outside the grid of {g} chunks")
            region.append([i * c, min((i + 1) * c, self.shape[axis])])
        return self.get(region)

    def __repr__(self) -> str:
        return f"<remote {self.kind} shape={self.shape} dtype={self.dtype} chunks={self.chunks}>"


def remote_array(source: Any, *, chunks: tuple[int, ...] | None = None,
                 max_bytes: int = DEFAULT_MAX_BYTES) -> RemoteArray:
    """Wrap an ndarray, numpy memmap, zarr, h5py or dask array so that a client reads it region by region."""
    return RemoteArray(source, chunks=chunks, max_bytes=max_bytes)
