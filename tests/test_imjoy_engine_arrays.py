"""Arrays from an ImJoy app on another origin to a Python plugin through the gateway's engine: every element arrives
(checked in the plugin), and a large one does not swell the gateway's memory."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import gateway_support
import pytest
from array_checker import CALL_CHECK, CHECKER, NAME
from imjoy_host_support import imjoy_host
from test_array_memory import RssPeak, spool_descriptors, wait_until

pytest_plugins = ["browser_support"]
pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]

MiB = 2**20


@pytest.fixture(scope="module")
def host_origin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with imjoy_host(tmp_path_factory.mktemp("imjoy-host")) as origin:
        yield origin


@pytest.fixture(scope="module")
def gateway(tmp_path_factory, host_origin) -> Iterator[gateway_support.RunningGateway]:
    # sessions wait for their page to come back, as a user's do: what a page that left was sending must go at once
    gw = gateway_support.start_gateway(tmp_path_factory.mktemp("engine-arrays"),
                                       {"server": {"allowed-origins": [host_origin]},
                                        "sessions": {"grace-period": 600}})
    yield gw
    assert gw.stop() == 0, gw.log()[-3000:]


def load_checker(page, origin: str, gateway: gateway_support.RunningGateway) -> None:
    page.goto(f"{origin}/host.html#gateway=" + quote(f"{gateway.url}/#token={gateway.token}", safe=""))
    page.wait_for_function("() => window.hostReady !== undefined")
    page.evaluate("() => window.hostReady")
    page.evaluate("(url) => imjoy.pm.reloadPluginRecursively({uri: url})",
                  gateway.url + "/imjoy/engine.imjoy.html")
    page.wait_for_function("() => imjoy.em.engines.some((e) => e.name === 'imjoy-hpc' && e.connected)",
                           timeout=60_000)
    page.evaluate("async (code) => { await imjoy.pm.reloadPlugin({code}); }", CHECKER)


def test_arrays_above_64_kb_reach_a_plugin_intact_from_an_imjoy_app(browser_page, gateway, host_origin):
    load_checker(browser_page, host_origin, gateway)
    for size in (32 * 1024, 256 * 1024, 4 * MiB, 16 * MiB):  # 16 MiB: over a websocket message's limit
        n = size // 4
        answer = browser_page.evaluate(CALL_CHECK, [NAME, n])
        assert answer == [n, [n], "float32", 0], (size, answer, gateway.log()[-2000:])


def test_a_300_mb_array_from_an_imjoy_app_reaches_a_plugin_with_the_gateway_s_memory_bounded(browser_page, gateway,
                                                                                             host_origin):
    load_checker(browser_page, host_origin, gateway)
    n = 300 * MiB // 4
    rss = RssPeak(gateway.proc.pid)
    answer = browser_page.evaluate(CALL_CHECK, [NAME, n])
    growth = rss.stop()
    assert answer == [n, [n], "float32", 0], (answer, gateway.log()[-2000:])
    print(f"the gateway's RSS grew {growth:.0f} MB while a 300 MB array went from the page to the plugin")
    assert growth < 128, f"the gateway's RSS grew {growth:.0f} MB for a 300 MB array"


def test_a_page_gone_mid_upload_frees_its_spool_at_once(browser_page, gateway, host_origin):
    load_checker(browser_page, host_origin, gateway)
    browser_page.evaluate("([name, n, call]) => { window.sending = eval(call)([name, n]); }",
                          [NAME, 512 * MiB // 4, CALL_CHECK])
    assert wait_until(lambda: spool_descriptors(gateway.proc.pid), 60), "the upload did not start"
    browser_page.close()  # the tab goes away while its array is on its way
    assert wait_until(lambda: not spool_descriptors(gateway.proc.pid), 3), \
        "the spool of a page that left mid-upload is still held"


def test_a_64_mb_array_from_the_workspace_reaches_a_plugin_with_the_gateway_s_memory_bounded(browser_page, gateway):
    from test_workspace import load_source, open_workspace

    page = browser_page
    open_workspace(page, gateway)
    load_source(page, CHECKER, NAME)
    page.wait_for_function("(name) => { const p = imjoyHpcWorkspace.imjoy.pm.plugin_names[name]; "
                           "return !!(p && p.api && p.api.check); }", arg=NAME, timeout=120_000)
    page.evaluate("() => { window.imjoy = imjoyHpcWorkspace.imjoy; }")
    n = 64 * MiB // 4
    rss = RssPeak(gateway.proc.pid)
    answer = page.evaluate(CALL_CHECK, [NAME, n])
    growth = rss.stop()
    assert answer == [n, [n], "float32", 0], (answer, gateway.log()[-2000:])
    assert growth < 64, f"the gateway's RSS grew {growth:.0f} MB for a 64 MB array"
