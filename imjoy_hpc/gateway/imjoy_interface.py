"""ImJoy's API bound to one plugin (the `interface` an ImJoy app hands an engine's `startPlugin`): which of its
functions a Python plugin's `api.*` reaches."""

from __future__ import annotations

from typing import Any, Callable

# Served inside the plugin process or by the gateway itself, whatever the app offers.
LOCAL = frozenset({"export", "dispose", "getConfig", "setConfig", "getAttachment", "registerCodec",
                   "disposeObject", "startupFailed", "_rintf"})


def app_functions(interface: Any) -> dict[str, Callable[..., Any]]:
    """The interface's top-level functions a plugin may call, by name (empty without an interface)."""
    if not isinstance(interface, dict):
        return {}
    return {name: fn for name, fn in interface.items()
            if isinstance(name, str) and not name.startswith("_") and name not in LOCAL and callable(fn)}
