"""Wrappers that run a plugin's long-lived function on a worker without holding one of its threads."""

from __future__ import annotations

import os
from typing import Any, Callable

STARTED_TOPIC = "imjoy-hpc-task-started"


def _announce() -> None:
    """Tell the scheduler this task really runs now (a task the scheduler placed may still wait for a slot);
    export the cluster's TLS client settings so processes the plugin starts can reach the scheduler."""
    from distributed import get_worker

    worker = get_worker()
    _export_client_security(worker)
    worker.log_event(STARTED_TOPIC, {"key": str(worker.get_current_task()), "worker": worker.address})


def _export_client_security(worker) -> None:
    sec = getattr(worker, "security", None)
    ca, cert, key = (getattr(sec, a, None) for a in ("tls_ca_file", "tls_worker_cert", "tls_worker_key"))
    if not (ca and cert and key) or any("\n" in v for v in (ca, cert, key)):
        return  # no TLS, or credentials held in memory only
    os.environ.update({
        "DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION": "True",
        "DASK_DISTRIBUTED__COMM__TLS__CA_FILE": ca,
        "DASK_DISTRIBUTED__COMM__TLS__CLIENT__CERT": cert,
        "DASK_DISTRIBUTED__COMM__TLS__CLIENT__KEY": key,
    })


def run_long(fn: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
    """Run `fn(*args, **kwargs)` after leaving the worker's thread pool (the plugin slot stays taken)."""
    from distributed import secede

    _announce()
    secede()
    return fn(*args, **kwargs)


async def run_long_async(fn: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
    """Await a coroutine function on the worker's event loop."""
    _announce()
    return await fn(*args, **kwargs)
