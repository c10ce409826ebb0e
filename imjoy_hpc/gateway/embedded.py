"""The gateway without its front door, for headless runs (`imjoy-hpc run`): plugins start exactly as for a
browser, and their UI calls (showProgress, log...) go to handlers given by the caller."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable

from imjoy_hpc.gateway.app import Gateway
from imjoy_hpc.gateway.auth import new_token
from imjoy_hpc.gateway.instances import PluginInstance
from imjoy_hpc.plugins.parser import PluginSpec
from imjoy_hpc.settings import Settings


class HeadlessClient:
    """Stands in for a browser session: `handlers` maps api names (showProgress, showStatus, showMessage, log,
    error, alert, onPluginStatus) to async functions."""

    def __init__(self, name: str, handlers: dict[str, Callable[..., Awaitable[Any]]]) -> None:
        self.name = name
        self.handlers = dict(handlers)

    def function(self, name: str) -> Callable[..., Awaitable[Any]] | None:
        """The handler of api.<name>, as door.Connection.function answers for a browser's exports."""
        fn = self.handlers.get(name)
        return fn if callable(fn) else None


@contextlib.asynccontextmanager
async def embedded_gateway(settings: "Settings | dict", state_dir: Path) -> AsyncIterator[Gateway]:
    """A started gateway with only its plugin door open; stopped (plugins, jobs) on exit."""
    gateway = Gateway(settings, token=new_token(), state_dir=state_dir, relay_arrays=False)
    try:
        await gateway.start(front=False)
        yield gateway
    finally:
        await gateway.stop()


async def load_headless(gateway: Gateway, spec: PluginSpec, client: HeadlessClient,
                        options: dict | None = None) -> PluginInstance:
    """Start a plugin for a headless client; returns the instance once its API is ready (`instance.api`)."""
    return await gateway.instances.load(spec, client, options)  # type: ignore[arg-type]
