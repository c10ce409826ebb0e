"""The `imjoy` module that existing ImJoy Python plugins import (`from imjoy import api`)."""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import types
from typing import Any

from imjoy_hpc.rpc import DotDict, RPCPeer

from .legacy_api import Ops, camel_case, kill_process_tree, resolved as _completed, thenable, thenable_function


class PluginApi:
    """What `api` is inside a plugin: local helpers plus the gateway's host API (log, showMessage, ...)."""

    def __init__(self, peer: RPCPeer, remote: DotDict, config: dict, tag: str | None, *,
                 attachments: dict[str, str] | None = None, engine_url: str | None = None) -> None:
        self._peer = peer
        self._remote = remote
        self._thread = threading.get_ident()
        self._store: dict[str, Any] = {}
        # api.X's wrappers, one per name while the function behind it stays the same (`api.log is api.log`)
        self._wrappers: dict[str, tuple[Any, Any]] = {}
        self._wrappers_lock = threading.Lock()
        self._attachments = dict(attachments or {})
        # What legacy plugins read on `api` (the ImJoy app and the old engine set these).
        self.TAG = tag
        self.WORKSPACE = "default"
        self.ENGINE_URL = engine_url
        self.WORK_DIR = os.getcwd()
        self.utils = DotDict(kill=kill_process_tree)
        self.config = DotDict({k: v for k, v in config.items() if not k.startswith("_")})
        self.exported = asyncio.Event()
        self._builtin = {"_name": config.get("name"), "_version": config.get("version"), "_id": config.get("_id"),
                         "_tag": tag, "_type": config.get("type")}
        self.ops = Ops(config.get("name"))

    def export(self, api: Any, config: dict | None = None) -> Any:
        """Publish the plugin's API to the gateway (`api.export(ImJoyPlugin())`); its `run` takes ImJoy's ctx
        (with `_op`, and registered ops dispatched to their own `run`)."""
        api = self._with_ops(api)
        if threading.get_ident() != self._thread:
            return asyncio.run_coroutine_threadsafe(self._export(api), self._peer.loop)
        self.exported.set()
        return self._peer.set_interface(api)

    async def _export(self, api: Any) -> None:
        self.exported.set()
        await self._peer.set_interface(api)

    def _with_ops(self, api: Any) -> Any:
        members = dict(api) if isinstance(api, dict) else {
            name: getattr(api, name) for name in dir(api) if not name.startswith("_")}
        if not callable(members.get("run")):
            return api
        members["run"] = self.ops.wrap_run(members["run"], self._peer.loop)
        return members

    def register(self, config: Any) -> Any:
        """Register an op (ImJoy's `api.register`): recorded here, so `run` gets `ctx._op`, and passed on to the
        ImJoy app when one is attached."""
        name = self.ops.register(config)
        app = self._app_function("register")
        return thenable(app(config)) if app is not None else _completed(name, self._peer.loop, self._thread)

    def unregister(self, config: Any) -> Any:
        self.ops.unregister(config)
        app = self._app_function("unregister")
        return thenable(app(config)) if app is not None else _completed(None, self._peer.loop, self._thread)

    def _app_function(self, name: str) -> Any:
        remote = self.__dict__.get("_remote") or {}
        return remote[name] if name in remote and callable(remote[name]) else None

    def getConfig(self, key: str | None = None) -> Any:  # noqa: N802 - ImJoy's name
        """A config value: `_name`, `_version`, `_tag`..., or one stored with setConfig."""
        if key is None:
            value = {**self._builtin, **self._store}
        else:
            value = self._builtin[key] if key in self._builtin else self._store.get(key)
        return _completed(value, self._peer.loop, self._thread)

    def setConfig(self, key: str, value: Any) -> Any:  # noqa: N802
        if key.startswith("_"):
            raise ValueError(f"config key {key!r} is read-only")
        self._store[key] = value
        return _completed(None, self._peer.loop, self._thread)

    def getAttachment(self, name: str) -> Any:  # noqa: N802
        """The text of the plugin file's `<attachment name="...">` block."""
        if name not in self._attachments:
            known = ", ".join(map(repr, self._attachments)) or "none"
            raise KeyError(f"the plugin has no <attachment name={name!r}> (attachments: {known})")
        return _completed(self._attachments[name], self._peer.loop, self._thread)

    def registerCodec(self, config: dict) -> None:  # noqa: N802
        self._peer.codec.codecs.register(config)

    def disposeObject(self, obj: Any) -> Any:  # noqa: N802
        return self._peer.dispose_object(obj)

    register_codec = registerCodec
    dispose_object = disposeObject
    get_config = getConfig
    set_config = setConfig
    get_attachment = getAttachment

    def __getattr__(self, name: str) -> Any:
        remote = self.__dict__.get("_remote") or {}
        for candidate in dict.fromkeys((name, camel_case(name))):  # api.show_status is api.showStatus
            if candidate in remote and callable(remote[candidate]):
                return self._wrapper(candidate, remote[candidate], thenable_function)
            if candidate in IMJOY_APP_FUNCTIONS:
                return self._wrapper(candidate, None, lambda _: unserved(candidate))
        raise AttributeError(f"api.{name} is not available to plugins run by imjoy-hpc")

    def _wrapper(self, name: str, target: Any, make: Any) -> Any:
        """The wrapper of `target` for `api.<name>`, made once and reused while `target` is what serves the name
        (an ImJoy app attaching later replaces the host's functions: then a new one is made)."""
        wrappers = self.__dict__.get("_wrappers")
        lock = self.__dict__.get("_wrappers_lock")
        if wrappers is None or lock is None:
            return make(target)
        with lock:
            cached = wrappers.get(name)
            if cached is None or cached[0] is not target:
                cached = wrappers[name] = (target, make(target))
            return cached[1]


# ImJoy app functions a plugin may call that this gateway does not serve: calling one fails naming it.
IMJOY_APP_FUNCTIONS = ("createWindow", "showDialog", "showFileDialog", "getWindow", "getFileManager",
                       "showFileManager", "exportFile", "installPlugin", "uninstallPlugin", "registerService",
                       "getServices", "getEngine", "getEngineFactory", "run", "call",
                       "onClose", "progress")


def unserved(name: str):
    """A stand-in for an ImJoy app function imjoy-hpc cannot serve: fails naming it, whatever its arguments."""
    def unserved_function(*args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"api.{name} is not available: it needs the ImJoy web app's windows and "
                                  "dialogs, which the imjoy-hpc gateway does not provide")

    unserved_function.__name__ = name
    return unserved_function


def install(api: PluginApi) -> types.ModuleType:
    """Make `import imjoy` / `from imjoy import api` give this api."""
    module = types.ModuleType("imjoy", "ImJoy plugin API provided by imjoy-hpc")
    module.api = api
    sys.modules["imjoy"] = module
    return module
