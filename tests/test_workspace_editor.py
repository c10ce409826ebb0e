"""The workspace's plugin editor (CodeMirror 6, vendored) in headless Chromium: a plugin from a template is edited,
saved (Ctrl-S) and run (Shift-Enter); a Python error marks its line in the editor (an error while the script loads
and one in run()); saving a running plugin reloads it (a new process); a plugin opens the editor as ImJoy's
PluginEditorWindow. Screenshots of each step go to $IMJOY_HPC_SCREENSHOTS (or the test's directory)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import gateway_support
import pytest
from imjoy_plugins import python_plugin
from test_workspace import open_workspace

pytest_plugins = ["browser_support"]
pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]
RUN_MS = 120_000

FIRST = python_plugin("Edited Plugin", """
    return {"version": 1, "sigma": ctx.config.get("sigma")}
""", ui="sigma {id: 'sigma', type: 'number', placeholder: 1.5}")
BROKEN_RUN = FIRST.replace('return {"version": 1', 'missing_name + 1\n        return {"version": 1')
BROKEN_LOAD = FIRST.replace("class Plugin:", "raise RuntimeError('broken on purpose')\n\n\nclass Plugin:")
SECOND = FIRST.replace('"version": 1', '"version": 2')

OPENS_EDITOR = """
<config lang="json">
{"name": "Editor Opener", "type": "web-worker", "version": "0.1.0", "api_version": "0.1.8", "tags": [], "ui": "",
 "description": "Opens the plugin editor", "requirements": [], "dependencies": []}
