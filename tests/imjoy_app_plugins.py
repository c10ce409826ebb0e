"""Plugins in the published ImJoy style for the workspace's ImJoy-app tests (tests/test_workspace_imjoy.py): a ui
form with every field type, ops registered with api.register (run with ctx._op) and a two-step workflow over
result windows, a plugin that shows ImJoy's built-in window types and SchemaIO, and a plain .py plugin."""

import json


def imjoy_file(config: dict, script: str, lang: str = "python") -> str:
    """An .imjoy.html file with this config and script."""
    fields = {"version": "0.1.0", "api_version": "0.1.8", "tags": [], "ui": "", "description": config["name"],
              "requirements": [], "dependencies": [], "flags": [], **config}
    return (f'<config lang="json">\n{json.dumps(fields)}\n</config>\n'
            f'<script lang="{lang}">\n{script.strip()}\n</script>\n')


def png_data_url(rows: list[list[tuple[int, int, int]]]) -> str:
    """A data URL of an RGB PNG with these pixels."""
    import base64
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    raw = b"".join(b"\x00" + bytes(v for px in row for v in px) for row in rows)
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", len(rows[0]), len(rows), 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    return "data:image/png;base64," + base64.b64encode(png).decode()


PNG_2x1 = png_data_url([[(255, 0, 0), (0, 0, 255)]])  # red, then blue


FORM_UI = ("Points: {id: 'n_points', type: 'number', min: 1, max: 100, placeholder: 20}<br>"
           "Scale: {id: 'scale', type: 'number'}<br>"
           "Clamped: {id: 'clamped', type: 'number', min: 0, max: 1, placeholder: 5}<br>"
           "Label: {id: 'label', type: 'string', placeholder: 'cells'}<br>"
           "Mode: {id: 'mode', type: 'choose', options: ['fast', 'slow', 'exact'], placeholder: 'slow'}<br>"
           "Level: {id: 'level', type: 'select', options: [{label: 'low', value: 1}, {label: 'high', value: 2}]}<br>"
           "Tint: {id: 'tint', type: 'color', placeholder: '#ff8000'}<br>"
           "Invert: {id: 'invert', type: 'boolean', placeholder: true}")

# Published plugins divide by their config without checking it (5.0/my.config.n_points): a placeholder is a
# default. Ops registered with api.register run with ctx._op; "Total" takes the active window's data (its inputs).
OPS_PLUGIN = imjoy_file({"name": "Op Maker", "type": "native-python", "ui": FORM_UI}, """
from imjoy import api


class ImJoyPlugin:
    async def setup(self):
        await api.register({"name": "Make Numbers", "ui": "Count: {id: 'count', type: 'number', placeholder: 4}",
                            "run": self.make})
        await api.register({"name": "Total", "ui": "Factor: {id: 'factor', type: 'number', placeholder: 10}",
                            "inputs": {"values": {"type": "array"}}, "run": self.total})
        await api.register({"name": "Broken", "run": self.broken})

    async def run(self, my):
        step = 5.0 / my.config.n_points
        return {"config": dict(my.config), "op": my._op, "step": step}

    async def make(self, my):
        n = int(my.config.count)
        return {"name": "numbers", "type": "imjoy/generic",
                "data": {"values": list(range(1, n + 1)), "op": my._op}}

    async def broken(self, my):
        raise ValueError("the threshold must be positive")

    async def total(self, my):
        values = my.data["values"]
        return {"name": "total", "type": "imjoy/generic",
                "data": {"total": sum(values) * my.config.factor, "op": my._op, "source": my.data["op"]}}


api.export(ImJoyPlugin())
""")

