"""Large arrays for pages as HTTP responses: `GET /ndarray/<capability>` on the front door.

A browser takes bytes several times faster from an HTTP response than from a websocket. A client that announces
it in its registration (`fetch_arrays_key`: a random key of its own, 32 to 128 URL-safe characters; the gateway's
engine and workspace send one, the published imjoy-rpc clients do not) gets every array larger than
`imjoy-hpc.server.fetch-array-bytes` as `{_rtype: "ndarray", _rhttp: "/ndarray/<capability>", _rbytes, _rshape,
_rdtype}` instead of its bytes, and fetches them:

* the capability is 256 random bits, for one array, bound to the client session that got it: a request must
  also carry that session's key in the `X-Array-Key` header (never the token, never a key in the URL);
* the bytes are served from the spool file the array already is in (a relayed array held in memory is written
  to one first), in large writes; `Range` is supported;
* the array is freed once every byte has been served (a whole GET, or ranges covering it), or when its session
  ends; then its URL is refused (403) like any unknown one.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import tornado.web
from tornado.iostream import StreamClosedError

from imjoy_hpc.gateway.http import CapabilityRoute, GuardedMixin
from imjoy_hpc.rpc.ndarray import WireArray
from imjoy_hpc.rpc.spool import Spool, SpooledArray

FETCH_PATH = r"/ndarray/([A-Za-z0-9_-]{43})"
KEY_FIELD = "fetch_arrays_key"      # the registration field that announces the form (the session's key)
KEY_HEADER = "X-Array-Key"
MAX_PER_SESSION = 256               # arrays a session may leave unread; the oldest are freed first
WRITE_BYTES = 4 << 20               # one write of a response body
_KEY = re.compile(r"[A-Za-z0-9_-]{32,128}")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def session_key(config: dict) -> str | None:
    """The key a registration announced (None: the client keeps the websocket form)."""
    key = config.get(KEY_FIELD)
    return key if isinstance(key, str) and _KEY.fullmatch(key) else None


@dataclass
class FetchableArray:
    """One array waiting for its page: its spool, who may read it, and which bytes were served."""

    digest: str                     # sha256 of the capability (the capability itself is not kept)
    session_id: str
    key_digest: str                 # sha256 of the session's key
    spool: Spool
    size: int
    served: list[tuple[int, int]] = field(default_factory=list)  # merged [start, stop) ranges already sent
    readers: int = 0
    done: bool = False

    def cover(self, start: int, stop: int) -> bool:
        """Note bytes [start, stop) as served; True when every byte has been."""
        spans = sorted(self.served + [(start, stop)])
        merged: list[tuple[int, int]] = []
        for a, b in spans:
            if merged and a <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], b))
            else:
                merged.append((a, b))
        self.served = merged
        return merged == [(0, self.size)] or self.size == 0


class FetchArrays:
    """The arrays pages may fetch, by capability."""

    def __init__(self, threshold: int | None, place_for: Callable[[int], Path | str]) -> None:
        self.threshold = threshold      # arrays larger than this go by HTTP (None: never)
        self.place_for = place_for      # a spool directory with room for N bytes, or why there is none
        self.arrays: dict[str, FetchableArray] = {}

    def offer(self, value: Any, session_id: str, key: str) -> dict | None:
        """The HTTP form of an array on its way to a client that announced `key`; None to send it as today (small,
        not an array the gateway holds, or no room to spool it)."""
        if self.threshold is None or not isinstance(value, (SpooledArray, WireArray)) \
                or value.nbytes <= self.threshold:
            return None
        if isinstance(value, SpooledArray):
            if value.spool.closed:
                return None
            spool = value.spool
        else:
            place = self.place_for(value.nbytes)
            if not isinstance(place, Path):
                return None
            spool = Spool(place)
            try:
                for chunk in value.chunks:
                    spool.write(chunk)
            except OSError:
                spool.close()
                return None
        capability = secrets.token_urlsafe(32)
        entry = FetchableArray(_digest(capability), session_id, _digest(key), spool, spool.size)
        mine = [e for e in self.arrays.values() if e.session_id == session_id]
        for old in mine[:max(0, len(mine) + 1 - MAX_PER_SESSION)]:
            self.free(old)
        self.arrays[entry.digest] = entry
        return {"_rtype": "ndarray", "_rhttp": f"/ndarray/{capability}", "_rbytes": entry.size,
                "_rshape": list(value.shape), "_rdtype": value.wire_dtype}

    def find(self, capability: str, key: str | None) -> FetchableArray | None:
        """The array a URL names, when the request carries the key of the session it was given to."""
        entry = self.arrays.get(_digest(capability))
        if entry is None or key is None or not secrets.compare_digest(entry.key_digest, _digest(key)):
            return None
        return entry

    def free(self, entry: FetchableArray) -> None:
        """Refuse its URL from now on; its spool goes once no response is reading it."""
        self.arrays.pop(entry.digest, None)
        entry.done = True
        self.release(entry, reading=False)

    def release(self, entry: FetchableArray, reading: bool = True) -> None:
        if reading:
            entry.readers -= 1
        if entry.done and entry.readers == 0 and not any(e.spool is entry.spool for e in self.arrays.values()):
            entry.spool.close()

    def end_session(self, session_id: str) -> None:
        """The client session ended: its unread arrays are freed."""
        for entry in [e for e in self.arrays.values() if e.session_id == session_id]:
            self.free(entry)

    def close(self) -> None:
        for entry in list(self.arrays.values()):
            self.free(entry)


def parse_range(header: str | None, size: int) -> tuple[int, int] | None | str:
    """[start, stop) of a single `bytes=` range; None for the whole body; "unsatisfiable" for a range outside
    the body or one this server does not serve (several ranges)."""
    if header is None:
        return None
    match = re.fullmatch(r"\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*", header)
    if match is None or (not match.group(1) and not match.group(2)):
        return "unsatisfiable"
    first, last = match.groups()
    if not first:  # the last N bytes
        start, stop = max(0, size - int(last)), size
    else:
        start, stop = int(first), min(size, int(last) + 1) if last else size
    if start >= size or start >= stop:
        return "unsatisfiable"
    return start, stop


@tornado.web.stream_request_body
class FetchArrayHandler(CapabilityRoute, GuardedMixin, tornado.web.RequestHandler):
    """GET/HEAD `/ndarray/<capability>` with the session's key: the array's bytes (Range supported)."""

    def initialize(self, host_allowed: Callable[[str], bool], origin_allowed: Callable[[str | None, dict], bool],
                   arrays: FetchArrays) -> None:
        self.host_allowed = host_allowed
        self.origin_allowed = origin_allowed
        self.arrays = arrays
        self.entry: FetchableArray | None = None

    def prepare(self) -> None:
        super().prepare()  # no body; Host
        if self._finished:
            return None
        origin = self.request.headers.get("Origin")
        environ = {"wsgi.url_scheme": self.request.protocol, "HTTP_HOST": self.request.host}
        if origin is not None:
            if not self.origin_allowed(origin, environ):
                return self._refuse(403, f"pages of {origin} may not fetch arrays here: add the origin to "
                                         "imjoy-hpc.server.allowed-origins")
            self.set_header("Access-Control-Allow-Origin", origin)
            self.set_header("Access-Control-Expose-Headers", "Content-Range, Content-Length")
        if self.request.method == "OPTIONS":
            return None  # a CORS preflight carries no credentials
        self.entry = self.arrays.find(self.path_args[0], self.request.headers.get(KEY_HEADER))
        if self.entry is None:
            return self._refuse(403, f"no array for this URL with this {KEY_HEADER}: it was already read, its "
                                     "client's session ended, or it was given to another session")
        return None

    def options(self, *_: Any) -> None:
        self.set_header("Access-Control-Allow-Methods", "GET, HEAD")
        self.set_header("Access-Control-Allow-Headers", f"{KEY_HEADER}, Range")
        self.set_header("Access-Control-Max-Age", "600")
        self.set_status(204)

    def _span(self, entry: FetchableArray) -> tuple[int, int] | None:
        """The bytes to send (with the status and headers set), None when the range was refused."""
        span = parse_range(self.request.headers.get("Range"), entry.size)
        self.set_header("Accept-Ranges", "bytes")
        self.set_header("Content-Type", "application/octet-stream")
        if span == "unsatisfiable":
            self.set_header("Content-Range", f"bytes */{entry.size}")
            self._refuse(416, f"the range {self.request.headers.get('Range')!r} is not one of this array's "
                              f"{entry.size} bytes (one range, bytes=START-END)")
            return None
        if span is None:
            span = (0, entry.size)
        else:
            self.set_status(206)
            self.set_header("Content-Range", f"bytes {span[0]}-{span[1] - 1}/{entry.size}")
        self.set_header("Content-Length", str(span[1] - span[0]))
        return span  # type: ignore[return-value]

    def head(self, capability: str) -> None:
        assert self.entry is not None
        self._span(self.entry)

    async def get(self, capability: str) -> None:
        entry = self.entry
        assert entry is not None
        span = self._span(entry)
        if span is None:
            return
        whole = span == (0, entry.size)
        if whole:  # a second request for the whole array is refused from now on
            self.arrays.arrays.pop(entry.digest, None)
        entry.readers += 1
        sent = False
        try:
            for offset in range(span[0], span[1], WRITE_BYTES):
                self.write(entry.spool.read(offset, min(WRITE_BYTES, span[1] - offset)))
                await self.flush()
            sent = True
        except (StreamClosedError, OSError):
            pass  # the page went away (or the array was freed meanwhile): nothing more to answer
        finally:
            if sent and entry.cover(*span):
                self.arrays.free(entry)
            elif whole and not entry.done:  # cut short: it may be fetched again
                self.arrays.arrays[entry.digest] = entry
            self.arrays.release(entry)


def handlers(*, host_allowed: Callable[[str], bool], origin_allowed: Callable[[str | None, dict], bool],
             arrays: FetchArrays) -> list:
    """The front door's route for fetched arrays."""
    return [(FETCH_PATH, FetchArrayHandler, {"host_allowed": host_allowed, "origin_allowed": origin_allowed,
                                             "arrays": arrays})]
