"""Scheduler backends, one module each: everything imjoy-hpc knows about a scheduler, for the gateway's Dask
clusters and for batch runs alike (cluster class, job script header, submit, query, cancel, list).

The registry below is the list of backends: adding a scheduler is one module plus one line here. Modules are
imported on first use, so naming the backends costs no import.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from imjoy_hpc.backends.base import Backend

# backend name (as written in profiles) -> "module:class"
BACKENDS: dict[str, str] = {
    "local": "imjoy_hpc.backends.local:LocalBackend",
    "pbs": "imjoy_hpc.backends.pbs:PBSBackend",
    "sge": "imjoy_hpc.backends.sge:SGEBackend",
    "slurm": "imjoy_hpc.backends.slurm:SlurmBackend",
}


def backend_names() -> list[str]:
    """Names of the backends, sorted."""
    return sorted(BACKENDS)


def backend_class(name: str) -> type[Backend]:
    """The backend class for `backend: <name>` (ValueError naming the known ones otherwise)."""
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r} (known: {', '.join(backend_names())})")
    module, _, attr = BACKENDS[name].partition(":")
    return getattr(importlib.import_module(module), attr)
