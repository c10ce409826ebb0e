"""Browser notifications from the workspace (headless Chromium, permission granted; issue 24): while the tab is
hidden, a plugin's job started, failed with its reason, its walltime ends soon, it ended: one notification each,
only for the kinds the user turned on, none while the tab is visible."""

from __future__ import annotations

import pytest
from imjoy_plugins import python_plugin
from test_workspace import RUN_MS, load_source, open_workspace
from test_workspace_editor import gateway  # noqa: F401 - the fixture

pytest_plugins = ["browser_support"]
pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

# The tab's visibility as the test says (headless tabs count as visible), and every notification recorded.
RECORD = """
Object.defineProperty(document, "hidden", {configurable: true, get: () => window.__hidden === true});
window.__notes = [];
const RealNotification = window.Notification;
window.Notification = function (title, options) {
  window.__notes.push([title, (options && options.body) || ""]);
  return new RealNotification(title, options);
};
Object.defineProperty(window.Notification, "permission", {get: () => RealNotification.permission});
window.Notification.requestPermission = (...args) => RealNotification.requestPermission(...args);
"""

NOTED = python_plugin("Noted Plugin", """
    return "ok"
""")


def notes(page) -> list[list[str]]:
    return page.evaluate("() => window.__notes")


def test_notifications_while_hidden_for_the_kinds_turned_on(browser_page, gateway):  # noqa: F811
    page = browser_page
    page.context.grant_permissions(["notifications"])
    page.add_init_script(RECORD)
    open_workspace(page, gateway)
    page.click("#notify-settings summary")
    for kind in ("started", "failed", "walltime"):  # "ended" stays off
        page.check(f'#notify-settings input[name="{kind}"]')
    load_source(page, NOTED, "Noted Plugin")  # visible tab: nothing
    assert notes(page) == []
    page.evaluate("() => { window.__hidden = true; }")
    page.fill("#plugin-source", NOTED.replace("Noted Plugin", "Hidden Start"))
    page.click("#load-source")
    page.wait_for_function("() => window.__notes.some(n => n[0] === 'Hidden Start: its job started')",
                           timeout=RUN_MS)
    hidden = next(i for i in page.evaluate("() => window.imjoyHpcWorkspace.server.list_instances()")
                  if i["name"] == "Hidden Start" and i["state"] == "running")
    update = "(info) => window.imjoyHpcWorkspace.updateJob(info)"
    page.evaluate(update, {**hidden, "warning": "walltime", "walltime_left": 240})
    page.evaluate(update, {**hidden, "state": "failed", "error": "the job 12 ended: state TIMEOUT\n--- log ---"})
    page.evaluate(update, {"id": "x-2", "name": "Other", "state": "stopped", "ended_reason": "killed by request"})
    got = {title: body for title, body in notes(page)}
    assert got.get("Hidden Start: its job's walltime ends soon", "").endswith("in 4 min: save your work"), got
    assert got.get("Hidden Start: failed") == "the job 12 ended: state TIMEOUT", got
    assert not any("ended" == title.split(": ")[-1] for title in got), got  # turned off
    assert sum(title == "Hidden Start: its job started" for title, _ in notes(page)) == 1
    page.reload()  # the choices stay in this browser
    page.wait_for_function("() => document.getElementById('status').dataset.state === 'connected'",
                           timeout=RUN_MS)
    page.click("#notify-settings summary")
    assert page.is_checked('#notify-settings input[name="failed"]')
    assert not page.is_checked('#notify-settings input[name="ended"]')
