"""The gateway's web page in real headless Chromium, with the real imjoy-rpc JS client (vendored).

A user opens http://127.0.0.1:<port>/#token=..., sees the plugin list, loads "Image Filter" (examples/),
calls render(128, 96) and sees the image; a wrong token is refused with a clear error.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator

import gateway_support
import numpy as np
import pytest

pytest_plugins = ["browser_support"]  # the browser_page fixture
pytestmark = pytest.mark.browser

PLUGIN = "Image Filter"
CONNECT_TIMEOUT_MS = 30_000
LOAD_TIMEOUT_MS = 120_000
CALL_TIMEOUT_MS = 60_000

if hasattr(gateway_support, "gateway"):
    from gateway_support import gateway  # the project's gateway fixture
else:

    @pytest.fixture(scope="module")
    def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[gateway_support.RunningGateway]:
        """A real `imjoy-hpc serve` (embedded local Dask cluster), shared by this module's tests."""
        gw = gateway_support.start_gateway(tmp_path_factory.mktemp("browser-gateway"))
        try:
            yield gw
        finally:
            gw.stop()


def base_url(gateway) -> str:
    """The gateway's page address, always with the trailing slash."""
    return gateway.url.rstrip("/") + "/"


def render_formula(width: int, height: int) -> np.ndarray:
    """The image examples/image.imjoy.html documents for render(width, height)."""
    y, x = np.mgrid[0:height, 0:width]
    return np.stack(
        [x * 255 // (width - 1), y * 255 // (height - 1), ((x // 8 + y // 8) % 2) * 255], axis=-1
    ).astype(np.uint8)


def box3(image: np.ndarray) -> np.ndarray:
    """smooth() as documented: 3x3 mean with edge padding, float32."""
    data = image.astype(np.float32)
    padded = np.pad(data, 1, mode="edge")
    h, w = data.shape
    return sum(padded[dy:dy + h, dx:dx + w] for dy in range(3) for dx in range(3)) / np.float32(9)


def error_text(page) -> str:
    return page.evaluate("() => { const e = document.getElementById('error'); return e.hidden ? '' : e.textContent; }")


def open_connected(page, gateway) -> None:
    """Open the page with the token in the fragment and wait until it is connected."""
    page.goto(base_url(gateway) + "console#token=" + gateway.token)
    page.wait_for_function(
        "() => ['connected', 'failed'].includes(document.getElementById('status').dataset.state)",
        timeout=CONNECT_TIMEOUT_MS,
    )
    assert page.get_attribute("#status", "data-state") == "connected", error_text(page)


def load_plugin(page, name: str) -> None:
    page.locator("#plugin-list option", has_text=name).first.wait_for(state="attached", timeout=CONNECT_TIMEOUT_MS)
    page.select_option("#plugin-list", value=name)
    page.click("#load")
    page.wait_for_function(
        "() => window.imjoyHpc.plugin !== null || !document.getElementById('error').hidden", timeout=LOAD_TIMEOUT_MS
    )
    assert error_text(page) == ""


def call(page, fn: str, args_json: str) -> None:
    page.evaluate("() => { window.imjoyHpc.lastArray = null; window.imjoyHpc.lastResult = undefined; }")
    page.fill("#fn", fn)
    page.fill("#args", args_json)
    page.click("#call")
    page.wait_for_function(
        "() => window.imjoyHpc.lastResult !== undefined || !document.getElementById('error').hidden",
        timeout=CALL_TIMEOUT_MS,
    )
    assert error_text(page) == ""


def canvas_pixels(page, points: list[tuple[int, int]]) -> list[list[int]]:
    return page.evaluate(
        """points => {
            const ctx = document.getElementById('result-canvas').getContext('2d');
            return points.map(([x, y]) => Array.from(ctx.getImageData(x, y, 1, 1).data));
        }""",
        points,
    )


def test_render_image_through_the_page(gateway, browser_page) -> None:
    page = browser_page
    open_connected(page, gateway)
    assert "token" not in page.url, "the token must leave the address bar once read"
    assert page.evaluate("() => typeof window.imjoyRPCSocketIO.connectToServer") == "function"

    load_plugin(page, PLUGIN)
    call(page, "render", "[128, 96]")

    got = page.evaluate(
        """() => {
            const a = window.imjoyHpc.lastArray;
            return {ctor: a.data.constructor.name, length: a.data.length, shape: a.shape, dtype: a.dtype,
                    values: Array.from(a.data)};
        }"""
    )
    assert got["ctor"] == "Uint8Array"
    assert got["length"] == 128 * 96 * 3
    assert got["shape"] == [96, 128, 3]
    assert got["dtype"] == "uint8"
    expected = render_formula(128, 96)
    np.testing.assert_array_equal(np.array(got["values"], dtype=np.uint8).reshape(96, 128, 3), expected)

    assert page.inner_text("#result-info") == "shape [96,128,3] dtype uint8 (Uint8Array)"
    size = page.evaluate("() => { const c = document.getElementById('result-canvas'); return [c.width, c.height]; }")
    assert size == [128, 96]
    points = [(0, 0), (127, 0), (0, 95), (127, 95), (8, 0), (7, 8), (13, 37), (64, 48), (100, 90)]
    for (x, y), rgba in zip(points, canvas_pixels(page, points)):
        assert rgba == [*expected[y, x].tolist(), 255], (x, y)


def test_float_result_is_scaled_to_gray(gateway, browser_page) -> None:
    page = browser_page
    open_connected(page, gateway)
    load_plugin(page, PLUGIN)
    image = (np.arange(20).reshape(4, 5) * 7) % 50
    call(page, "smooth", "[" + str(image.tolist()) + "]")

    got = page.evaluate(
        "() => { const a = window.imjoyHpc.lastArray;"
        " return {ctor: a.data.constructor.name, shape: a.shape, values: Array.from(a.data)}; }"
    )
    expected = box3(image)
    assert got["ctor"] == "Float32Array"
    assert got["shape"] == [4, 5]
    np.testing.assert_allclose(np.array(got["values"], dtype=np.float32).reshape(4, 5), expected, rtol=1e-6)
    assert page.inner_text("#result-info") == "shape [4,5] dtype float32 (Float32Array)"

    lo, hi = float(expected.min()), float(expected.max())
    points = [(x, y) for y in range(4) for x in range(5)]
    for (x, y), rgba in zip(points, canvas_pixels(page, points)):
        gray = (float(expected[y, x]) - lo) * 255 / (hi - lo)
        assert rgba[0] == rgba[1] == rgba[2] and rgba[3] == 255, (x, y, rgba)
        assert abs(rgba[0] - gray) <= 1, (x, y, rgba, gray)


def test_plugin_log_reaches_the_page(gateway, browser_page) -> None:
    page = browser_page
    open_connected(page, gateway)
    load_plugin(page, PLUGIN)
    # The plugin's setup() calls api.log("Image Filter plugin is ready"): it must reach this browser session.
    page.locator("#log li", has_text="Image Filter plugin is ready").first.wait_for(timeout=CALL_TIMEOUT_MS)


def test_wrong_token_is_refused(gateway, browser_page) -> None:
    page = browser_page
    wrong = "wrong-" + secrets.token_urlsafe(12)
    page.goto(base_url(gateway) + "console#token=" + wrong)
    page.wait_for_selector("#error", state="visible", timeout=CONNECT_TIMEOUT_MS)
    text = page.inner_text("#error")
    assert "Could not connect to the gateway" in text
    assert re.search(r"token|refus|denied|unauthori[sz]ed|forbidden|invalid", text, re.IGNORECASE), text
    assert wrong not in text, "the error must not echo the token"
    assert page.get_attribute("#status", "data-state") == "failed"
    assert page.evaluate("() => window.imjoyHpc.api === null")
    assert page.locator("#plugin-list option").count() == 0


def test_wrong_token_page_does_not_keep_retrying(gateway, browser_page) -> None:
    # The JS client opens a new connection and registers again whenever the server drops its socket, so a
    # gateway that disconnects a refused browser right away gets a wrong-token attempt per second for as long
    # as the tab stays open. Count socket.io handshakes (polling requests without a session id).
    page = browser_page
    handshakes: list[str] = []
    page.on("request", lambda r: handshakes.append(r.url) if "/socket.io/" in r.url and "sid=" not in r.url else None)
    page.goto(base_url(gateway) + "console#token=wrong-" + secrets.token_urlsafe(12))
    page.wait_for_selector("#error", state="visible", timeout=CONNECT_TIMEOUT_MS)
    before = len(handshakes)
    page.wait_for_timeout(6000)
    assert len(handshakes) - before <= 1, f"{len(handshakes) - before} new connections in 6 s after the refusal"


def test_page_is_not_open_to_other_origins(gateway, browser_page) -> None:
    response = browser_page.goto(base_url(gateway))
    assert response is not None and response.ok
    assert response.headers.get("access-control-allow-origin") != "*"
    for path in ("", "static/app.js", "static/vendor/imjoy-rpc-socketio.js"):
        r = browser_page.request.get(base_url(gateway) + path, headers={"Origin": "http://attacker.invalid"})
        assert r.ok, (path, r.status)
        allowed = r.headers.get("access-control-allow-origin")
        assert allowed not in ("*", "http://attacker.invalid"), (path, allowed)
