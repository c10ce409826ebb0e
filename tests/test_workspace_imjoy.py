"""The workspace behaves as the ImJoy app for published plugins (headless Chromium, the real ImJoy core, plugins
of our own in the published style): ui forms with every field type and their defaults, ops registered with
api.register run with ctx._op, a two-step workflow over result windows, ImJoy's built-in window types with their
data read back from the DOM, SchemaIO forms, ImJoy's URL parameters (#/app?plugin=...&start=...), dependencies,
api.run / api.call / api.getPlugin, a pasted plain .py plugin, and error words."""

from __future__ import annotations

import json
from collections.abc import Iterator

import gateway_support
import pytest
from imjoy_app_plugins import CALLER, HELPER, OPS_PLUGIN, PLAIN_PY, WINDOWS_PLUGIN
from test_workspace import load_source, open_workspace

pytest_plugins = ["browser_support"]
pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

RUN_MS = 120_000


@pytest.fixture(scope="module")
def gateway(tmp_path_factory) -> Iterator[gateway_support.RunningGateway]:
    base = tmp_path_factory.mktemp("workspace-imjoy")
    plugins = base / "plugins"
    plugins.mkdir()
    (plugins / "Helper.imjoy.html").write_text(HELPER)
    (plugins / "Caller.imjoy.html").write_text(CALLER)
    (plugins / "OpMaker.imjoy.html").write_text(OPS_PLUGIN)
    gw = gateway_support.start_gateway(base, {"plugins": {"directories": [str(plugins)]}})
    yield gw
    assert gw.stop() == 0, gw.log()[-3000:]




def message(page, text: str, timeout: float = RUN_MS) -> str:
    """The first message containing `text` (waits for it)."""
    find = f"() => [...document.querySelectorAll('#messages li')].find(l => l.textContent.includes({text!r}))"
    page.wait_for_function(f"() => !!({find})()", timeout=timeout)
    return page.evaluate(f"() => ({find})().firstChild.textContent")


def returned(page, who: str) -> dict:
    text = message(page, f"{who} returned ")
    return json.loads(text.split(" returned ", 1)[1])


def window(page, name: str):
    box = page.locator(f'.window[data-name="{name}"]').last
    box.wait_for(timeout=RUN_MS)
    return box


def test_forms_ops_and_a_two_step_workflow(browser_page, gateway):
    page = browser_page
    open_workspace(page, gateway)
    load_source(page, OPS_PLUGIN, "Op Maker")
    ops = page.locator('#plugins li[data-name="Op Maker"] ul.ops li')
    ops.first.wait_for(timeout=RUN_MS)
    assert ops.evaluate_all("items => items.map(i => i.dataset.op)") == ["Make Numbers", "Total", "Broken"]
    # an op that fails says what failed in one line, its traceback folded under it
    ops.filter(has_text="Broken").locator("button.run-op").click()
    failed = message(page, "Op Maker/Broken failed: ")
    assert failed == "Op Maker/Broken failed: ValueError: the threshold must be positive"
    folded = page.locator("#messages li details").first.text_content()
    assert 'raise ValueError("the threshold must be positive")' in folded
    page.click('#plugins li[data-name="Op Maker"] button.run')
    form = page.locator(".ui-form")
    form.wait_for(timeout=RUN_MS)
    types = form.locator("[name]").evaluate_all("els => els.map(e => [e.name, e.dataset.type, e.type])")
    assert [t[:2] for t in types] == [["n_points", "number"], ["scale", "number"], ["clamped", "number"],
                                      ["label", "string"], ["mode", "choose"], ["level", "select"],
                                      ["tint", "color"], ["invert", "boolean"]]
    assert form.locator('select[name="mode"] option').all_inner_texts() == ["fast", "slow", "exact"]
    assert form.locator('input[name="n_points"]').get_attribute("max") == "100"
    page.screenshot(path=str(_shots(gateway) / "form.png"))
    page.click(".ui-form button.run-form")  # every field left at its default
    result = returned(page, "Op Maker")
    assert result["config"] == {"n_points": 20, "scale": 3, "clamped": 1, "label": "cells", "mode": "slow",
                                "level": 1, "tint": "#ff8000", "invert": True}
    assert result["op"] == "Op Maker" and result["step"] == 0.25
    # step 1: an op registered with api.register, its own form; its result opens as a window (the active one)
    ops.filter(has_text="Make Numbers").locator("button.run-op").click()
    page.locator(".ui-form").wait_for(timeout=RUN_MS)
    page.fill('.ui-form input[name="count"]', "5")
    page.click(".ui-form button.run-form")
    numbers = window(page, "numbers")
    assert numbers.get_attribute("data-type") == "imjoy/generic"
    assert "active" in numbers.get_attribute("class")
    assert "op: Make Numbers" in numbers.inner_text()
    # step 2: an op with inputs takes the active window's data, as in the ImJoy app
    ops.filter(has_text="Total").locator("button.run-op").click()
    page.locator(".ui-form").wait_for(timeout=RUN_MS)
    assert page.input_value('.ui-form input[name="factor"]') == "10"
    page.click(".ui-form button.run-form")
    total = window(page, "total")
    text = total.inner_text()
    assert "total: 150" in text and "op: Total" in text and "source: Make Numbers" in text, text
    page.screenshot(path=str(_shots(gateway) / "workflow.png"))


