"""How large the chunks of an array may be for one receiver, from what it said when it registered.

* the imjoy-rpc Python client (aiohttp) refuses websocket messages of 4 MiB or more and joins chunks with
  repeated `+` (quadratic): chunks just under its limit, as few as possible;
* browsers (the imjoy-rpc JS client, `lang: "javascript"`) take any size and join chunks linearly: 2 MiB, which
  measured as fast as 8 MiB or faster in headless Chromium here (the sender reads and writes one chunk at a time,
  so smaller chunks overlap reading the spool, the socket and the receiver better);
* a client that states `chunk_bytes` in its registration (imjoy-hpc's own asks for 2 MiB) gets that, within
  bounds.
"""

from __future__ import annotations

from typing import Any

MiB = 2**20
BROWSER_CHUNK_BYTES = 2 * MiB
MIN_CHUNK_BYTES = 64 * 1024
MAX_CHUNK_BYTES = 64 * MiB


def receiver_chunk_bytes(config: dict[str, Any], default: int) -> int:
    """The chunk size for arrays sent to the client that registered with `config` (`default`: unknown clients)."""
    wanted = config.get("chunk_bytes")
    if isinstance(wanted, int) and not isinstance(wanted, bool) and wanted > 0:
        return max(MIN_CHUNK_BYTES, min(wanted, MAX_CHUNK_BYTES))
    if config.get("lang") == "javascript":
        return BROWSER_CHUNK_BYTES
    return default