WINDOWS_PLUGIN = imjoy_file({"name": "Window Shower", "type": "native-python",
                             "dependencies": ["oeway/ImJoy-Plugins:SchemaIO"]}, """
from imjoy import api

PNG = "PNG_2x1"


class ImJoyPlugin:
    async def setup(self):
        pass

    async def run(self, ctx):
        made = {}
        for type_, data in [
            ("imjoy/generic", {"cells": 42, "tags": ["a", "b"], "meta": {"unit": "um"}}),
            ("imjoy/image", {"src": PNG}),
            ("imjoy/image-list", {"images": [PNG, PNG]}),
            ("imjoy/image-compare", {"first": PNG, "second": PNG, "offset": 30}),
            ("imjoy/markdown", {"source": "# Results\\n\\n* **bold** item\\n\\n<img src=x onerror=alert(1)>"}),
            ("imjoy/log", {"log_history": [{"type": "info", "value": "started"}, {"type": "error", "value": "boom"}]}),
            ("imjoy/files", [{"name": "a.tif", "size": 10}, {"name": "b.tif", "size": 20}]),
            ("imjoy/url_list", [{"url": "http://127.0.0.1:9/doc", "text": "the docs"}, "http://127.0.0.1:9/x"]),
        ]:
            made[type_] = await api.createWindow({"type": type_, "name": type_, "data": data})
        await api.createWindow({"type": "imjoy/panel", "name": "imjoy/panel",
                                "config": {"ui": "Size: {id: 'size', type: 'number', placeholder: 7}"}})
        await made["imjoy/generic"].run({"data": {"cells": 43}})
        # a window type the ImJoy app fetches from its repository, served by a built-in equivalent
        await api.createWindow({"type": "Image Viewer", "name": "Image Viewer", "data": {"src": PNG}})
        try:
            await api.createWindow({"type": "Some Viewer", "name": "unknown type"})
            missing = "shown"
        except Exception as e:
            missing = str(e)
        # a dialog with a ui answers with its values (placeholders as defaults)
        quick = await api.showDialog({"name": "Quick form",
                                      "ui": "Sigma: {id: 'sigma', type: 'number', placeholder: 1.5}"})
        # SchemaIO, as in the ImJoy docs: a dialog, then form_schema_input with a callback
        schemaio = await api.showDialog({"name": "Settings", "type": "SchemaIO"})
        got = {}

        async def callback(results):
            got.update(results)

        await schemaio.form_schema_input({
            "title": "Input settings",
            "schema": {"fields": [
                {"type": "select", "label": "Species", "model": "species", "values": ["all", "Homo_sapiens"]},
                {"type": "input", "inputType": "text", "label": "Sequence", "model": "dna"},
                {"type": "input", "inputType": "number", "label": "Length", "model": "length"},
                {"type": "checkbox", "label": "Reverse", "model": "reverse"},
            ]},
            "model": {"dna": "GGAG", "species": "all", "length": 101, "reverse": False},
            "callback": callback, "id": 0, "_rintf": True,
        })
        # a JSON schema form: get_data() answers with what was submitted
        form = await api.showDialog({"type": "SchemaIO", "name": "JSON form", "data": {"schema": {
            "type": "object", "properties": {"name": {"type": "string", "title": "Name"},
                                             "age": {"type": "integer", "title": "Age", "default": 3}}}}})
        values = await form.get_data()
        await schemaio.close()
        await form.close()
        return {"callback": got, "values": values, "missing": missing, "quick": quick}


api.export(ImJoyPlugin())
""".replace("PNG_2x1", PNG_2x1))

PLAIN_PY = '''
from imjoy import api

IMJOY_CONFIG = {"name": "Pasted Py"}


class ImJoyPlugin:
    async def setup(self):
        await api.log("pasted plugin ready")

    async def run(self, ctx):
        await api.showMessage("hello from a pasted .py")
        return {"pasted": True}


api.export(ImJoyPlugin())
'''

HELPER = imjoy_file({"name": "Helper", "type": "native-python"}, """
from imjoy import api


class ImJoyPlugin:
    async def setup(self):
        pass

    async def run(self, ctx):
        return {"ran": True}

    async def shout(self, text):
        return str(text).upper()


api.export(ImJoyPlugin())
""")

# api.run, api.call and api.getPlugin from Python reach the plugins of the ImJoy app
CALLER = imjoy_file({"name": "Caller", "type": "native-python", "dependencies": ["Helper"]}, """
from imjoy import api


class ImJoyPlugin:
    async def setup(self):
        pass

    async def run(self, ctx):
        helper = await api.getPlugin("Helper")
        return {"got": await helper.shout("got"), "call": await api.call("Helper", "shout", "call"),
                "run": await api.run("Helper"), "start": (ctx.data or {}).get("start")}


api.export(ImJoyPlugin())
""")
