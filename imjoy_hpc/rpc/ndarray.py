"""The `ndarray` value encoding: C-order little-endian bytes, optionally split into chunks.

Python <-> Python every numpy dtype round-trips (structured dtypes travel as a descr list).
For a JavaScript peer only these dtypes become TypedArrays (JS_TYPED_ARRAYS); the imjoy-rpc JS client keeps
any other dtype (bool, int64, uint64, float16, complex, strings, datetimes) as the raw
`{_rtype: "ndarray", _rvalue: ArrayBuffer, _rshape, _rdtype}` object: the bytes arrive intact and the receiver
must interpret them itself (the gateway's web page does so for bool and int64). Nothing is converted silently.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from imjoy_hpc.rpc.errors import DecodeError, EncodeError
from imjoy_hpc.rpc.spool import SpooledArray, SpoolSlice

JS_TYPED_ARRAYS = {
    "int8": "Int8Array",
    "int16": "Int16Array",
    "int32": "Int32Array",
    "uint8": "Uint8Array",
    "uint16": "Uint16Array",
    "uint32": "Uint32Array",
    "float32": "Float32Array",
    "float64": "Float64Array",
}


def dtype_to_wire(dtype: np.dtype) -> str | list:
    """The `_rdtype` of a little-endian dtype."""
    if dtype.fields is not None:
        return [list(item) for item in dtype.descr]
    return str(dtype)


def dtype_from_wire(value: Any) -> np.dtype:
    """Parse an `_rdtype` field, refusing object dtypes."""
    try:
        if isinstance(value, list):
            dtype = np.dtype([tuple(item) for item in value])
        elif isinstance(value, str):
            dtype = np.dtype(value)
        else:
            raise TypeError(f"expected a string, got {type(value).__name__}")
    except (TypeError, ValueError) as exc:
        raise DecodeError(f"ndarray has an invalid _rdtype {value!r}: {exc}") from None
    if dtype.hasobject:
        raise DecodeError(f"ndarray _rdtype {value!r} holds Python objects, which cannot travel as bytes")
    if dtype != dtype.newbyteorder("<"):
        raise DecodeError(f"ndarray _rdtype {value!r} is big-endian; ndarray bytes travel little-endian "
                          "(send the dtype without '>')")
    return dtype


def _little_endian(arr: np.ndarray) -> np.ndarray:
    little = arr.dtype.newbyteorder("<")
    return arr if little == arr.dtype else arr.astype(little)


def ndarray_buffer(value: np.ndarray | np.generic) -> tuple[memoryview, list[int], str | list]:
    """An array's bytes as a flat memoryview (zero-copy unless it must become C-order little-endian), its shape
    and its `_rdtype`."""
    arr = np.asarray(value)
    if arr.dtype.hasobject:
        raise EncodeError(f"cannot send a numpy array of dtype {arr.dtype} (Python objects); convert it first")
    arr = _little_endian(arr)
    if not arr.flags.c_contiguous:
        arr = arr.copy(order="C")
    flat = memoryview(arr.reshape(-1).view(np.uint8)) if arr.size else memoryview(b"")
    return flat, list(arr.shape), dtype_to_wire(arr.dtype)


def encode_ndarray(value: np.ndarray | np.generic, chunk_bytes: int = 0) -> dict:
    """Encode an array or numpy scalar; `_rvalue` is a list of chunks when larger than `chunk_bytes` (> 0)."""
    flat, shape, wire_dtype = ndarray_buffer(value)
    if chunk_bytes and flat.nbytes > chunk_bytes:
        data: bytes | list[bytes] = [bytes(flat[i : i + chunk_bytes]) for i in range(0, flat.nbytes, chunk_bytes)]
    else:
        data = bytes(flat)
    return {"_rtype": "ndarray", "_rvalue": data, "_rshape": shape, "_rdtype": wire_dtype}


def _chunks(value: Any, views: bool = False) -> list[bytes | memoryview]:
    """The chunks of an `_rvalue`: bytes as they are; a bytearray or memoryview copied to bytes, or, with `views`,
    kept as a flat byte view of the same memory (no copy: a client's assembled 64 MB buffer is not copied again)."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return [_chunk(value, views)]
    if isinstance(value, (list, tuple)):
        if not all(isinstance(c, (bytes, bytearray, memoryview)) for c in value):
            raise DecodeError("ndarray _rvalue chunks must all be bytes")
        return [_chunk(c, views) for c in value]
    raise DecodeError(f"ndarray _rvalue must be bytes or a list of byte chunks, got {type(value).__name__}")


def _chunk(chunk: bytes | bytearray | memoryview, views: bool) -> bytes | memoryview:
    if isinstance(chunk, bytes):
        return chunk
    if views:
        view = memoryview(chunk)
        if view.c_contiguous:
            return view if view.format == "B" and view.ndim == 1 else view.cast("B")
    return bytes(chunk)


class WireArray:
    """An ndarray still in its wire chunks. A relay (the gateway) holds arrays this way while forwarding them, so it
    neither joins nor re-splits the bytes; `np.asarray(wire_array)` gives the values when someone needs them."""

    __slots__ = ("chunks", "shape", "dtype", "wire_dtype")

    def __init__(self, chunks: list[bytes], shape: list[int], dtype: np.dtype, wire_dtype: Any) -> None:
        self.chunks, self.shape, self.dtype, self.wire_dtype = chunks, list(shape), dtype, wire_dtype

    @property
    def nbytes(self) -> int:
        return sum(len(c) for c in self.chunks)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        arr = from_chunks(self.chunks, self.dtype, self.shape)
        return arr if dtype is None else arr.astype(dtype)

    def encode(self, chunk_bytes: int = 0) -> dict:
        """The same `ndarray` value again, re-chunked only when a chunk is larger than `chunk_bytes`."""
        if chunk_bytes and any(len(c) > chunk_bytes for c in self.chunks):
            return encode_ndarray(np.asarray(self), chunk_bytes)
        data: bytes | list[bytes] = self.chunks[0] if len(self.chunks) == 1 else list(self.chunks)
        return {"_rtype": "ndarray", "_rvalue": data, "_rshape": list(self.shape), "_rdtype": self.wire_dtype}

    def __repr__(self) -> str:
        return f"<ndarray shape={self.shape} dtype={self.dtype} in {len(self.chunks)} chunk(s)>"


def checked_layout(obj: dict, size: int) -> tuple[list[int], np.dtype]:
    """The `_rshape` and dtype of an `ndarray` value whose payload has `size` bytes; DecodeError when the
    fields are invalid or the size does not match the shape."""
    shape = obj.get("_rshape")
    if not isinstance(shape, (list, tuple)) or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape):
        raise DecodeError(f"ndarray _rshape must be a list of non-negative integers, got {shape!r}")
    dtype = dtype_from_wire(obj.get("_rdtype"))
    expected = math.prod(shape) * dtype.itemsize
    if size != expected:
        raise DecodeError(
            f"ndarray payload has {size} bytes but shape {list(shape)} of {dtype} needs {expected} bytes"
        )
    return list(shape), dtype


