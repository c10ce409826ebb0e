"""A plugin's `remote_array(x)` as a zarr store over HTTP: `GET /zarr/<key>/...` for zarr-python, vizarr,
neuroglancer.

When a plugin's remote array passes through the gateway on its way to a client, `ZarrArrays.offer` registers it
and adds `zarr_url` (and `zarr_path`) to the object the client gets. The store is a zarr v2 group (no compressor,
`/` between chunk indices): dataset `0` is the array itself; for 2-D and 3-D arrays, datasets `1`, `2`... decimate
the last two axes by 2 per level down to ~256 px, with OME-Zarr 0.4 `multiscales` metadata. Metadata is made here;
every chunk, of any level, is one `get(region)` call to the plugin (a strided region for the smaller levels), so a
request holds at most one chunk and the gateway never holds an array.

Who may read: the URL's key is an unguessable capability (256 bits, bound to the client session that received the
array); or the array's short public id with the gateway's token in `Authorization: Bearer <token>`. Either ends
when that session or the plugin ends. No request body is read (these are GETs). Browsers on other origins read it
only when the origin is in `imjoy-hpc.server.zarr-origins` (CORS).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import re
import secrets
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import tornado.web
from tornado.iostream import StreamClosedError

from imjoy_hpc.gateway.auth import bearer
from imjoy_hpc.transport import BodyLimit
from imjoy_hpc.gateway.http import CapabilityRoute
from imjoy_hpc.rpc.spool import SpooledArray

ZARR_PATH = r"/zarr/([A-Za-z0-9_-]{8,64})(?:/(.*))?"
SMALLEST_LEVEL = 256          # levels end at the first whose last two axes are under twice this (256-511 px)
MAX_LEVELS = 12
MAX_CHUNK_BYTES = 64 * 2**20  # zarr chunks above this are cut (halving their largest axis)
MAX_CONCURRENT_CHUNKS = 8     # chunk requests served at once (the gateway holds at most this many chunks)
MAX_PER_SESSION = 1024        # stores a client session keeps; the oldest end first
SPOOL_WRITE_BYTES = 1 << 20
ZARR_DTYPE_KINDS = "biuf"     # bool, signed and unsigned integers, floats


def _digest(capability: str) -> str:
    return hashlib.sha256(capability.encode()).hexdigest()


def levels_of(shape: tuple[int, ...]) -> list[tuple[int, ...]]:
    """Shapes of the levels: the array, then (2-D and 3-D) the last two axes halved down to ~256 px (the smallest
    level's larger side is 256 to 511 px)."""
    levels = [tuple(shape)]
    if len(shape) not in (2, 3):
        return levels
    while max(levels[-1][-2:]) >= 2 * SMALLEST_LEVEL and len(levels) < MAX_LEVELS:
        last = levels[-1]
        levels.append(last[:-2] + tuple(math.ceil(n / 2) for n in last[-2:]))
    return levels


def zarr_chunks(chunks: tuple[int, ...], itemsize: int) -> tuple[int, ...]:
    """The array's chunks, the largest axis halved until a chunk is at most MAX_CHUNK_BYTES."""
    out = list(chunks)
    while math.prod(out) * itemsize > MAX_CHUNK_BYTES and max(out) > 1:
        axis = out.index(max(out))
        out[axis] = math.ceil(out[axis] / 2)
    return tuple(out)


@dataclass
class ServedArray:
    """One remote array served as a zarr store."""

    public_id: str
    digest: str                      # sha256 of the capability (the capability itself is not kept)
    session_id: str                  # the client session it was given to
    get: Callable[..., Any]          # the plugin's get(region), a remote function
    shape: tuple[int, ...]
    dtype: np.dtype
    chunks: tuple[int, ...]
    kind: str
    path: str                        # /zarr/<capability>/
    alive: Callable[[], bool]        # False once the plugin has ended
    instance_id: str | None = None
    levels: list[tuple[int, ...]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.levels = levels_of(self.shape)

    def level_chunks(self, level: int) -> tuple[int, ...]:
        return tuple(min(c, n) for c, n in zip(self.chunks, self.levels[level]))

    def zarray(self, level: int) -> dict:
        fill: Any = False if self.dtype.kind == "b" else (0.0 if self.dtype.kind == "f" else 0)
        return {"zarr_format": 2, "shape": list(self.levels[level]), "chunks": list(self.level_chunks(level)),
                "dtype": self.dtype.str, "compressor": None, "fill_value": fill, "order": "C", "filters": None,
                "dimension_separator": "/"}

    def zattrs(self) -> dict:
        """OME-Zarr 0.4 `multiscales` for 2-D and 3-D arrays; nothing for others."""
        if len(self.shape) not in (2, 3):
            return {}
        names = ["y", "x"] if len(self.shape) == 2 else ["z", "y", "x"]
        datasets = []
        for level in range(len(self.levels)):
            scale = [1.0] * (len(self.shape) - 2) + [float(2 ** level)] * 2
            datasets.append({"path": str(level), "coordinateTransformations": [{"type": "scale", "scale": scale}]})
        return {"multiscales": [{"version": "0.4", "name": f"remote {self.kind} {self.public_id}",
                                 "axes": [{"name": n, "type": "space"} for n in names],
                                 "datasets": datasets, "type": "decimation",
                                 "metadata": {"method": "every 2nd pixel of the last two axes per level"}}]}

    def metadata(self, key: str) -> dict | None:
        """The JSON document of a metadata key of the store, None if it is not one."""
        if key == ".zgroup":
            return {"zarr_format": 2}
        if key == ".zattrs":
            return self.zattrs()
        if key == ".zmetadata":
            docs: dict[str, Any] = {".zgroup": {"zarr_format": 2}, ".zattrs": self.zattrs()}
            for level in range(len(self.levels)):
                docs[f"{level}/.zarray"] = self.zarray(level)
                docs[f"{level}/.zattrs"] = {}
            return {"zarr_consolidated_format": 1, "metadata": docs}
        level, _, name = key.partition("/")
        if level.isdigit() and int(level) < len(self.levels) and name in (".zarray", ".zattrs"):
            return self.zarray(int(level)) if name == ".zarray" else {}
        return None

    def chunk_region(self, level: int, index: list[int]) -> tuple[list[list[int]], tuple[int, ...]]:
        """The region of the array (level 0) that chunk `index` of `level` decimates, and the chunk's shape as
        it comes (edge chunks are smaller); KeyError in words for a chunk outside the grid."""
        shape, chunks = self.levels[level], self.level_chunks(level)
        grid = [math.ceil(n / c) for n, c in zip(shape, chunks)]
        if len(index) != len(shape) or any(not 0 <= i < g for i, g in zip(index, grid)):
            raise KeyError(f"chunk {'/'.join(map(str, index))} is outside level {level}'s grid of "
                           f"{' x '.join(map(str, grid))} chunks (shape {list(shape)}, chunks {list(chunks)})")
        step = 2 ** level
        decimated = len(shape) - 2 if level else len(shape)
        region, got = [], []
        for axis, (i, c, n) in enumerate(zip(index, chunks, shape)):
            start, stop = i * c, min((i + 1) * c, n)
            got.append(stop - start)
            if axis >= decimated and level:
                region.append([start * step, min(stop * step, self.shape[axis]), step])
            else:
                region.append([start, stop])
        return region, tuple(got)

    def listed(self, base_url: str) -> dict:
        return {"id": self.public_id, "zarr_url": base_url.rstrip("/") + self.path, "zarr_path": self.path,
                "shape": list(self.shape), "dtype": str(self.dtype), "levels": len(self.levels)}


def looks_like_remote_array(value: Any) -> bool:
    """A remote array's object as the gateway relays it (a decoded dict with its members)."""
    return (isinstance(value, dict) and callable(value.get("get_chunk")) and callable(value.get("get"))
            and isinstance(value.get("shape"), list) and isinstance(value.get("chunks"), list)
            and isinstance(value.get("dtype"), str))


class ZarrArrays:
    """The remote arrays the gateway serves as zarr stores, by capability and by public id."""

    def __init__(self, base_url: Callable[[], str], owner_of: Callable[[Any], Any] | None = None) -> None:
        self.base_url = base_url          # the gateway's URL (http://127.0.0.1:9527/), read when needed
        self.owner_of = owner_of          # remote function -> (instance id, alive()) of the plugin serving it
        self.by_digest: dict[str, ServedArray] = {}
        self.by_id: dict[str, ServedArray] = {}
        self.chunk_slots = asyncio.Semaphore(MAX_CONCURRENT_CHUNKS)

    def offer(self, value: dict, session_id: str) -> dict:
        """`value` with `zarr_url`/`zarr_path` when it is a remote array a zarr store can serve (else as is)."""
        if not looks_like_remote_array(value):
            return value
        try:
            dtype = np.dtype(value["dtype"])
            shape = tuple(int(n) for n in value["shape"])
            chunks = zarr_chunks(tuple(int(n) for n in value["chunks"]), dtype.itemsize)
        except (TypeError, ValueError):
            return value
        if dtype.kind not in ZARR_DTYPE_KINDS or len(chunks) != len(shape) or not shape:
            return {**value, "zarr_url": None, "zarr_note": f"no zarr store for dtype {dtype} with {len(shape)} axes "
                                                            "(bool, integers or floats, 1 axis or more)"}
        self.drop_ended()
        instance_id, alive = self.owner_of(value["get"]) if self.owner_of else (None, lambda: True)
        capability = secrets.token_urlsafe(32)
        served = ServedArray(public_id=uuid.uuid4().hex[:12], digest=_digest(capability), session_id=session_id,
                             get=value["get"], shape=shape, dtype=dtype, chunks=chunks,
                             kind=str(value.get("kind") or "array"), path=f"/zarr/{capability}/", alive=alive,
                             instance_id=instance_id)
        mine = [s for s in self.by_id.values() if s.session_id == session_id]
        for old in mine[:max(0, len(mine) + 1 - MAX_PER_SESSION)]:  # a client calling open() without end
            self._forget(old)
        self.by_digest[served.digest] = served
        self.by_id[served.public_id] = served
        return {**value, "zarr_url": self.base_url().rstrip("/") + served.path, "zarr_path": served.path,
                "zarr_id": served.public_id}

    def find(self, key: str, token_given: bool) -> ServedArray | None:
        """The array a URL key names: its capability, or (with the token in a header) its public id."""
        served = self.by_digest.get(_digest(key)) or (self.by_id.get(key) if token_given else None)
        if served is not None and not served.alive():
            self._forget(served)
            return None
        return served

    def _forget(self, served: ServedArray) -> None:
        self.by_digest.pop(served.digest, None)
        self.by_id.pop(served.public_id, None)

    def drop_ended(self) -> None:
        for served in [s for s in self.by_id.values() if not s.alive()]:
            self._forget(served)

    def end_session(self, session_id: str) -> None:
        """The client session ended: its capabilities end with it."""
        for served in [s for s in self.by_id.values() if s.session_id == session_id]:
            self._forget(served)

    def listed(self, instance_id: str) -> list[dict]:
        """The zarr URLs of a plugin instance's arrays (for list_instances)."""
        return [s.listed(self.base_url()) for s in self.by_id.values() if s.instance_id == instance_id and s.alive()]


@tornado.web.stream_request_body
class ZarrHandler(CapabilityRoute, BodyLimit, tornado.web.RequestHandler):
    """GET/HEAD `/zarr/<capability or id>/<key>`: metadata documents and chunks of a served array."""

    def initialize(self, host_allowed: Callable[[str], bool], accepts: Callable[[object], bool], arrays: ZarrArrays,
                   origins: tuple[str, ...]) -> None:
        self.host_allowed = host_allowed
        self.accepts = accepts
        self.arrays = arrays
        self.origins = set(origins)
        self.served: ServedArray | None = None

    def prepare(self) -> None:
        if not self.limit_body(0, "a zarr store"):  # no body, before and after authentication
            return
        if not self.host_allowed(self.request.host):
            return self._refuse(403, "Host not allowed")
        origin = self.request.headers.get("Origin")
        if origin is not None and origin != f"{self.request.protocol}://{self.request.host}":
            if origin not in self.origins:
                return self._refuse(403, f"pages of {origin} may not read zarr stores here: add the origin to "
                                         "imjoy-hpc.server.zarr-origins")
            self.set_header("Access-Control-Allow-Origin", origin)
        if self.request.method == "OPTIONS":
            return None  # a CORS preflight carries no credentials
        header = self.request.headers.get("Authorization", "")
        token_given = self.accepts(bearer(self.request.headers))
        if header and not token_given:
            return self._refuse(401, "wrong token (Authorization: Bearer <token>)")
        self.served = self.arrays.find(self.path_args[0], token_given)
        if self.served is None:
            return self._refuse(403, "no zarr store for this key: the capability is wrong, or it ended with its "
                                     "client's session or its plugin (or, by id, the token is missing)")
        return None

    def options(self, *_: Any) -> None:
        self.set_header("Access-Control-Allow-Methods", "GET, HEAD")
        self.set_header("Access-Control-Allow-Headers", "Authorization, Range")
        self.set_header("Access-Control-Max-Age", "600")
        self.set_status(204)

    async def head(self, key: str, rest: str | None) -> None:
        await self.get(key, rest, body=False)

    async def get(self, key: str, rest: str | None, body: bool = True) -> None:
        served = self.served
        assert served is not None
        rest = (rest or "").strip("/")
        document = served.metadata(rest)
        if document is not None:
            self.set_header("Content-Type", "application/json")
            data = json.dumps(document).encode()
            self.set_header("Content-Length", str(len(data)))
            if body:
                self.write(data)
            return
        level, index = self._chunk_key(rest, served)
        if level is None:
            return self._refuse(404, f"no key {rest!r} in this zarr store: it has .zgroup, .zattrs, .zmetadata and "
                                     f"levels 0 to {len(served.levels) - 1}, each with .zarray and chunks "
                                     "<level>/<i>/<j>/...")
        try:
            region, got = served.chunk_region(level, index)
        except KeyError as exc:
            return self._refuse(404, exc.args[0])
        chunk_shape = served.level_chunks(level)
        size = math.prod(chunk_shape) * served.dtype.itemsize
        self.set_header("Content-Type", "application/octet-stream")
        self.set_header("Content-Length", str(size))
        if not body:
            return
        async with self.arrays.chunk_slots:
            try:
                part = await served.get(region)
            except Exception as exc:  # noqa: BLE001 - the plugin's words go to the reader
                self.clear_header("Content-Length")
                return self._refuse(502, f"the plugin could not give chunk {rest} (region {region}): {exc}")
            try:
                await self._send(part, got, chunk_shape, served.dtype)
            except StreamClosedError:  # the reader went away: nothing to answer
                pass

    @staticmethod
    def _chunk_key(rest: str, served: ServedArray) -> tuple[int | None, list[int]]:
        level, _, indices = rest.partition("/")
        parts = re.split(r"[./]", indices) if indices else []
        if not level.isdigit() or int(level) >= len(served.levels) or not parts or not all(p.isdigit() for p in parts):
            return None, []
        return int(level), [int(p) for p in parts]

    async def _send(self, part: Any, got: tuple[int, ...], chunk_shape: tuple[int, ...], dtype: np.dtype) -> None:
        """The chunk's bytes: as they came when the chunk is whole, else padded with zeros to the chunk shape."""
        shape = tuple(int(n) for n in getattr(part, "shape", ()))
        if shape != got:
            self._close(part)
            raise tornado.web.HTTPError(502, reason=f"the plugin gave shape {list(shape)} for a chunk of {list(got)}")
        try:
            if got != chunk_shape:
                full = np.zeros(chunk_shape, dtype=dtype)
                full[tuple(slice(0, n) for n in got)] = np.asarray(part, dtype=dtype)
                self.write(full.tobytes())
            elif isinstance(part, SpooledArray):
                for offset in range(0, part.nbytes, SPOOL_WRITE_BYTES):
                    self.write(part.spool.read(offset, min(SPOOL_WRITE_BYTES, part.nbytes - offset)))
                    await self.flush()
            elif hasattr(part, "chunks") and isinstance(part.chunks, list):  # a WireArray: its wire chunks
                for piece in part.chunks:
                    self.write(bytes(piece) if not isinstance(piece, bytes) else piece)
            else:
                self.write(np.ascontiguousarray(np.asarray(part, dtype=dtype)).tobytes())
            await self.flush()  # the chunk has left (a slow reader holds a slot, not more chunks in buffers)
        finally:
            self._close(part)

    @staticmethod
    def _close(part: Any) -> None:
        if isinstance(part, SpooledArray):
            part.spool.close()


def handlers(*, host_allowed: Callable[[str], bool], accepts: Callable[[object], bool], arrays: ZarrArrays,
             origins: tuple[str, ...] = ()) -> list:
    """The front door's zarr route."""
    return [(ZARR_PATH, ZarrHandler, {"host_allowed": host_allowed, "accepts": accepts, "arrays": arrays,
                                      "origins": tuple(origins)})]