</config>
<script lang="javascript">
api.export({
  setup() {},
  async run() {
    const editor = await api.createWindow({type: "imjoy/plugin-editor", name: "From a plugin",
                                           data: {code: "# written by a plugin\\nprint('hi')\\n"}});
    return await editor.getCode();
  },
});
</script>
"""


def shots_dir(tmp: Path) -> Path:
    path = Path(os.environ.get("IMJOY_HPC_SCREENSHOTS") or tmp / "screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


def shot(page, tmp: Path, name: str) -> None:
    page.screenshot(path=str(shots_dir(tmp) / f"{name}.png"))


@pytest.fixture(scope="module")
def gateway(tmp_path_factory) -> Iterator[gateway_support.RunningGateway]:
    gw = gateway_support.start_gateway(tmp_path_factory.mktemp("editor-gateway"))
    yield gw
    assert gw.stop() == 0, gw.log()[-3000:]


def editor(page, index: int = -1):
    box = page.locator(".editor-window").nth(index)
    box.wait_for(timeout=RUN_MS)
    return box


def set_code(page, code: str) -> None:
    """Replace the text of the last editor (as typing would: the editor's own transaction)."""
    page.evaluate("(code) => { const v = [...document.querySelectorAll('.editor-window')].pop().editorView; "
                  "v.dispatch({changes: {from: 0, to: v.state.doc.length, insert: code}}); v.focus(); }", code)


def line_of(code: str, text: str) -> int:
    return next(i for i, line in enumerate(code.splitlines(), 1) if text in line)


def wait_status(page, words: str, timeout: float = RUN_MS) -> str:
    page.wait_for_function("(w) => { const s = [...document.querySelectorAll('.editor-window .editor-status')].pop();"
                           " return s && s.textContent.includes(w); }", arg=words, timeout=timeout)
    return page.locator(".editor-window .editor-status").last.text_content()


def returned(page, name: str, nth: int) -> str:
    """The text of the nth (1-based) '<name> returned' message."""
    page.wait_for_function("([n, k]) => [...document.querySelectorAll('#messages li')].filter("
                           "l => l.firstChild.textContent.startsWith(n + ' returned')).length >= k",
                           arg=[name, nth], timeout=RUN_MS)
    return page.evaluate("(n) => [...document.querySelectorAll('#messages li')].find("
                         "l => l.firstChild.textContent.startsWith(n + ' returned')).firstChild.textContent", name)


def edit_save_run_cycle(page, tmp: Path, *, in_job: bool = False) -> None:
    """Template -> own code -> Ctrl-S -> Shift-Enter (its form) -> a run-time error marked at its line -> a load
    error marked at its line -> fixed and saved again: the running plugin is reloaded (a new instance)."""
    page.select_option("#new-plugin-template", "python-hpc" if in_job else "native-python")
    page.click("#new-plugin")
    box = editor(page)
    assert "api.export(ImJoyPlugin())" in page.evaluate(
        "() => [...document.querySelectorAll('.editor-window')].pop().editorView.state.doc.toString()")
    shot(page, tmp, "editor-template")
    set_code(page, FIRST)
    page.keyboard.press("Control+s")
    wait_status(page, "saved: Edited Plugin loaded")
    page.locator('#plugins li[data-name="Edited Plugin"]').wait_for(timeout=RUN_MS)
    box.locator(".cm-content").click()
    page.keyboard.press("Shift+Enter")
    page.locator(".ui-form").wait_for(timeout=RUN_MS)
    page.fill('.ui-form input[name="sigma"]', "2.5")
    page.click(".ui-form button.run-form")
    assert '"version":1' in returned(page, "Edited Plugin", 1)
    assert '"sigma":2.5' in returned(page, "Edited Plugin", 1)
    first_ids = instance_ids(page, "Edited Plugin")
    assert len(first_ids) == 1, "Ctrl-S saved once"
    shot(page, tmp, "editor-ran")
    # the status bar: the engine's state and the jobs as the jobs panel shows them
    assert page.locator("#statusbar .engine").text_content() == "engine: connected"
    page.wait_for_function("() => /\\b1 running\\b/.test(document.querySelector('#statusbar .jobs').textContent)",
                           timeout=RUN_MS)
    # the Plugins menu: catalog and installed plugins together, each installed one with its ops
    page.click("#plugin-menu-button")
    menu = page.locator("#plugin-menu")
    assert {"Hello", "Edited Plugin"} <= set(menu.locator(":scope > li").evaluate_all("l => l.map(i => i.dataset.name)"))
    assert menu.locator('li.installed[data-name="Edited Plugin"] li.op').all_inner_texts() == ["Run"]
    assert menu.locator('li.catalog[data-name="Hello"] button.load').count() == 1
    shot(page, tmp, "plugin-menu")
    page.keyboard.press("Escape")
    assert menu.is_hidden()
    # an error in run(): its line is marked
    set_code(page, BROKEN_RUN)
    box.locator("button.run").click()
    page.locator(".ui-form").wait_for(timeout=RUN_MS)
    assert page.input_value('.ui-form input[name="sigma"]') == "2.5", "the form keeps the last values"
    page.click(".ui-form button.run-form")
    wait_status(page, "error at line")
    assert box.get_attribute("data-error-line") == str(line_of(BROKEN_RUN, "missing_name + 1"))
    marked = box.locator(".cm-error-line")
    assert "missing_name + 1" in marked.text_content()
    assert "NameError" in box.locator(".editor-error").text_content()
    shot(page, tmp, "editor-error-line")
    # an error while the script loads: its line is marked
    set_code(page, BROKEN_LOAD)
    box.locator("button.save").click()
    wait_status(page, "error at line")
    assert box.get_attribute("data-error-line") == str(line_of(BROKEN_LOAD, "broken on purpose"))
    assert "broken on purpose" in box.locator(".cm-error-line").text_content()
    # fixed: saving reloads the plugin (a new instance); its run gives the new version
    set_code(page, SECOND)
    page.keyboard.press("Control+s")
    wait_status(page, "saved: Edited Plugin loaded")
    assert box.locator(".cm-error-line").count() == 0
    page.keyboard.press("Control+Enter")
    page.locator(".ui-form").wait_for(timeout=RUN_MS)
    page.click(".ui-form button.run-form")
    page.wait_for_function("() => [...document.querySelectorAll('#messages li')].some("
                           "l => l.firstChild.textContent.includes('\"version\":2'))", timeout=RUN_MS)
    assert set(instance_ids(page, "Edited Plugin")) - set(first_ids), "saving started a new instance"


def instance_ids(page, name: str) -> list[str]:
    page.evaluate("() => window.imjoyHpcWorkspace.server.list_instances().then(l => { window.__instances = l; })")
    page.wait_for_function("() => Array.isArray(window.__instances)")
    ids = page.evaluate("(n) => { const l = window.__instances; window.__instances = null; "
                        "return l.filter(i => i.name === n && i.state === 'running').map(i => i.id); }", name)
    return ids


def test_edit_save_run_error_lines_and_reload(browser_page, gateway, tmp_path):
    page = browser_page
    open_workspace(page, gateway)
    edit_save_run_cycle(page, tmp_path)


def test_a_plugin_opens_the_plugin_editor_window(browser_page, gateway):
    page = browser_page
    open_workspace(page, gateway)
    page.fill("#plugin-source", OPENS_EDITOR)
    page.click("#load-source")
    page.locator('#plugins li[data-name="Editor Opener"]').wait_for(timeout=RUN_MS)
    page.click('#plugins li[data-name="Editor Opener"] button.run')
    assert "written by a plugin" in returned(page, "Editor Opener", 1)
    box = page.locator('.editor-window[data-name="From a plugin"]')
    assert "print('hi')" in box.locator(".cm-content").text_content()


@pytest.mark.parametrize("template, name", [("native-python", "Untitled Python Plugin"),
                                             ("python-hpc", "Untitled HPC Plugin"),
                                             ("window", "Untitled Window"), ("web-worker", "Untitled JS Plugin")])
def test_every_template_saves_and_runs(browser_page, gateway, template, name):
    page = browser_page
    open_workspace(page, gateway)
    page.select_option("#new-plugin-template", template)
    page.keyboard.press("Control+e") if template == "native-python" else page.click("#new-plugin")
    box = editor(page)
    if template == "native-python":
        assert page.locator(".editor-window").count() == 1, "Ctrl-E opened the editor"
    page.select_option(".editor-window select.template", template)  # "New from template" in the editor too
    box.locator("button.save").click()
    wait_status(page, f"saved: {name} loaded")
    box.locator("button.run").click()
    if "python" in template or template == "python-hpc":
        page.locator(".ui-form").wait_for(timeout=RUN_MS)
        page.click(".ui-form button.run-form")
        assert "1.5" in returned(page, name, 1)
    elif template == "web-worker":
        page.locator(".dialog", has_text="Hello from JavaScript").wait_for(timeout=RUN_MS)
        page.click(".dialog button.ok")
    wait_status(page, f"{name} ran")
