"""The plugin process's side of large-array streaming: `PUT <door>/array/<id>` with the array's own memory as body.

The bytes go from the numpy buffer straight to the socket (`loop.sock_sendall` on a memoryview: no copy in this
process), TCP's window paces them, and the gateway writes them to a spool file as they come (transport/uploads.py).
One short-lived connection per array (arrays this large make its setup cost nothing).
"""

from __future__ import annotations

import asyncio
import json
import socket
from urllib.parse import urlsplit

from imjoy_hpc.rpc.errors import RPCError

RESPONSE_LIMIT = 64 * 1024


class UploadError(RPCError):
    """An array could not be streamed to the gateway; the message says why."""


class ArrayUploader:
    """Streams arrays to one gateway door, authenticated with the session's upload key."""

    def __init__(self, door_url: str, path: str, key: str) -> None:
        parts = urlsplit(door_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.path = parts.path.rstrip("/") + path
        self._key = key

    async def upload(self, stream_id: str, data: memoryview) -> None:
        """Send `data` as the bytes of `stream_id`; raises UploadError unless the gateway stored all of it."""
        loop = asyncio.get_running_loop()
        head = (f"PUT {self.path}{stream_id} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                f"Authorization: Bearer {self._key}\r\nContent-Type: application/octet-stream\r\n"
                f"Content-Length: {data.nbytes}\r\nConnection: close\r\n\r\n").encode()
        try:
            infos = await loop.getaddrinfo(self.host, self.port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise UploadError(f"cannot reach the gateway at {self.host}:{self.port}: {exc}") from None
        family, kind, proto, _, address = infos[0]
        sock = socket.socket(family, kind, proto)
        sock.setblocking(False)
        try:
            try:
                await loop.sock_connect(sock, address)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                await loop.sock_sendall(sock, head)
                await loop.sock_sendall(sock, data)
                sent_error: OSError | None = None
            except OSError as exc:  # the gateway may have answered (refused) before reading the body
                sent_error = exc
            status, detail = await self._response(loop, sock)
        finally:
            sock.close()
        if status == 200:
            if sent_error is None:
                return
            detail = str(sent_error)
        if status is None:
            raise UploadError(f"the gateway closed the connection during an array upload"
                              f"{f' ({sent_error})' if sent_error else ''}")
        raise UploadError(f"the gateway refused an array of {data.nbytes} bytes: {detail}")

    @staticmethod
    async def _response(loop: asyncio.AbstractEventLoop, sock: socket.socket) -> tuple[int | None, str]:
        """The status and detail of the gateway's answer (None when there is none)."""
        received = b""
        try:
            while len(received) < RESPONSE_LIMIT:
                piece = await loop.sock_recv(sock, 65536)
                if not piece:
                    break
                received += piece
        except OSError:
            pass
        head, _, body = received.partition(b"\r\n\r\n")
        try:
            status = int(head.split(b" ", 2)[1])
        except (IndexError, ValueError):
            return None, ""
        try:
            detail = str(json.loads(body).get("detail") or "")
        except (ValueError, AttributeError):
            detail = body.decode(errors="replace")[:500]
        return status, detail or f"HTTP {status}"
