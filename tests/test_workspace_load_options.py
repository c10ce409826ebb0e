"""Load options from the workspace page (headless Chromium): the load box's "resolve as of" date reaches the gateway
as the plugin's `resolve-as-of` (issue 22); the jobs panel shows a waiting plugin's predicted start, or its note
in words, and its sooner alternatives, whose button loads the same plugin with their options (issue 24)."""

from __future__ import annotations

import time

import pytest
from imjoy_plugins import python_plugin
from test_workspace import open_workspace
from test_workspace_editor import gateway  # noqa: F401 - the fixture

pytest_plugins = ["browser_support"]
pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]
RUN_MS = 120_000

DATED = python_plugin("Dated Plugin", """
    return "ok"
""")


def instances(page) -> list[dict]:
    return page.evaluate("() => window.imjoyHpcWorkspace.server.list_instances()")


def test_resolve_as_of_and_the_predicted_start(browser_page, gateway):  # noqa: F811
    page = browser_page
    open_workspace(page, gateway)
    page.fill("#resolve-as-of", "2024-03-01")
    page.fill("#plugin-source", DATED)
    page.click("#load-source")
    page.locator('#plugins li[data-name="Dated Plugin"]').wait_for(timeout=RUN_MS)
    source = page.evaluate("() => window.imjoyHpcWorkspace.store.entries.get('Dated Plugin').source")
    assert '"hpc": {"resolve-as-of": "2024-03-01"}' in source.replace('":"', '": "').replace('":{', '": {')
    page.fill("#resolve-as-of", "")
    # a waiting plugin as the gateway reports it: its predicted start and one sooner choice
    now = time.time()
    page.evaluate("(now) => window.imjoyHpcWorkspace.updateJob({id: 'waiting-1', name: 'Dated Plugin', "
                  "state: 'queued', reason: 'Resources', job_id: '77', predicted_start: now + 1800, sooner: ["
                  "{change: 'queue debug instead of tiny', options: {cores: 1}, predicted_start: now + 60}]})", now)
    row = page.locator('#jobs tr[data-id="waiting-1"]')
    assert "expected to start" in row.locator(".predicted-start").text_content()
    assert "(in 30 min)" in row.locator(".predicted-start").text_content()
    assert "queue debug instead of tiny: starts" in row.locator(".sooner").text_content()
    page.evaluate("() => window.imjoyHpcWorkspace.updateJob({id: 'waiting-2', name: 'Other', state: 'queued', "
                  "start_note: 'Grid Engine does not predict start times', sooner: []})")
    assert page.locator('#jobs tr[data-id="waiting-2"] .predicted-start').text_content() == \
        "Grid Engine does not predict start times"
    page.screenshot(path=str(__import__("test_workspace_editor").shots_dir(gateway.state_dir.parent) / "jobs.png"))
    before = {i["id"] for i in instances(page) if i["name"] == "Dated Plugin"}
    row.locator(".sooner button").click()
    page.wait_for_function("() => [...document.querySelectorAll('#messages li')].filter(l => l.firstChild.textContent"
                           " === 'loaded Dated Plugin').length >= 2", timeout=RUN_MS)
    again = [i for i in instances(page) if i["name"] == "Dated Plugin" and i["id"] not in before]
    assert again and again[-1]["state"] == "running"
    source = page.evaluate("() => window.imjoyHpcWorkspace.store.entries.get('Dated Plugin').source")
    assert '"cores": 1' in source.replace('"cores":1', '"cores": 1')


def test_when_would_it_start_asks_without_loading(browser_page, gateway):  # noqa: F811
    """The load box's "When would it start?" asks the gateway (predict_start) and shows the answer; nothing loads."""
    page = browser_page
    open_workspace(page, gateway)
    before = len(instances(page))
    page.fill("#plugin-source", DATED)
    page.click("#predict-source")
    answer = page.locator("#prediction-answer .predicted-start")
    answer.wait_for(timeout=60_000)
    said = answer.inner_text()
    assert said.startswith("expected to start") and said.endswith("(now): no scheduler: it runs here: it starts at "
                                                                   "once"), said
    assert len(instances(page)) == before  # nothing was started
    page.screenshot(path="docs/screenshots/workspace-when-would-it-start.png")