def _shots(gateway):
    path = gateway.state_dir.parent / "screenshots"
    path.mkdir(exist_ok=True)
    return path


IMAGE_PIXELS = """(img) => { const c = document.createElement('canvas'); c.width = img.naturalWidth;
    c.height = img.naturalHeight; const g = c.getContext('2d'); g.drawImage(img, 0, 0);
    return Array.from(g.getImageData(0, 0, c.width, c.height).data); }"""


def test_builtin_window_types_and_schemaio(browser_page, gateway):
    page = browser_page
    open_workspace(page, gateway)
    load_source(page, WINDOWS_PLUGIN, "Window Shower")  # its dependency SchemaIO is built in
    page.click('#plugins li[data-name="Window Shower"] button.run')
    page.locator(".ui-form", has_text="Quick form").wait_for(timeout=RUN_MS)
    page.click(".ui-form button.run-form")
    settings = page.locator('#dialogs .window[data-name="Settings"] .panel')
    settings.wait_for(timeout=RUN_MS)
    # what each window shows, read from its DOM
    generic = window(page, "imjoy/generic")
    page.wait_for_function("() => document.querySelector('.window[data-name=\"imjoy/generic\"]').innerText"
                           ".includes('cells: 43')")  # redrawn by the window API's run({data})
    image = window(page, "imjoy/image").locator("img")
    image.evaluate("img => img.decode()")
    assert image.evaluate(IMAGE_PIXELS) == [255, 0, 0, 255, 0, 0, 255, 255]
    viewer = window(page, "Image Viewer")
    assert viewer.get_attribute("data-type") == "imjoy/image"
    viewer.locator("img").evaluate("img => img.decode()")
    assert viewer.locator("img").evaluate(IMAGE_PIXELS) == [255, 0, 0, 255, 0, 0, 255, 255]
    assert window(page, "imjoy/image-list").locator("img").count() == 2
    compare = window(page, "imjoy/image-compare")
    assert compare.locator(".compare").get_attribute("data-offset") == "30"
    assert compare.locator("img").count() == 2
    markdown = window(page, "imjoy/markdown")
    assert markdown.locator("h1").inner_text() == "Results" and markdown.locator("strong").inner_text() == "bold"
    assert markdown.locator("[onerror]").count() == 0
    log = window(page, "imjoy/log")
    assert log.locator("li").all_inner_texts() == ["started", "boom"] and log.locator("li.error").count() == 1
    assert window(page, "imjoy/files").locator("li").all_inner_texts() == ["a.tif (10 bytes)", "b.tif (20 bytes)"]
    links = window(page, "imjoy/url_list").locator("a")
    assert links.all_inner_texts() == ["the docs", "http://127.0.0.1:9/x"]
    assert links.first.get_attribute("href") == "http://127.0.0.1:9/doc"
    assert window(page, "imjoy/panel").locator('input[name="size"]').input_value() == "7"
    assert "cannot be shown offline" in window(page, "unknown type").inner_text()
    assert generic.locator("li[data-key]").evaluate_all("l => l.map(i => i.dataset.key)") == ["cells"]  # replaced
    page.screenshot(path=str(_shots(gateway) / "windows.png"))
    # SchemaIO: the form from the ImJoy docs; Submit calls the plugin's callback with what was typed
    assert settings.locator('[name="dna"]').input_value() == "GGAG"
    settings.locator('[name="dna"]').fill("ACGT")
    settings.locator('select[name="species"]').select_option(label="Homo_sapiens")
    settings.locator('[name="reverse"]').check()
    page.screenshot(path=str(_shots(gateway) / "schemaio.png"))
    settings.locator("button.submit").click()
    json_form = page.locator('#dialogs .window[data-name="JSON form"] .panel')
    json_form.wait_for(timeout=RUN_MS)
    assert json_form.locator('[name="age"]').input_value() == "3"
    json_form.locator('[name="name"]').fill("Ada")
    json_form.locator("button.submit").click()
    result = returned(page, "Window Shower")
    assert result["callback"] == {"dna": "ACGT", "species": "Homo_sapiens", "length": 101, "reverse": True}
    assert result["values"] == {"name": "Ada", "age": 3} and result["quick"] == {"sigma": 1.5}
    assert "cannot be shown offline" in result["missing"] and result["missing"].count("Error:") <= 1


