"""Wrappers that run a plugin's long-lived function on a worker without holding one of its threads, and the link
such a function keeps with the gateway while it runs (progress events out, "abandoned" in)."""

from __future__ import annotations

import os
import threading
from typing import Any, Callable

STARTED_TOPIC = "imjoy-hpc-task-started"
PROGRESS_TOPIC = "imjoy-hpc-task-progress"
_ABANDONED_STATES = ("cancelled", "released", "forgotten", "error", "memory")
_current = threading.local()


class TaskLink:
    """The running task as seen from inside: `emit` events to the gateway's cluster manager, and learn whether the
    gateway has abandoned the task (cancelled, or the worker is closing). Outside Dask it does nothing."""

    def __init__(self, worker: Any = None, key: Any = None) -> None:
        self.worker, self.key = worker, key

    def emit(self, kind: str, **fields: Any) -> None:
        if self.worker is not None:
            self.worker.log_event(PROGRESS_TOPIC, {"key": str(self.key), "type": kind, **fields})

    def abandoned(self) -> bool:
        if self.worker is None:
            return False
        ts = self.worker.state.tasks.get(self.key)
        status = getattr(self.worker.status, "name", str(self.worker.status))
        return ts is None or ts.state in _ABANDONED_STATES or status in ("closing", "closed", "failed")


def current_link() -> TaskLink:
    """The link of the task running in this thread (a do-nothing link outside a Dask task)."""
    return getattr(_current, "link", None) or TaskLink()


def _announce() -> None:
    """Tell the scheduler this task really runs now (a task the scheduler placed may still wait for a slot);
    export the cluster's TLS client settings so processes the plugin starts can reach the scheduler."""
    from distributed import get_worker

    worker = get_worker()
    _export_client_security(worker)
    key = worker.get_current_task()
    _current.link = TaskLink(worker, key)
    worker.log_event(STARTED_TOPIC, {"key": str(key), "worker": worker.address})


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
    try:
        return fn(*args, **kwargs)
    finally:
        _current.link = None


async def run_long_async(fn: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
    """Await a coroutine function on the worker's event loop."""
    _announce()
    return await fn(*args, **kwargs)


async def take_no_new_plugins(dask_worker: Any) -> None:
    """On a worker whose job reaches its walltime soon: it offers no plugin slot any more, so that no new plugin (a
    renewal's replacement above all) starts there; the plugins it runs keep theirs. (Dask's scheduler places by the
    slots a worker offers; it forgets what is in use when they change, so they go to 0, not to those in use.)"""
    from imjoy_hpc.backends.base import SLOT_RESOURCE

    await dask_worker.set_resources(**{SLOT_RESOURCE: 0})
