"""Workspaces the gateway remembers, as the page uses them in headless Chromium: plugins installed in a named
workspace (a catalog one and one from source) and the values their forms last ran with come back after a page
reload, in a second browser context and after a gateway restart (same state directory, a new token); a workspace
exported to a file and imported under a new name has the same plugins; rename and delete from the Workspace box."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import gateway_support
import pytest
from browser_support import ACTION_TIMEOUT_MS, CHROMIUM_ARGS, LAUNCH_TIMEOUT_MS, chromium_executable, \
    require_playwright
from imjoy_plugins import python_plugin
from test_workspace_editor import shot

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]
RUN_MS = 120_000

SMOOTHER = python_plugin("Smoother", """
    return {"sigma": ctx.config["sigma"], "mode": ctx.config["mode"]}
""", ui="sigma {id: 'sigma', type: 'number', placeholder: 1.5}<br>"
        "mode {id: 'mode', type: 'choose', options: ['fast', 'exact'], placeholder: 'fast'}")


@pytest.fixture
def browser() -> Iterator:
    """A headless Chromium in which each test opens its own contexts (two contexts: two browsers' worth of state)."""
    executable = chromium_executable()
    require_playwright()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS,
                                              timeout=LAUNCH_TIMEOUT_MS)
        try:
            yield chromium
        finally:
            chromium.close()


def new_page(browser):
    context = browser.new_context(viewport={"width": 1200, "height": 900}, accept_downloads=True)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    page = context.new_page()
    page.on("console", lambda m: print(f"console.{m.type}: {m.text}") if m.type in ("error", "warning") else None)
    return page


def open_at(page, gw, workspace: str) -> None:
    page.goto(f"{gw.url}/#/app?w={workspace}&token={gw.token}")
    page.wait_for_function("(w) => document.body.dataset.restored === w", arg=workspace, timeout=RUN_MS)
    assert page.get_attribute("#status", "data-state") == "connected"


def plugins(page) -> list[str]:
    return sorted(page.eval_on_selector_all("#plugins li", "items => items.map(i => i.dataset.name)"))


def saved(gw, workspace: str) -> dict:
    files = list((gw.state_dir / "workspaces").glob("*.json"))
    for path in files:
        data = json.loads(path.read_text())
        if data["name"] == workspace:
            return data
    return {}


def wait_saved(gw, workspace: str, check, timeout: float = 20) -> dict:
    deadline = time.monotonic() + timeout
    while not check(saved(gw, workspace)):
        assert time.monotonic() < deadline, f"workspace {workspace} was not saved as expected: {saved(gw, workspace)}"
        time.sleep(0.2)
    return saved(gw, workspace)


def run_form(page, values: dict | None = None) -> dict:
    page.click('#plugins li[data-name="Smoother"] button.run')
    form = page.locator(".ui-form")
    form.wait_for(timeout=RUN_MS)
    shown = {"sigma": page.input_value('.ui-form [name="sigma"]'),
             "mode": page.eval_on_selector('.ui-form [name="mode"]', "e => e.options[e.selectedIndex].text")}
    for key, value in (values or {}).items():
        if key == "mode":
            page.select_option(f'.ui-form [name="{key}"]', label=value)
        else:
            page.fill(f'.ui-form [name="{key}"]', value)
    page.click(".ui-form button.run-form")
    return shown


