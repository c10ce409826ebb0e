"""A Dask preload that closes the HTTP server Dask starts in every scheduler and worker: imjoy-hpc serves no Dask
routes (DASK_SETTINGS empties them), and a server without routes still reads whole request bodies from anyone
who connects (a neighbour's 100 MiB bodies held back by a byte: gigabytes in the gateway). Dask has no setting to
not start it, so it is stopped as the scheduler or worker starts (`distributed.*.preload`)."""

from __future__ import annotations

from typing import Any


def dask_setup(server: Any) -> None:
    """Stop listening on the scheduler's or worker's HTTP port (requests already open are not served: no routes)."""
    http_server = getattr(server, "http_server", None)
    if http_server is not None:
        http_server.stop()