def test_url_parameters_load_and_start_a_plugin_with_its_dependencies(browser_page, gateway):
    page = browser_page
    open_workspace(page, gateway, "/app?plugin=someone/plugins:Caller&start=Caller&w=demo")
    assert page.inner_text("#workspace") == "workspace: demo"
    assert gateway.token not in page.url
    assert page.url.endswith("#/app?plugin=someone/plugins:Caller&start=Caller&w=demo")
    text = message(page, "Caller started: ")
    result = json.loads(text.split("started: ", 1)[1])
    assert result["got"] == "GOT" and result["call"] == "CALL" and result["start"] == "Caller"
    assert result["run"]["ran"] is True
    names = page.eval_on_selector_all("#plugins li[data-name]", "items => items.map(i => i.dataset.name)")
    assert names.index("Helper") < names.index("Caller")  # the dependency first
    page.screenshot(path=str(_shots(gateway) / "url-params.png"))


def test_a_workflow_link_runs_its_ops_in_order(browser_page, gateway):
    page = browser_page
    open_workspace(page, gateway)
    encoded = page.evaluate("() => imjoyCore.Joy.encodeWorkflow({workflow: {type: 'ops', ops: ["
                            "{type: 'Op Maker/Make Numbers', count: {value: 3}}, {type: 'Op Maker/Total'}]}})")
    page.goto(gateway.url + "/?again#/app?workflow=" + encoded)  # a new load; the token stays with this tab
    text = message(page, "workflow: Op Maker/Total returned ")
    assert json.loads(text.split(" returned ", 1)[1])["total"] == 60  # (1 + 2 + 3) x the default factor 10
    assert "total: 60" in window(page, "total").inner_text()


def test_a_plugin_url_in_a_link_asks_before_installing(browser_page, gateway):
    page = browser_page
    open_workspace(page, gateway, "/app?plugin=http://127.0.0.1:9/never.imjoy.html")
    page.locator(".dialog p", has_text="Install the plugin at http://127.0.0.1:9/never.imjoy.html").wait_for()
    page.click(".dialog button.cancel")
    message(page, "plugin http://127.0.0.1:9/never.imjoy.html was not installed")
    assert page.locator("#plugins li").count() == 0


