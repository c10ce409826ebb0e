"""The plugin catalog (examples + configured directories) and the behaviour of the shipped example plugins.

The examples' methods are checked here against a minimal stand-in for the `imjoy` API (a recording object),
so their contract holds independently of the gateway; the gateway's own tests run them for real.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from imjoy_hpc.plugins.catalog import examples_dir, find_plugin, list_plugins
from imjoy_hpc.plugins.parser import PluginError, parse_plugin

EXAMPLES = examples_dir()
EXAMPLE_NAMES = {"Hello", "Image Filter", "Progress", "Fan Out", "Requirements Demo"}

GOOD = '<config lang="json">{"name": "My Tool", "type": "native-python", "description": "mine", "tags": ["a"]}' \
       '</config>\n<script lang="python">\nfrom imjoy import api\n</script>\n'
BROKEN = '<config lang="json">{"name": "Broken", "type": "native-python", "tags": 3}</config>\n' \
         '<script lang="python">\nx = 1\n</script>\n'


@pytest.fixture
def plugin_dir(tmp_path) -> Path:
    d = tmp_path / "plugins"
    d.mkdir()
    (d / "tool.imjoy.html").write_text(GOOD)
    (d / "broken.imjoy.html").write_text(BROKEN)
    (d / "pyplug.py").write_text("IMJOY_CONFIG = {'name': 'Py Plug'}\nfrom imjoy import api\n")
    (d / "helper.py").write_text("def util():\n    return 1\n")            # not a plugin: skipped
    (d / "_private.imjoy.html").write_text(GOOD)                          # hidden: skipped
    (d / "notes.txt").write_text("not a plugin")
    (d / "sub").mkdir()
    (d / "sub" / "deep.imjoy.html").write_text(GOOD)                      # only the top level is listed
    return d


# -------------------------------------------------------------------------------------------------- catalog

def test_examples_dir_is_the_checkout_examples():
    assert EXAMPLES == Path(__file__).resolve().parent.parent / "examples"


def test_examples_are_listed_without_errors():
    entries = list_plugins()
    assert {e["name"] for e in entries} == EXAMPLE_NAMES
    for e in entries:
        assert e["error"] is None and Path(e["file"]).is_file() and e["type"] == "native-python"
        assert e["description"] and isinstance(e["tags"], list)


def test_configured_directories_are_listed_with_errors_inline(plugin_dir, tmp_path):
    entries = list_plugins([plugin_dir, tmp_path / "missing"])
    names = [e["name"] for e in entries]
    n = len(EXAMPLE_NAMES)
    assert set(names[:n]) == EXAMPLE_NAMES  # examples first
    mine = {e["name"]: e for e in entries[n:]}
    assert set(mine) == {"broken", "Py Plug", "My Tool", "missing"}
    assert mine["My Tool"]["tags"] == ["a"] and mine["My Tool"]["description"] == "mine"
    assert mine["My Tool"]["error"] is None and mine["Py Plug"]["error"] is None
    assert 'config field "tags" must be a list of strings, got int' in mine["broken"]["error"]
    assert "broken.imjoy.html" in mine["broken"]["error"]
    assert mine["missing"]["error"].endswith("plugin directory does not exist")
    assert [e["name"] for e in list_plugins([plugin_dir], include_examples=False)] == ["broken", "Py Plug", "My Tool"]


def test_find_plugin_by_name_file_or_path(plugin_dir, tmp_path, monkeypatch):
    hello = (EXAMPLES / "hello.imjoy.html").resolve()
    for query in ("Hello", "hello", "HELLO", "hello.imjoy.html", str(EXAMPLES / "hello.imjoy.html")):
        assert find_plugin(query) == hello
    assert find_plugin("image filter") == (EXAMPLES / "image.imjoy.html").resolve()
    assert find_plugin("progress.py") == (EXAMPLES / "progress.py").resolve()
    assert find_plugin("my tool", [plugin_dir]) == (plugin_dir / "tool.imjoy.html").resolve()
    assert find_plugin("tool", [plugin_dir]) == (plugin_dir / "tool.imjoy.html").resolve()
    # an invalid file is still found by its file name; parsing it then gives the error
    broken = find_plugin("broken", [plugin_dir])
    with pytest.raises(PluginError, match='"tags" must be a list'):
        parse_plugin(broken)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(PluginError, match="plugins/none.imjoy.html: plugin file not found"):
        find_plugin("plugins/none.imjoy.html")


def test_unknown_or_ambiguous_plugin_names(plugin_dir):
    with pytest.raises(PluginError) as err:
        find_plugin("Goodbye", [plugin_dir])
    assert str(err.value) == ("unknown plugin 'Goodbye'; available plugins: Fan Out, Hello, Image Filter, "
                              "My Tool, Progress, Py Plug, Requirements Demo")
    (plugin_dir / "hello2.imjoy.html").write_text(GOOD.replace("My Tool", "Hello"))
    with pytest.raises(PluginError, match="plugin 'hello' is ambiguous: it matches .*hello.imjoy.html, .*hello2"):
        find_plugin("hello", [plugin_dir])


# ------------------------------------------------------------------------------------- example behaviour

class DotDict(dict):
    """The attribute-access dict ImJoy passes as `ctx`."""

    __getattr__ = dict.get


class FakeApi:
    """Records the plugin's api calls."""

    def __init__(self, tag=None, config=None):
        self.TAG = tag
        self.config = config or {}
        self.calls: list[tuple] = []
        self.exported = None

    def log(self, *args):
        self.calls.append(("log", *args))

    def showProgress(self, value):
        self.calls.append(("showProgress", value))

    def showStatus(self, text):
        self.calls.append(("showStatus", text))

    async def getConfig(self, key):
        return self.config.get(key)

    def export(self, obj):
        self.exported = obj


