"""The engine plugin served at GET /imjoy/engine.imjoy.html, loaded into ImJoy core on another origin (as imjoy.io
would load it): a Python plugin started through it draws an ndarray in a JS window plugin; the same page on an
origin the gateway does not allow cannot load the engine."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import gateway_support
import pytest
from imjoy_host_support import imjoy_host
from imjoy_plugins import PYTHON_DRIVER, WINDOW_PLUGIN

pytest_plugins = ["browser_support"]
pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

START_MS = 180_000
BROKEN = """<config lang="json">
{"name": "Broken", "type": "native-python", "version": "0.1.0", "api_version": "0.1.8"}
</config>
<script lang="python">
1 / 0
</script>"""


@pytest.fixture(scope="module")
def host_origin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with imjoy_host(tmp_path_factory.mktemp("imjoy-host")) as origin:
        yield origin


def gateway_for(tmp_path: Path, origins: list[str]) -> gateway_support.RunningGateway:
    return gateway_support.start_gateway(tmp_path, {"server": {"allowed-origins": origins}})


@pytest.fixture(scope="module")
def allowing_gateway(tmp_path_factory, host_origin) -> Iterator[gateway_support.RunningGateway]:
    gw = gateway_for(tmp_path_factory.mktemp("engine-gateway"), [host_origin])
    yield gw
    assert gw.stop() == 0, gw.log()[-3000:]


def engine_url(gateway) -> str:
    return gateway.url.rstrip("/") + "/imjoy/engine.imjoy.html"


def open_host(page, origin: str, gateway) -> None:
    from urllib.parse import quote

    page.goto(f"{origin}/host.html#gateway=" + quote(f"{gateway.url}/#token={gateway.token}", safe=""))
    page.wait_for_function("() => window.hostReady !== undefined")
    page.evaluate("() => window.hostReady")


def fetch(url: str, origin: str | None) -> tuple[int, dict, str]:
    request = urllib.request.Request(url, headers={"Origin": origin} if origin else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def test_engine_file_is_served_with_cors_for_allowed_origins_only(allowing_gateway, host_origin):
    status, headers, body = fetch(engine_url(allowing_gateway), host_origin)
    assert status == 200 and headers["Access-Control-Allow-Origin"] == host_origin
    assert '"flags": ["engine"]' in body and "createEngine" in body and "native-python" in body
    assert allowing_gateway.token not in body
    status, headers, body = fetch(engine_url(allowing_gateway), "http://127.0.0.1:1")
    assert status == 403 and "allowed-origins" in body and "Access-Control-Allow-Origin" not in headers


def test_python_plugin_draws_an_array_in_a_js_window_through_the_engine(browser_page, allowing_gateway,
                                                                         host_origin):
    page = browser_page
    open_host(page, host_origin, allowing_gateway)
    page.evaluate("(url) => imjoy.pm.reloadPluginRecursively({uri: url})", engine_url(allowing_gateway))
    page.wait_for_function("() => imjoy.em.engines.some((e) => e.name === 'imjoy-hpc' && e.connected)",
                           timeout=60_000)
    assert page.evaluate("() => window.prompts.length") == 1, "the engine asks once for the gateway URL"
    page.evaluate("(code) => imjoy.pm.reloadPlugin({code})", WINDOW_PLUGIN)
    total = page.evaluate("""async (code) => {
        const plugin = await imjoy.pm.reloadPlugin({code});
        return await plugin.api.run({config: {}, data: {}});
    }""", PYTHON_DRIVER)
    expected = sum(range(12)) * 3
    assert total == expected
    frame = next(f for f in page.frames if f.evaluate("() => !!document.getElementById('sum')"))
    assert frame.text_content("#sum") == str(expected)
    assert frame.text_content("#shape") == "3x4" and frame.text_content("#dtype") == "uint16"
    running = [i for i in page.evaluate("""async () => (await imjoy.em.engines.find(
        (e) => e.name === 'imjoy-hpc').getEngineStatus()).plugin_processes""")]
    assert [p["name"] for p in running] == ["Window Driver"] and running[0]["state"] == "running"
    # unloading the plugin in ImJoy stops it on the gateway
    page.evaluate("async () => { await imjoy.pm.unloadPlugin(imjoy.pm.plugin_names['Window Driver']); }")
    page.wait_for_function("""async () => (await imjoy.em.engines.find((e) => e.name === 'imjoy-hpc')
        .getEngineStatus()).plugin_processes.length === 0""", timeout=30_000)
    # the engine's status lists a running plugin and killPluginProcess stops it
    page.evaluate("(code) => imjoy.pm.reloadPlugin({code})", PYTHON_DRIVER)
    stopped = page.evaluate("""async () => {
        const engine = imjoy.em.engines.find((e) => e.name === 'imjoy-hpc');
        const [process] = (await engine.getEngineStatus()).plugin_processes;
        await engine.killPluginProcess(process);
        return [process.name, (await engine.getEngineStatus()).plugin_processes.length];
    }""")
    assert stopped == ["Window Driver", 0]
    # a plugin that fails to start is reported to the user with the reason (ImJoy itself would wait forever)
    page.evaluate("(code) => { imjoy.pm.reloadPlugin({code}); }", BROKEN)
    page.wait_for_function("() => [...document.querySelectorAll('#messages li')].some("
                           "(l) => l.textContent.includes('Broken failed to start on imjoy-hpc'))", timeout=60_000)
    assert "ZeroDivisionError" in page.inner_text("#messages")


def test_engine_is_refused_on_an_origin_the_gateway_does_not_allow(browser_page, tmp_path, host_origin):
    gateway = gateway_for(tmp_path, [])
    try:
        page = browser_page
        open_host(page, host_origin, gateway)
        error = page.evaluate("""(url) => imjoy.pm.reloadPluginRecursively({uri: url}).then(
            () => 'loaded', (e) => String(e && e.message || e))""", engine_url(gateway))
        assert error != "loaded" and "Network Error" in error
        assert not page.evaluate("() => imjoy.em.engines.some((e) => e.name === 'imjoy-hpc')")
    finally:
        assert gateway.stop() == 0, gateway.log()[-3000:]
