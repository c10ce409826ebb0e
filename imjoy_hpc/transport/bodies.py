"""No body before the token: every HTTP route of every door reads a request body only once the request is
authenticated (token, upload key or registered session in the request), and then at most what the route takes.

Tornado reads a whole body before any handler runs, unless the handler streams it (`stream_request_body`): then
`prepare()` runs after the headers and may set how much of the body is read. `BodyLimit` is that prepare step:
a declared body larger than the route's limit is answered (413, in words) and its connection closed without
reading it; a chunked one is cut by tornado at the limit; the body that is read is kept for the handler."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from http.client import responses
from typing import Any

import tornado.web
from tornado.iostream import IOStream, StreamClosedError

__all__ = ["BodyLimit", "NotFoundHandler", "answer_and_close"]
LINGER_SECONDS, LINGER_POLL_SECONDS = 5.0, 0.25  # how long a refused request's connection waits for its client
_WAITING_FOR_CLIENT = (4, 5)  # Linux TCP states FIN_WAIT1, FIN_WAIT2: our side is shut, the client's is open


def answer_and_close(handler: tornado.web.RequestHandler, status: int, detail: str,
                     headers: dict[str, str] | None = None) -> None:
    """Answer `{success: false, detail}` on the bare connection (with `headers`, e.g. CORS ones) and close it,
    without reading what its client is still sending (only from `prepare()` of a `stream_request_body` handler)."""
    stream = handler.request.connection.detach()  # type: ignore[attr-defined]
    handler._finished = True  # tornado's side of this request ends here
    data = json.dumps({"success": False, "detail": detail}).encode()
    head = (f"HTTP/1.1 {status} {responses.get(status, 'Error')}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(data)}\r\nConnection: close\r\nCache-Control: no-store\r\n"
            + "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items()) + "\r\n").encode()
    asyncio.ensure_future(_answer_then_linger(stream, head + data))


async def _answer_then_linger(stream: IOStream, answer: bytes) -> None:
    """Write the answer, end our side, and keep the connection open, reading nothing, until the client has closed
    or reset it or LINGER_SECONDS have passed. Closing while the client still sends would reset the connection,
    and a reset can destroy the answer before the client has read it; reading on would take the body. What the
    client still sends waits unread in the kernel's receive buffer (the socket's size at most) and its writes
    stall."""
    try:
        await stream.write(answer)
        stream.socket.shutdown(socket.SHUT_WR)
        end = time.monotonic() + LINGER_SECONDS
        while time.monotonic() < end and not _client_gone(stream.socket):
            await asyncio.sleep(LINGER_POLL_SECONDS)
    except (StreamClosedError, OSError):
        pass
    finally:
        stream.close()


def _client_gone(sock: socket.socket) -> bool:
    """Whether the client closed or reset its side of a connection we have shut down for writing (TCP only: a
    Unix socket's client is waited for LINGER_SECONDS)."""
    try:
        state = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0]
    except (OSError, AttributeError):
        return False
    return state not in _WAITING_FOR_CLIENT


def declared_size(handler: tornado.web.RequestHandler) -> int | None:
    """The body size its Content-Length declares; -1 when none is declared but one may come (chunked); None when
    the header is not a number."""
    headers = handler.request.headers
    if "Content-Length" in headers:
        try:
            size = int(headers["Content-Length"])
        except ValueError:
            return None
        return size if size >= 0 else None
    return -1 if "chunked" in headers.get("Transfer-Encoding", "").lower() else 0


class BodyLimit:
    """Mixin for `@tornado.web.stream_request_body` handlers: `limit_body(limit)` in `prepare()`, once the request
    is authenticated (0 before that, or for a route that takes no body); `self.body` is what was read."""

    request: Any
    _body: bytearray | None = None

    def limit_body(self, limit: int, route: str = "this route") -> bool:
        """False (the request answered and its connection closed) when the declared body is over `limit`."""
        size = declared_size(self)  # type: ignore[arg-type]
        if size is None:
            answer_and_close(self, 400, "Content-Length is not a number")  # type: ignore[arg-type]
            return False
        if size > limit or (size < 0 and limit == 0):
            what = "a body" if size < 0 else f"a body of {size} bytes"
            answer_and_close(self, 413, f"{what} is more than {route} takes ({limit} bytes; before authentication "
                                        "no body is read)")  # type: ignore[arg-type]
            return False
        self.request.connection.set_max_body_size(limit)
        self._body = bytearray()
        return True

    def data_received(self, chunk: bytes) -> None:
        if self._body is not None:
            self._body += chunk

    @property
    def body(self) -> bytes:
        return bytes(self._body or b"")


@tornado.web.stream_request_body
class NotFoundHandler(BodyLimit, tornado.web.RequestHandler):
    """Any path a door does not serve: 404, without reading a body."""

    def prepare(self) -> None:
        if self.limit_body(0):
            raise tornado.web.HTTPError(404)
