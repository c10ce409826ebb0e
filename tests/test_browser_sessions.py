"""The page in real headless Chromium keeps its session when its connection drops: it says so, the RPC client
reconnects by itself, and the page re-attaches its plugin (same instance, still running)."""

from __future__ import annotations

import pytest
from gateway_support import start_gateway
from proxy_support import FlakyProxy
from test_browser import CONNECT_TIMEOUT_MS, load_plugin

pytest_plugins = ["browser_support"]
pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]


@pytest.fixture
def gateway_behind_relay(tmp_path):
    gw = start_gateway(tmp_path, {"sessions": {"grace-period": 600}, "server": {"ping-interval": 2,
                                                                               "ping-timeout": 2}})
    relay = FlakyProxy(gw.port)
    yield gw, relay
    relay.close()
    assert gw.stop() == 0, gw.log()[-3000:]


def test_the_page_reattaches_by_itself_after_a_cut(gateway_behind_relay, browser_page) -> None:
    gateway, relay = gateway_behind_relay
    page = browser_page
    page.goto(relay.url + "/console#token=" + gateway.token)
    page.wait_for_function("() => document.getElementById('status').dataset.state === 'connected'",
                           timeout=CONNECT_TIMEOUT_MS)
    load_plugin(page, "Hello")
    before = page.evaluate("() => window.imjoyHpc.plugin.id")
    assert page.evaluate("async () => await window.imjoyHpc.plugin.add(2, 3)") == 5

    relay.cut(3)
    page.wait_for_function("() => document.getElementById('status').dataset.state === 'reconnecting'",
                           timeout=30_000)
    assert "connection lost" in page.inner_text("#status")
    page.wait_for_function("() => window.imjoyHpc.reattached >= 1", timeout=90_000)
    assert page.get_attribute("#status", "data-state") == "connected"
    assert "re-attached" in page.inner_text("#status")
    assert page.evaluate("() => window.imjoyHpc.plugin.id") == before, "the same plugin instance is back"
    assert page.evaluate("async () => await window.imjoyHpc.plugin.add(20, 22)") == 42
    states = {i["id"]: i["state"] for i in page.evaluate("async () => await window.imjoyHpc.api.list_instances()")}
    assert states[before] == "running"