def test_workspace_back_after_reload_other_browser_restart_and_import(browser, tmp_path):
    gw = gateway_support.start_gateway(tmp_path)
    try:
        page = new_page(browser)
        open_at(page, gw, "project")
        assert plugins(page) == []
        page.fill("#plugin-source", SMOOTHER)
        page.click("#load-source")
        page.locator('#plugins li[data-name="Smoother"]').wait_for(timeout=RUN_MS)
        page.click('#catalog li[data-name="Hello"] button')
        page.locator('#plugins li[data-name="Hello"]').wait_for(timeout=RUN_MS)
        assert run_form(page, {"sigma": "4.25", "mode": "exact"}) == {"sigma": "1.5", "mode": "fast"}
        data = wait_saved(gw, "project", lambda d: len(d.get("plugins", [])) == 2 and any(
            p.get("form", {}).get("sigma") == 4.25 for p in d["plugins"]))
        entries = {p["name"]: p for p in data["plugins"]}
        assert entries["Hello"]["origin"] == "catalog:Hello" and "<config" in entries["Hello"]["source"]
        assert entries["Smoother"]["origin"] == "source" and entries["Smoother"]["version"] == "0.1.0"
        assert entries["Smoother"]["form"] == {"sigma": 4.25, "mode": "exact"}
        shot(page, tmp_path, "workspace-saved")

        # a page reload: the same workspace, its plugins and form values
        page.reload()
        page.wait_for_function("() => document.body.dataset.restored === 'project'", timeout=RUN_MS)
        assert plugins(page) == ["Hello", "Smoother"]
        assert run_form(page) == {"sigma": "4.25", "mode": "exact"}

        # another browser (a second context: nothing of the first one's storage)
        other = new_page(browser)
        open_at(other, gw, "project")
        assert plugins(other) == ["Hello", "Smoother"]
        assert run_form(other) == {"sigma": "4.25", "mode": "exact"}
        other.context.close()

        # export to a file
        with page.expect_download() as download:
            page.click("#workspace-export")
        exported = tmp_path / "project.json"
        download.value.save_as(exported)
        assert json.loads(exported.read_text())["name"] == "project"
    finally:
        assert gw.stop() == 0, gw.log()[-3000:]
    page.context.close()

    # a gateway restart (same state directory, a new port and token)
    gw = gateway_support.start_gateway(tmp_path)
    try:
        page = new_page(browser)
        open_at(page, gw, "project")
        assert plugins(page) == ["Hello", "Smoother"]
        assert run_form(page) == {"sigma": "4.25", "mode": "exact"}
        shot(page, tmp_path, "workspace-restored")
        # import the exported file as a new workspace: the page switches to it
        page.set_input_files("#workspace-import-file", str(exported))
        page.locator(".prompt-input").wait_for(timeout=RUN_MS)
        page.fill(".prompt-input", "imported")
        page.click(".dialog button.ok")
        page.wait_for_function("() => document.body.dataset.restored === 'imported'", timeout=RUN_MS)
        assert plugins(page) == ["Hello", "Smoother"]
        assert "w=imported" in page.url
        assert run_form(page) == {"sigma": "4.25", "mode": "exact"}
        names = [o.split(" (")[0] for o in page.locator("#workspace-list option").all_inner_texts()]
        assert {"project", "imported", "default"} <= set(names)
        # rename, then delete it: back in "default", with no plugins
        page.once("dialog", lambda d: d.accept())
        page.click("#workspace-rename")
        page.locator(".prompt-input").wait_for(timeout=RUN_MS)
        page.fill(".prompt-input", "renamed")
        page.click(".dialog button.ok")
        page.wait_for_function("() => document.body.dataset.restored === 'renamed'", timeout=RUN_MS)
        assert saved(gw, "imported") == {} and saved(gw, "renamed")["plugins"]
        page.click("#workspace-delete")
        page.click(".dialog button.ok")
        page.wait_for_function("() => document.body.dataset.restored === 'default'", timeout=RUN_MS)
        assert saved(gw, "renamed") == {} and plugins(page) == []
        page.context.close()
    finally:
        assert gw.stop() == 0, gw.log()[-3000:]


def test_export_file_is_the_gateway_format(tmp_path: Path):
    """The exported text is what import_workspace takes (checked without a browser)."""
    from imjoy_hpc.gateway.workspaces import WorkspaceStore

    store = WorkspaceStore(tmp_path)
    store.save("a", {"plugins": [{"name": "Smoother", "source": SMOOTHER, "origin": "editor", "form": {"sigma": 2}}]})
    store.import_(store.export("a"), "b")
    assert store.get("b")["plugins"][0]["form"] == {"sigma": 2}