def load(file: str, monkeypatch, **api_kwargs):
    spec = parse_plugin(EXAMPLES / file)
    api = FakeApi(**api_kwargs)
    monkeypatch.setitem(sys.modules, "imjoy", types.SimpleNamespace(api=api))
    code = compile("\n" * (spec.script_line - 1) + spec.script, str(EXAMPLES / file), "exec")
    exec(code, {"__name__": "imjoy_plugin_under_test"})
    assert api.exported is not None, f"{file} did not call api.export()"
    api.exported.setup()
    return api.exported, api


def test_hello_contract(monkeypatch):
    plugin, api = load("hello.imjoy.html", monkeypatch, tag="fr", config={"_name": "Hello"})
    assert api.calls[0][0] == "log"
    value = {"a": [1, 2.5, "x"], "b": None}
    assert plugin.echo(value) is value
    assert asyncio.run(plugin.add(2, 3)) == 5 and asyncio.run(plugin.add("a", "b")) == "ab"
    said = []
    assert asyncio.run(plugin.greet("Ada", said.append)) == "greeted Ada"

    async def async_callback(text):
        said.append(text)

    assert asyncio.run(plugin.greet("Bob", async_callback)) == "greeted Bob"
    assert said == ["Hello, Ada!", "Hello, Bob!"]
    with pytest.raises(ValueError, match="^boom$"):
        plugin.fail("boom")
    assert asyncio.run(plugin.tag()) == "fr"
    assert asyncio.run(plugin.config_name()) == "Hello"
    assert plugin.run(DotDict(config=DotDict(who="HPC"))) == "Hello, HPC!"
    assert plugin.run(DotDict(config=DotDict())) == "Hello, world!"
    assert plugin.run() == "Hello, world!"
    for var in ("SLURM_JOB_ID", "PBS_JOBID"):
        monkeypatch.delenv(var, raising=False)
    where = plugin.whereami()
    assert where["pid"] == os.getpid() and where["hostname"] and where["job_id"] is None
    monkeypatch.setenv("PBS_JOBID", "42.server")
    assert plugin.whereami()["job_id"] == "42.server"
    monkeypatch.setenv("SLURM_JOB_ID", "1234")
    assert plugin.whereami()["job_id"] == "1234"


