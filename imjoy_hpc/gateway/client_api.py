"""The APIs the gateway exports: to a connected client (browser page or script), and to a plugin process as `api`.

Both work on the plugin catalog and the instance manager only."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from imjoy_hpc.gateway.browse import list_directory
from imjoy_hpc.gateway.imjoy_interface import app_functions
from imjoy_hpc.gateway.renewals import stable_api
from imjoy_hpc.plugins.shim import IMJOY_APP_FUNCTIONS

if TYPE_CHECKING:
    from imjoy_hpc.gateway.instances import InstanceManager, PluginInstance
    from imjoy_hpc.transport import Connection
    from imjoy_hpc.gateway.workspaces import WorkspaceStore
    from imjoy_hpc.gateway.zarr_store import ZarrArrays
    from imjoy_hpc.plugins.catalog import Catalog

logger = logging.getLogger("imjoy_hpc.gateway")


def plugin_api_for(instance: "PluginInstance") -> dict:
    """The plugin's API as handed to a client, plus its instance id and name when the plugin does not use them."""
    api = stable_api(instance)
    api.setdefault("id", instance.id)
    api.setdefault("name", instance.spec.name)
    return api


class ClientAPI:
    """Functions of the gateway, bound to one client session; snake_case and camelCase names."""

    def __init__(self, instances: "InstanceManager", catalog: "Catalog", session: "Connection",
                 workspaces: "WorkspaceStore | None" = None, zarr: "ZarrArrays | None" = None) -> None:
        self.instances = instances
        self.catalog = catalog
        self.session = session
        self.workspaces = workspaces
        self.zarr = zarr

    async def list_plugins(self) -> list[dict]:
        """The plugin catalog: examples plus configured plugin directories."""
        return self.catalog.list()

    async def load_plugin(self, name_or_source: str, options: dict | None = None) -> dict:
        """Start a plugin (name, file or source) on its profile's cluster; returns its API once it is ready."""
        options = dict(options or {})
        interface = options.pop("interface", None)  # ImJoy's API bound to this plugin (the engine passes it)
        spec = self.catalog.load(name_or_source, options.get("tag"))
        instance = await self.instances.load(spec, self.session, options, interface=interface)
        api = plugin_api_for(instance)
        if interface:
            api["exit"] = self._exit_and_stop(instance)
        return api

    async def predict_start(self, name_or_source: str, options: dict | None = None) -> dict:
        """When the plugin would start if loaded now with these load options, asked of the scheduler before anything
        is submitted: {name, profile, predicted_start (epoch seconds or None), start_note, sooner: [{change,
        options, predicted_start}]}."""
        options = dict(options or {})
        spec = self.catalog.load(name_or_source, options.get("tag"))
        return await self.instances.predict_start(spec, options)

    def _exit_and_stop(self, instance: "PluginInstance"):
        """ImJoy unloads a plugin by calling its `exit()`: run the plugin's own exit, then stop its process."""
        async def exit() -> None:  # noqa: A001 - ImJoy's name
            own_exit = (instance.api or {}).get("exit")  # the process serving it now (renewals move it)
            try:
                if callable(own_exit):
                    await asyncio.wait_for(own_exit(), 10)
            except Exception:  # noqa: BLE001 - the plugin's own exit failing must not keep it running
                logger.info("exit() of plugin %s failed", instance.id, exc_info=True)
            finally:
                await self.instances.kill(instance, "unloaded by the ImJoy app")

        return exit

    async def get_plugin(self, name: str, options: dict | None = None) -> dict:
        """The API of a running plugin with this name or id (started for this client, shared or detached),
        else start it."""
        options = dict(options or {})
        instance = self.instances.take_over(name, self.session)
        if instance is not None:
            api = plugin_api_for(instance)
            if options.get("interface"):
                # an ImJoy app re-attaching its plugin on a new connection: its api.* calls go to the new interface
                instance.interface = options["interface"]
                api["exit"] = self._exit_and_stop(instance)
            return api
        return await self.load_plugin(name, options)

    async def plugin_source(self, name: str) -> str:
        """The ImJoy plugin file of a catalog plugin, for an ImJoy app to load (a plain .py plugin comes wrapped in
        an .imjoy.html file of type native-python)."""
        entry = next((e for e in self.catalog.list() if e["name"] == name and not e.get("error")), None)
        if entry is None:
            raise KeyError(f"no plugin {name!r} in the catalog")
        path = Path(entry["file"])
        text = path.read_text()
        if path.suffix == ".py":
            config = {"name": entry["name"], "type": "native-python", "version": entry.get("version") or "0.1.0",
                      "description": entry.get("description") or "", "tags": entry.get("tags") or [],
                      "flags": entry.get("flags") or []}
            text = (f'<config lang="json">\n{json.dumps(config)}\n</config>\n'
                    f'<script lang="python">\n{text}\n</script>\n')
        return text

    async def list_instances(self) -> list[dict]:
        """Every plugin instance of this gateway with its state (and `zarr`: the zarr URLs of its remote arrays)."""
        listed = self.instances.list()
        if self.zarr is not None:
            listed = [{**info, "zarr": self.zarr.listed(info["id"])} for info in listed]
        return listed

    async def kill_plugin(self, instance_id: str) -> dict:
        """Stop a plugin instance (its process and its slot in the job)."""
        instance = self.instances.get(instance_id)
        await self.instances.kill(instance, "killed by request")
        return instance.info()

    async def plugin_log(self, instance_id: str, lines: int = 60) -> dict:
        """What a plugin said (its api.* calls and status lines) and the tail of its process's log file."""
        instance = self.instances.get(instance_id)
        try:
            tail = instance.log_file.read_text(errors="replace").splitlines()[-int(lines):]
        except OSError:
            tail = []
        return {"id": instance.id, "messages": list(instance.logs), "log_tail": "\n".join(tail),
                "log_file": str(instance.log_file)}

    async def list_jobs(self) -> list[dict]:
        """Batch jobs (or local workers) the gateway owns."""
        return self.instances.jobs()

    async def list_files(self, path: str | None = None) -> dict:
        """A directory of the gateway's host (default: home), for a file dialog."""
        return await asyncio.to_thread(list_directory, path)

    # Workspaces the gateway remembers (plugins, their sources and form values): see gateway/workspaces.py.
    def _store(self) -> "WorkspaceStore":
        if self.workspaces is None:
            raise RuntimeError("this gateway keeps no workspaces")
        return self.workspaces

    async def list_workspaces(self) -> list[dict]:
        """The user's workspaces: name, number of plugins, when saved."""
        return await asyncio.to_thread(self._store().list)

    async def get_workspace(self, name: str = "default") -> dict:
        """A workspace's plugins (source, origin, version, config, form values) and settings."""
        return await asyncio.to_thread(self._store().get, name)

    async def save_workspace(self, name: str, data: dict) -> dict:
        """Replace a workspace with `data` ({"plugins": [...], "settings": {...}})."""
        return await asyncio.to_thread(self._store().save, name, data)

    async def rename_workspace(self, old: str, new: str) -> dict:
        return await asyncio.to_thread(self._store().rename, old, new)

    async def delete_workspace(self, name: str) -> bool:
        return await asyncio.to_thread(self._store().delete, name)

    async def export_workspace(self, name: str) -> str:
        """A workspace as the text of a file to keep or hand on."""
        return await asyncio.to_thread(self._store().export, name)

    async def import_workspace(self, text: str, name: str | None = None) -> dict:
        """Store a workspace from an exported file's text (under `name`, or the name it carries)."""
        return await asyncio.to_thread(self._store().import_, text, name)

    def log(self, *message: Any) -> None:
        logger.info("[%s] %s", self.session.name, " ".join(map(str, message)))

    def error(self, *message: Any) -> None:
        logger.warning("[%s] %s", self.session.name, " ".join(map(str, message)))

    info = log

    def exported(self) -> dict:
        names = {
            "list_plugins": self.list_plugins, "load_plugin": self.load_plugin, "get_plugin": self.get_plugin,
            "list_instances": self.list_instances, "kill_plugin": self.kill_plugin, "list_jobs": self.list_jobs,
            "plugin_source": self.plugin_source, "plugin_log": self.plugin_log, "list_files": self.list_files,
            "list_workspaces": self.list_workspaces, "get_workspace": self.get_workspace,
            "save_workspace": self.save_workspace, "rename_workspace": self.rename_workspace,
            "delete_workspace": self.delete_workspace, "export_workspace": self.export_workspace,
            "import_workspace": self.import_workspace, "predict_start": self.predict_start,
        }
        api: dict[str, Any] = {"log": self.log, "info": self.info, "error": self.error}
        for snake, fn in names.items():
            head, *rest = snake.split("_")
            api[snake] = fn
            api[head + "".join(w.capitalize() for w in rest)] = fn
        return api


