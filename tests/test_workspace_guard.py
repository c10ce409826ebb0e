"""What a plugin in the workspace reaches of the gateway (issue 26, item 5), in headless Chromium: a JS window plugin
that asks ImJoy for the engine (`api.getEngine`) gets the engine interface only, never the gateway's connection,
and every route it tries to the gateway's API fails; starting Python code through the engine or `api.getPlugin`
asks the user first (refused: nothing starts; allowed: it starts, and the plugin is not asked again in the tab)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import gateway_support
import pytest
from imjoy_plugins import python_plugin
from test_workspace import frame_with, load_source, open_workspace

pytest_plugins = ["browser_support"]
pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]
RUN_MS = 120_000

PYTHON = python_plugin("Guarded Python", """
    return "python ran"
""")

PROBER = """
<config lang="json">
{"name": "Engine Prober", "type": "window", "version": "0.1.0", "api_version": "0.1.8", "tags": [], "ui": "",
 "description": "Tries every route from api.getEngine to the gateway", "requirements": [], "dependencies": []}
</config>
<window lang="html"><pre id="probe">pending</pre></window>
<script lang="javascript">
var ENGINE_URL = "imjoy-hpc";  // the url ImJoy registered the engine under (it copies it at registration)
var PYTHON = atob(__PYTHON__);  // base64: the end tag of its script would end this one
api.export({
  setup() {},
  async run() {
    const out = {};
    try {
      await this.probe(out);
    } catch (e) { out.error = String(e && e.message || e); }
    document.getElementById("probe").textContent = JSON.stringify(out);
  },
  async probe(out) {
    const engine = await api.getEngine(ENGINE_URL);
    out.keys = Object.keys(engine).filter((k) => !k.startsWith("_")).sort();
    out.server = typeof engine.server;
    for (const route of ["list_files", "load_plugin", "kill_plugin", "list_instances", "plugin_source"]) {
      try {
        await engine[route]("/");
        out[route] = "called";
      } catch (e) { out[route] = "no such route"; }
    }
    try {
      await engine.startPlugin({name: "Sneaky", code: PYTHON, type: "native-python"}, {}, {});
      out.startPlugin = "started";
    } catch (e) { out.startPlugin = "refused: " + String(e.message || e).split("\\n")[0]; }
  },
  async loadPython() {
    const plugin = await api.getPlugin(PYTHON);
    return await plugin.run({config: {}, data: {}});
  },
});
</script>
"""


@pytest.fixture(scope="module")
def gateway(tmp_path_factory) -> Iterator[gateway_support.RunningGateway]:
    gw = gateway_support.start_gateway(tmp_path_factory.mktemp("guard-gateway"))
    yield gw
    assert gw.stop() == 0, gw.log()[-3000:]


def answer_consent(page, button: str, timeout: float = RUN_MS) -> str:
    """Wait for the consent question, answer it with `button` (ok / cancel); its text."""
    box = page.locator(".dialog", has_text="wants to start Python code on the cluster").last
    box.wait_for(timeout=timeout)
    text = box.inner_text()
    box.locator(f"button.{button}").click()
    return text


def probe_result(page) -> dict:
    for _ in range(600):
        frames = list(frame_with(page, "#probe"))
        if frames:
            return json.loads(frames[0].text_content("#probe"))
        page.wait_for_timeout(100)
    raise AssertionError("the prober window did not report")


def test_a_plugin_gets_the_engine_interface_only_and_asks_before_python(browser_page, gateway):
    page = browser_page
    open_workspace(page, gateway)
    source = PROBER.replace(
        "__PYTHON__", json.dumps(base64.b64encode(PYTHON.encode()).decode()))
    load_source(page, source, "Engine Prober")
    page.evaluate("() => { imjoyHpcWorkspace.imjoy.pm.imjoy_api.createWindow(null, "
                  "{type: 'Engine Prober', name: 'prober'}).then((w) => { window.prober = w; }); }")  # ImJoy runs it
    try:
        said = answer_consent(page, "cancel", 30_000)
    except Exception as exc:
        raise AssertionError(f"no consent question; the prober says {list(frame_with(page, '#probe')) and probe_result(page)}") from exc
    assert '"Engine Prober"' in said
    out = probe_result(page)
    assert out["server"] == "undefined", out
    assert not {"server", "connect", "disconnect"} & set(out["keys"]), out
    assert {"startPlugin", "getEngineStatus", "killPluginProcess"} <= set(out["keys"]), out
    assert all(out[r] == "no such route" for r in ("list_files", "load_plugin", "kill_plugin", "list_instances",
                                                   "plugin_source")), out
    assert out["startPlugin"].startswith('refused: Error: you did not allow "Engine Prober" to start Python code'), \
        out["startPlugin"]
    names = page.evaluate("async () => (await imjoyHpcWorkspace.engine.getEngineStatus())"
                          ".plugin_processes.map((p) => p.name)")
    assert "Sneaky" not in names, "nothing started without consent"
    # api.getPlugin of a Python plugin: asked again (refused before), allowed now, then remembered
    result = page.evaluate("() => { window.loaded = window.prober.loadPython(); return true; }")
    assert result
    answer_consent(page, "ok")
    assert page.evaluate("async () => await window.loaded") == "python ran"
    assert page.evaluate("async () => await window.prober.loadPython()") == "python ran"  # no question now
    assert page.locator(".dialog", has_text="wants to start Python code").count() == 0