def test_image_render_follows_the_documented_formula(monkeypatch):
    plugin, _ = load("image.imjoy.html", monkeypatch)
    image = plugin.render()
    assert image.shape == (96, 128, 3) and image.dtype == np.uint8
    for y, x in [(0, 0), (95, 127), (10, 7), (10, 8), (50, 100), (17, 33)]:
        expected = (x * 255 // 127, y * 255 // 95, ((x // 8 + y // 8) % 2) * 255)
        assert tuple(int(v) for v in image[y, x]) == expected, (y, x)
    assert plugin.render(5, 3).shape == (3, 5, 3) and plugin.render(1, 1).shape == (1, 1, 3)
    np.testing.assert_array_equal(plugin.run(None), image)


def naive_box(a: np.ndarray) -> np.ndarray:
    h, w = a.shape[:2]
    out = np.zeros(a.shape, dtype=np.float64)
    for y in range(h):
        for x in range(w):
            acc = 0.0
            for dy in (-1, 0, 1):
                for dx in (-1, 0, 1):
                    acc = acc + a[min(max(y + dy, 0), h - 1), min(max(x + dx, 0), w - 1)].astype(np.float64)
            out[y, x] = acc / 9
    return out


def test_image_smooth_is_a_3x3_box_filter(monkeypatch):
    plugin, _ = load("image.imjoy.html", monkeypatch)
    rng = np.random.default_rng(7)
    for shape in [(5, 4), (4, 6, 3)]:
        a = rng.integers(0, 255, size=shape).astype(np.uint8)
        out = plugin.smooth(a)
        assert out.dtype == np.float32 and out.shape == a.shape
        np.testing.assert_allclose(out, naive_box(a), rtol=1e-5)
    np.testing.assert_allclose(plugin.smooth(np.full((3, 3), 7.0)), np.full((3, 3), 7.0))
    with pytest.raises(ValueError, match="2-D or 3-D"):
        plugin.smooth(np.zeros(4))


def test_image_big(monkeypatch):
    plugin, _ = load("image.imjoy.html", monkeypatch)
    one = plugin.big(1)
    assert one.shape == (256, 1024) and one.dtype == np.float32
    np.testing.assert_array_equal(one.ravel(), np.arange(262144, dtype=np.float32))
    default = plugin.big()
    assert default.shape == (16384, 1024) and default.nbytes == 64 * 2**20
    assert default[0, 5] == 5 and default[1, 0] == 1024


def test_progress_compute_reports_each_step(monkeypatch):
    plugin, api = load("progress.py", monkeypatch)
    assert plugin.compute(5) == 0 + 1 + 4 + 9 + 16
    progress = [c[1] for c in api.calls if c[0] == "showProgress"]
    status = [c[1] for c in api.calls if c[0] == "showStatus"]
    assert progress == [20, 40, 60, 80, 100]
    assert status == [f"step {i}/5" for i in range(1, 6)]
    assert plugin.compute(3) == 5 and plugin.run(None) == 30


FANOUT_DRIVER = r"""
import asyncio, json, sys, types
from imjoy_hpc.plugins.parser import parse_plugin

class Api:
    TAG = None
    def log(self, *a): pass
    def export(self, obj): self.exported = obj

api = Api()
sys.modules["imjoy"] = types.SimpleNamespace(api=api)
spec = parse_plugin(sys.argv[1])
exec(compile(spec.script, sys.argv[1], "exec"), {"__name__": "imjoy_plugin"})
print(json.dumps(asyncio.run(api.exported.square_sum(20))))
"""


def test_fanout_uses_the_cluster_named_by_the_environment(tmp_path):
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      host="127.0.0.1") as cluster:
        before = cluster.scheduler.transition_counter
        env = dict(os.environ, DASK_SCHEDULER_ADDRESS=cluster.scheduler_address)
        out = subprocess.run([sys.executable, "-c", FANOUT_DRIVER, str(EXAMPLES / "fanout.imjoy.html")],
                             env=env, capture_output=True, text=True, timeout=180)
        assert out.returncode == 0, out.stderr[-2000:]
        answer = json.loads(out.stdout.strip().splitlines()[-1])
        seen = {w["id"] for w in cluster.scheduler_info["workers"].values()}
        # the 20 tasks went through this cluster's scheduler (not a cluster Client() made up on its own)
        assert cluster.scheduler.transition_counter - before >= 20 * 3
    assert answer["result"] == sum(x * x for x in range(20))
    assert 1 <= answer["workers"] <= len(seen) == 2