def decode_ndarray(obj: dict, lazy: bool = False) -> np.ndarray | WireArray | SpooledArray:
    """Decode an `ndarray` value (zero-copy for a single chunk; a WireArray when `lazy`, or a SpooledArray when
    its bytes came as one spooled message); refuses sizes that do not match the shape."""
    value = obj.get("_rvalue")
    if isinstance(value, SpoolSlice):  # a message too large to hold, written to a spool as it arrived
        shape, dtype = checked_layout(obj, len(value))
        if lazy and value.offset == 0 and value.length == value.spool.size:
            return SpooledArray(value.spool, shape, dtype, obj.get("_rdtype"))
        obj = {**obj, "_rvalue": value.read()}
    chunks = _chunks(obj.get("_rvalue"), views=not lazy)  # a relay's chunks are sent on: bytes
    shape, dtype = checked_layout(obj, sum(len(c) for c in chunks))
    if lazy:
        return WireArray(chunks, shape, dtype, obj.get("_rdtype"))
    return from_chunks(chunks, dtype, shape)


def from_chunks(chunks: list[bytes], dtype: np.dtype, shape: list[int]) -> np.ndarray:
    """The array whose bytes are `chunks`: a view of a single chunk, else one copy into an array numpy allocates
    (numpy asks for huge pages for large arrays: a 64 MB `b"".join` costs 16,384 page faults, 4x the copy here)."""
    if len(chunks) == 1:
        return np.frombuffer(chunks[0], dtype=dtype).reshape(tuple(shape))
    out = np.empty(sum(len(c) for c in chunks), dtype=np.uint8)
    offset = 0
    for chunk in chunks:
        out[offset:offset + len(chunk)] = np.frombuffer(chunk, dtype=np.uint8)
        offset += len(chunk)
    return out.view(dtype).reshape(tuple(shape))