def test_plain_py_runs_and_errors_read_once(browser_page, gateway):
    page = browser_page
    open_workspace(page, gateway)
    page.fill("#plugin-source", PLAIN_PY)
    page.click("#load-source")
    message(page, "loading Pasted Py (native-python): its job is starting", timeout=3_000)  # at once
    assert returned(page, "Pasted Py") == {"pasted": True}
    message(page, "hello from a pasted .py")
    words = page.evaluate("""() => [
        errorWords.words('RemoteError: RemoteError: RemoteError: No plugin registered for window type: X'),
        errorWords.words(new Error('RemoteError: Traceback (most recent call last):\\n  File "p.py", line 3\\n'
                                   + '    1/0\\nZeroDivisionError: division by zero')),
        errorWords.words('RemoteError: TypeError: bad operand')]""")
    assert words == ["No plugin registered for window type: X", "ZeroDivisionError: division by zero",
                     "TypeError: bad operand"]
    # a window whose page cannot be reached from here says so in the window
    failed = page.evaluate("() => { try { imjoyHpcWorkspace.imjoy.pm.imjoy_api.createWindow(null, "
                           "{src: 'http://127.0.0.1:9/page.html', name: 'far away'}); return 'shown'; } "
                           "catch (e) { return String(e); } }")
    assert failed.startswith("This window's page http://127.0.0.1:9/page.html cannot be shown here")
    assert "cannot be shown here" in window(page, "far away").locator(".window-notice").inner_text()
    # so does an image window whose address cannot be reached
    page.evaluate("() => imjoyHpcWorkspace.imjoy.pm.imjoy_api.createWindow(null, {type: 'imjoy/image', "
                  "name: 'no image', data: {src: 'http://127.0.0.1:9/none.png'}})")
    assert "could not be loaded from http://127.0.0.1:9/none.png" in window(page, "no image").locator(
        "p.error").inner_text()


# As the ImJoy docs' code blocks wrap them: type web-python, no api_version (the docs' runner fills it in).
WEB_PYTHON_DOCS_STYLE = """<config lang="json">
{"name": "Docs Calculator", "type": "web-python", "version": "0.1.0", "tags": [], "ui": "", "flags": [],
 "requirements": [], "dependencies": []}
</config>
<script lang="python">
from imjoy import api

class ImJoyPlugin():
    async def setup(self):
        pass

    async def run(self, ctx):
        return {"sum": 2 + 3}

api.export(ImJoyPlugin())
</script>
"""

NOT_RUNNABLE = """<config lang="json">
{"name": "Helpers Only", "type": "native-python", "version": "0.1.0", "api_version": "0.1.8", "runnable": false}
</config>
<script lang="python">
from imjoy import api

class ImJoyPlugin():
    async def setup(self):
        pass

    def add(self, a, b):
        return a + b

api.export(ImJoyPlugin())
</script>
"""


def test_web_python_plugins_from_the_docs_run_on_the_gateway(browser_page, gateway):
    page = browser_page
    open_workspace(page, gateway)
    load_source(page, WEB_PYTHON_DOCS_STYLE, "Docs Calculator")  # parsed (api_version filled in), an engine serves it
    page.click('#plugins li[data-name="Docs Calculator"] button.run')
    assert returned(page, "Docs Calculator") == {"sum": 5}
    running = page.evaluate("() => window.imjoyHpcWorkspace.server.list_instances()")
    assert any(i["name"] == "Docs Calculator" and i["state"] == "running" for i in running)  # on the gateway
    load_source(page, NOT_RUNNABLE, "Helpers Only")  # runnable: false has no Run button, as in the ImJoy app
    assert page.locator('#plugins li[data-name="Helpers Only"] button.run').count() == 0
