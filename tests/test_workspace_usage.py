"""The jobs panel shows what a plugin uses against what its job asked for (issue 24, item 3; headless Chromium):
live while it runs ("using 1.0 of 4 cores, 0.1 of 4 GB", refreshed with the panel), then the summary of its life
with the suggestion for next time."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import gateway_support
import pytest
from imjoy_plugins import python_plugin
from test_workspace import RUN_MS, load_source, open_workspace

pytest_plugins = ["browser_support"]
pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

# A plugin whose child process keeps one core busy (for 120 s at most, so nothing is left burning).
BURNER = python_plugin("Core Burner", """
    return "burning"
""", header="""
import subprocess
import sys

BURN = "import time\\nend = time.time() + 120\\nwhile time.time() < end:\\n    pass\\n"
BURNING = subprocess.Popen([sys.executable, "-c", BURN])
""")


@pytest.fixture(scope="module")
def gateway(tmp_path_factory) -> Iterator[gateway_support.RunningGateway]:
    profile = {"backend": "local", "processes": 1, "cores": 4, "memory": "4GB", "plugin-slots": 2}
    gw = gateway_support.start_gateway(tmp_path_factory.mktemp("usage-gateway"),
                                       {"profiles": {"local": profile}, "default-profile": "local"})
    yield gw
    assert gw.stop() == 0, gw.log()[-3000:]


def screenshots(gateway) -> Path:
    shots = Path(os.environ.get("IMJOY_HPC_SCREENSHOTS") or gateway.state_dir.parent / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    return shots


def test_jobs_panel_shows_a_busy_core_of_the_request_then_the_summary(browser_page, gateway):
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 1000})  # the rows clear of the status bar in screenshots
    open_workspace(page, gateway)
    load_source(page, BURNER, "Core Burner")
    row = page.locator('#jobs tr[data-state="running"]', has_text="Core Burner")
    live = row.locator('.usage[data-live="1"]')
    live.wait_for(timeout=RUN_MS)
    assert re.fullmatch(r"using \d+\.\d of 4 cores, \d+\.\d of 4 GB", live.inner_text()), live.inner_text()
    # the panel refreshes every 5 s with the newest sample: once the child burns, about one core of the four
    page.wait_for_function(
        """() => { const u = document.querySelector('#jobs tr[data-state="running"] .usage[data-live="1"]');
                   const m = u && /^using (\\d+\\.\\d) of 4 cores/.exec(u.textContent);
                   return !!m && parseFloat(m[1]) >= 0.7; }""", timeout=90_000)
    cores = float(re.match(r"using (\d+\.\d) of 4 cores", live.inner_text())[1])
    assert 0.7 <= cores <= 1.3, live.inner_text()  # one busy core (the machine's other work may slow it a little)
    listed = next(i for i in page.evaluate("() => imjoyHpcWorkspace.server.list_instances()")
                  if i["name"] == "Core Burner" and i["state"] == "running")
    assert listed["asked"]["cores"] == 4 and listed["usage"]["live"] and 0.6 <= listed["usage"]["cores"] <= 1.3
    memory = float(re.search(r"(\d+\.\d) of 4 GB", live.inner_text())[1])
    assert 0.0 <= memory < 1.0 and abs(memory - listed["usage"]["rss"] / 1e9) < 0.2
    row.screenshot(path=str(screenshots(gateway) / "jobs-usage-live.png"))

    row.locator("button.stop").click()
    ended = page.locator('#jobs tr[data-state="stopped"]', has_text="Core Burner").locator('.usage[data-live="0"]')
    ended.wait_for(timeout=30_000)
    text = ended.inner_text()
    assert re.match(r"used \d+\.\d of 4 cores on average \(peak \d+\.\d\), \d+\.\d of 4 GB at most", text), text
    average = float(re.match(r"used (\d+\.\d)", text)[1])
    assert 0.4 <= average <= 1.3, text  # the child burnt from the plugin's start (its import) to the Stop
    suggestion = ended.locator(".suggestion").inner_text()
    assert re.match(r"next time: asked 4 cores, used \d+\.\d on average \(peak \d+\.\d\): [12] would do", suggestion)
    page.locator('#jobs tr[data-state="stopped"]', has_text="Core Burner").screenshot(
        path=str(screenshots(gateway) / "jobs-usage-summary.png"))
