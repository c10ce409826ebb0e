"""Binary websocket messages larger than the front door's message limit, from registered connections: written to
a spool file as they arrive (rpc/ws_receive.py), so that an array a client sends as one message (the published
imjoy-rpc Python client sends every ndarray's bytes as one) reaches its plugin without the gateway holding it.

Only an ndarray's bytes may come so: such a message must be the attachment of a socket.io BINARY_EVENT whose
placeholder is an `ndarray` value's `_rvalue`; anything else ends the connection. The codec then takes the spool
as a `SpooledArray` and the plugin reads it from there, as arrays uploaded over HTTP are.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from imjoy_hpc.rpc.spool import Spool

__all__ = ["array_attachment", "spool_for"]


def spool_for(uploads: Any, size: int) -> Spool | None:
    """A spool for a message of `size` bytes in the uploads' spool directory, None when none has room."""
    place = uploads.place_for(size) if uploads is not None else None
    return Spool(place) if isinstance(place, Path) else None


def array_attachment(packet: Any) -> bool:
    """Whether the next attachment of socket.io `packet` (a BINARY_EVENT waiting for its attachments) is the
    `_rvalue` of an ndarray value."""
    if packet is None:
        return False
    return len(packet.attachments) in _array_placeholders(packet.data)


def _array_placeholders(data: Any) -> set[int]:
    """The placeholder numbers that stand for a whole ndarray `_rvalue` in decoded socket.io data."""
    found: set[int] = set()
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            rvalue = value.get("_rvalue")
            if value.get("_rtype") == "ndarray" and isinstance(rvalue, dict) and rvalue.get("_placeholder") is True \
                    and isinstance(rvalue.get("num"), int):
                found.add(rvalue["num"])
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return found
