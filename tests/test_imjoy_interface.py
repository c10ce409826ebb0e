"""A plugin started with ImJoy's interface (as the engine passes it in `load_plugin` options): its `api.*` calls
are served by that interface, and `exit()` (ImJoy unloading it) stops its process.

The interface provider is the real imjoy-rpc Python client standing in for the ImJoy app."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
from gateway_support import connect, disconnect, start_gateway

pytestmark = pytest.mark.timeout(240)

PLUGIN = '''
<config lang="json">
{"name": "Window Driver", "type": "native-python", "version": "0.1.0"}
</config>
<script lang="python">
import numpy as np
from imjoy import api

class Plugin:
    async def setup(self):
        await api.log("driver ready")

    async def run(self, ctx):
        image = np.arange(24, dtype=np.uint16).reshape(2, 3, 4)
        window = await api.createWindow(type="viewer", name="w1", data={"image": image})
        total = await window.total()
        again = await (await api.createWindow({"type": "viewer", "data": {"image": image[0]}})).total()
        answer = await api.showDialog(type="form", title="Pick", fields=["a"])
        echo = await (await api.getPlugin("JS Echo")).echo("hi")
        name = await api.prompt("Your name?", "nobody")
        try:
            await api.alert("fail please")
            failure = None
        except Exception as exc:
            failure = str(exc)
        return {"total": total, "again": again, "answer": answer, "echo": echo, "name": name, "failure": failure}

    async def file_dialog(self):
        return await api.showFileDialog(type="file")

    def sync_window(self):
        return api.createWindow(type="viewer", data={"image": np.ones((2, 2), "float32")}).result().total().result()

api.export(Plugin())
</script>
'''


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    gw = start_gateway(tmp_path_factory.mktemp("imjoy-interface"))
    yield gw
    assert gw.stop() == 0, gw.log()[-3000:]


class FakeImJoy:
    """What an ImJoy app serves to a plugin: windows that compute on their data, dialogs, other plugins."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []

    def interface(self) -> dict:
        async def create_window(config):
            self.calls.append(("createWindow", config))
            image = config["data"]["image"]
            return {"_rintf": True, "total": lambda: float(np.asarray(image).sum()), "shape": list(image.shape)}

        async def show_dialog(config):
            self.calls.append(("showDialog", config))
            return {"picked": config["title"], "fields": config["fields"]}

        async def get_plugin(name):
            self.calls.append(("getPlugin", name))
            return {"_rintf": True, "echo": lambda text: f"{name} says {text}"}

        async def prompt(text, default=None):
            self.calls.append(("prompt", text))
            return "Ada"

        async def alert(text):
            raise RuntimeError(f"the app refused: {text}")

        async def log(*text):
            self.calls.append(("log", text))

        return {"_rintf": True, "createWindow": create_window, "showDialog": show_dialog, "getPlugin": get_plugin,
                "prompt": prompt, "alert": alert, "log": log}


async def test_api_calls_go_to_the_interface(gateway):
    app = FakeImJoy()
    server = await connect(gateway)
    try:
        plugin = await server.load_plugin(PLUGIN, {"interface": app.interface()})
        result = await plugin.run({"config": {}})
        assert result["total"] == float(np.arange(24).sum())
        assert result["again"] == float(np.arange(12).sum())
        assert result["answer"] == {"picked": "Pick", "fields": ["a"]}
        assert result["echo"] == "JS Echo says hi"
        assert result["name"] == "Ada"
        assert "the app refused: fail please" in result["failure"]
        assert await plugin.sync_window() == 4.0
        windows = [config for name, config in app.calls if name == "createWindow"]
        image = windows[0]["data"]["image"]
        assert isinstance(image, np.ndarray) and image.dtype == np.uint16 and image.shape == (2, 3, 4)
        assert windows[0]["type"] == "viewer" and windows[0]["name"] == "w1"
        assert ("log", ("driver ready",)) in app.calls
        with pytest.raises(Exception, match="the ImJoy app that started plugin 'Window Driver' does not provide it"):
            await plugin.file_dialog()
    finally:
        await disconnect(server)


async def test_exit_from_the_app_stops_the_plugin(gateway):
    server = await connect(gateway)
    try:
        plugin = await server.load_plugin(PLUGIN, {"interface": FakeImJoy().interface()})
        instance_id = plugin["id"]
        await plugin.exit()
        info = {i["id"]: i for i in await server.list_instances()}[instance_id]
        assert info["state"] == "stopped" and "unloaded by the ImJoy app" in info["ended_reason"]
    finally:
        await disconnect(server)


async def test_without_an_interface_app_functions_fail_naming_them(gateway):
    server = await connect(gateway)
    try:
        plugin = await server.load_plugin(PLUGIN)
        with pytest.raises(Exception, match="createWindow is not available"):
            await plugin.run({"config": {}})
    finally:
        await disconnect(server)