class PluginHostAPI:
    """The API a plugin process receives as `api`: UI calls go to the client that launched the plugin."""

    FORWARDED = ("showMessage", "showProgress", "showStatus", "alert", "showSnackbar")
    # Calls that need the client's answer: without a client that serves them they fail, never return None.
    ASKED = ("confirm", "prompt")

    def __init__(self, instances: "InstanceManager", catalog: "Catalog", instance: "PluginInstance",
                 zarr: "ZarrArrays | None" = None) -> None:
        self.instances = instances
        self.catalog = catalog
        self.instance = instance
        self.zarr = zarr

    async def _forward(self, name: str, args: tuple, kwargs: dict, required: bool) -> Any:
        self.instance.logs.append(f"{name}: {' '.join(map(str, args))}")
        fn = self.instance.owner_function(name)
        if fn is not None:
            return await fn(*args, **kwargs)
        if required:
            raise RuntimeError(f"api.{name} needs a client that answers it, and the client of plugin "
                               f"{self.instance.spec.name!r} does not provide {name}() (or has gone)")
        logger.info("[%s] %s %s", self.instance.spec.name, name, " ".join(map(str, args)))
        return None

    def exported(self) -> dict:
        api: dict[str, Any] = {}
        for name in self.FORWARDED + ("log", "error"):
            api[name] = self._forwarder(name, required=False)
        for name in self.ASKED:
            api[name] = self._forwarder(name, required=True)
        api["info"] = api["log"]
        api["getPlugin"] = api["get_plugin"] = self.get_plugin
        # Started by an ImJoy app (through the engine): every ImJoy API function goes to the app itself.
        served = app_functions(self.instance.interface)
        for name in served:
            api[name] = self._app_forwarder(name)
        if self.instance.interface:
            for name in set(IMJOY_APP_FUNCTIONS) - set(served):
                api[name] = self._not_in_app(name)
        api["startupFailed"] = self.startup_failed
        if self.zarr is not None:
            api["zarrUrl"] = api["zarr_url"] = self.zarr_url
        return api

    async def zarr_url(self, array: dict) -> str:
        """`api.zarr_url(remote_array(x))`: the URL of the array as a zarr store (gateway/zarr_store.py), bound to
        the session of the plugin's client."""
        owner = self.instance.owner
        if owner is None or self.zarr is None:
            raise RuntimeError(f"plugin {self.instance.spec.name!r} has no client session for a zarr URL to live in")
        offered = self.zarr.offer(array, owner.session_id)
        if not offered.get("zarr_url"):
            raise ValueError(offered.get("zarr_note") or "api.zarr_url takes a remote array: remote_array(x)")
        return offered["zarr_url"]

    def _not_in_app(self, name: str):
        async def missing(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError(f"api.{name} is not available: the ImJoy app that started plugin "
                               f"{self.instance.spec.name!r} does not provide it")

        missing.__name__ = name
        return missing

    def _app_forwarder(self, name: str):
        async def forward(*args: Any, **kwargs: Any) -> Any:
            self.instance.logs.append(f"{name}: {' '.join(map(_short, args))}")
            # looked up at each call: an app that re-attached the plugin hands over a new interface
            fn = app_functions(self.instance.interface).get(name)
            if fn is None:
                raise RuntimeError(f"api.{name} is not available: the ImJoy app that started plugin "
                                   f"{self.instance.spec.name!r} does not provide it (any more)")
            # ImJoy's functions take one config object: keyword arguments (api.createWindow(type=..., data=...))
            # become that object, as the JS side of imjoy-rpc hands them to ImJoy.
            return await fn(*args, kwargs) if kwargs else await fn(*args)

        forward.__name__ = name
        return forward

    def _forwarder(self, name: str, required: bool):
        async def forward(*args: Any, **kwargs: Any) -> Any:
            return await self._forward(name, args, kwargs, required)

        forward.__name__ = name
        return forward

    async def get_plugin(self, name: str) -> dict:
        """Another plugin, started for the same client."""
        owner = self.instance.owner
        if owner is None:
            raise RuntimeError("this plugin has no client to start other plugins for")
        return await ClientAPI(self.instances, self.catalog, owner).get_plugin(name)

    def startup_failed(self, text: str) -> None:
        self.instances.startup_failed(self.instance, str(text))


def _short(value: Any, limit: int = 120) -> str:
    """An argument as a log line shows it (arrays and long configs cut)."""
    text = str(value)
    return text if len(text) <= limit else text[:limit] + "..."
