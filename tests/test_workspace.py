"""The gateway's page as an ImJoy workspace (the unmodified ImJoy core, vendored) in headless Chromium: Python plugins
run through the imjoy-hpc engine and drive JS windows, dialogs, other plugins and prompts; the ui form feeds
ctx.config; the image viewer shows a 3-D stack; the jobs panel follows and stops plugins; plugin iframes cannot
read the workspace's token."""

from __future__ import annotations

from collections.abc import Iterator

import gateway_support
import numpy as np
import pytest
from imjoy_plugins import ECHO_PLUGIN, WINDOW_PLUGIN, python_plugin

pytest_plugins = ["browser_support"]
pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

RUN_MS = 120_000

DRIVER = python_plugin("Workspace Driver", """
    scale = ctx.config["scale"]
    first = await api.createWindow(type="Array Summer", name="first",
                                   data={"image": np.full((4, 5), scale, "int32")})
    second = await api.createWindow({"type": "Array Summer", "name": "second",
                                     "data": {"image": np.arange(6, dtype="float32")}})
    dialog = await api.showDialog(type="Array Summer", name="in a dialog", data={"image": np.ones((2, 2), "uint8")})
    echo = await (await api.getPlugin("JS Echo")).echo(ctx.config["label"])
    name = await api.prompt("Who are you?", "nobody")
    stack = (np.arange(3 * 8 * 10) % 251).astype("uint16").reshape(3, 8, 10)
    viewer = await api.createWindow(type="imjoy-hpc/image-viewer", name="stack", data={"image": stack})
    await viewer.setPlane(2)
    return {"first": await first.getSum(), "second": await second.getSum(), "dialog": await dialog.getSum(),
            "echo": echo, "name": name, "label": ctx.config["label"]}
""", description="Uses the ImJoy API of the workspace", header="import numpy as np",
                       ui="Scale: {id: 'scale', type: 'number', min: 1, max: 10, placeholder: 2}<br>"
                          "Label: {id: 'label', type: 'string', placeholder: 'cells'}")

SPY_WINDOW = """
<config lang="json">
{"name": "Token Spy", "type": "window", "version": "0.1.0", "api_version": "0.1.8", "tags": [], "ui": "",
 "description": "Tries to read what the workspace holds", "requirements": [], "dependencies": []}
</config>
<window lang="html"><pre id="loot">pending</pre></window>
<script lang="javascript">
api.export({
  setup() {},
  async run() {
    const loot = {origin: location.origin, href: location.href, referrer: document.referrer};
    for (const [key, read] of [["local", () => JSON.stringify(Object.assign({}, localStorage))],
                               ["session", () => JSON.stringify(Object.assign({}, sessionStorage))],
                               ["cookie", () => document.cookie],
                               ["parentHash", () => window.parent.location.hash],
                               ["parentStorage", () => JSON.stringify(window.parent.sessionStorage)],
                               ["parentHtml", () => window.parent.document.documentElement.outerHTML],
                               ["topHref", () => window.top.location.href]]) {
      try { loot[key] = read(); } catch (e) { loot[key] = "blocked: " + e.name; }
    }
    try {
      const r = await fetch(location.origin.replace("localhost", "127.0.0.1") + "/api/info");
      loot.info = r.status + " " + (await r.text());
    } catch (e) { loot.info = "blocked: " + e.name; }
    document.getElementById("loot").textContent = JSON.stringify(loot);
  },
});
</script>
"""


@pytest.fixture(scope="module")
def gateway(tmp_path_factory) -> Iterator[gateway_support.RunningGateway]:
    gw = gateway_support.start_gateway(tmp_path_factory.mktemp("workspace-gateway"))
    yield gw
    assert gw.stop() == 0, gw.log()[-3000:]


def open_workspace(page, gateway, route: str = "") -> None:
    """The workspace page with the token (and ImJoy's URL parameters of `route`), once connected."""
    page.goto(gateway.url.rstrip("/") + "/#" + (route + "&" if route else "") + "token=" + gateway.token)
    page.wait_for_function("() => ['connected', 'failed'].includes(document.getElementById('status').dataset.state)",
                           timeout=60_000)
    assert page.get_attribute("#status", "data-state") == "connected", page.inner_text("#status")


def load_source(page, source: str, name: str) -> None:
    page.fill("#plugin-source", source)
    page.click("#load-source")
    page.locator(f'#plugins li[data-name="{name}"]').wait_for(timeout=RUN_MS)


def frame_with(page, selector: str, text_not: str = "pending"):
    for frame in page.frames:
        try:
            if frame.evaluate(f"() => {{ const e = document.querySelector({selector!r}); "
                              f"return !!e && e.textContent !== {text_not!r}; }}"):
                yield frame
        except Exception:  # noqa: BLE001 - a frame navigating away
            continue


def test_catalog_is_listed_and_a_catalog_plugin_runs(browser_page, gateway):
    page = browser_page
    open_workspace(page, gateway)
    names = page.eval_on_selector_all("#catalog li", "items => items.map(i => i.dataset.name)")
    assert {"Hello", "Image Filter"} <= set(names)
    page.click('#catalog li[data-name="Hello"] button')
    page.locator('#plugins li[data-name="Hello"]').wait_for(timeout=RUN_MS)
    page.click('#plugins li[data-name="Hello"] button.run')
    page.wait_for_function("() => [...document.querySelectorAll('#messages li')].some("
                           "l => l.textContent.includes('Hello returned'))", timeout=RUN_MS)
    row = page.locator("#jobs tr", has_text="Hello").first
    assert row.get_attribute("data-state") == "running"


def test_python_plugin_drives_windows_dialogs_plugins_and_prompts(browser_page, gateway):
    page = browser_page
    open_workspace(page, gateway)
    drive_windows_dialogs_plugins_and_prompts(page)


def drive_windows_dialogs_plugins_and_prompts(page) -> None:
    """Load the JS plugins and the driver, run the driver through its ui form and a prompt, check what the windows
    computed, the image viewer, closing windows, and stop the driver from the jobs panel."""
    load_source(page, WINDOW_PLUGIN, "Array Summer")
    load_source(page, ECHO_PLUGIN, "JS Echo")
    load_source(page, DRIVER, "Workspace Driver")
    page.click('#plugins li[data-name="Workspace Driver"] button.run')
    # the ui config as a form before run: its values become ctx.config
    page.locator(".ui-form").wait_for(timeout=RUN_MS)
    assert page.input_value('.ui-form input[name="scale"]') == "2"
    page.fill('.ui-form input[name="scale"]', "3")
    page.fill('.ui-form input[name="label"]', "nuclei")
    page.click(".ui-form button.run-form")
    page.locator(".prompt-input").wait_for(timeout=RUN_MS)
    page.fill(".prompt-input", "Ada")
    page.click(".dialog button.ok")
    page.wait_for_function("() => [...document.querySelectorAll('#messages li')].some("
                           "l => l.textContent.includes('Workspace Driver returned'))", timeout=RUN_MS)
    result = page.evaluate("() => [...document.querySelectorAll('#messages li')].find("
                           "l => l.textContent.includes('Workspace Driver returned')).textContent")
    assert '"first":60' in result and '"second":15' in result and '"dialog":4' in result
    assert '"echo":"JS Echo heard nuclei"' in result and '"name":"Ada"' in result
    # what the windows computed from the arrays, read in their own DOM (plugin iframes)
    sums = sorted(f.text_content("#sum") for f in frame_with(page, "#sum"))
    assert sums == ["15", "4", "60"]
    assert page.locator("#windows .window").count() >= 3 and page.locator("#dialogs .window").count() == 1
    assert page.eval_on_selector('#windows .window[data-name="first"]', "w => getComputedStyle(w).resize") == "both"
    # the image viewer: a 3-D uint16 stack at plane 2, auto contrast over the whole stack
    viewer = page.locator('.image-viewer[data-name="stack"]')
    viewer.wait_for(timeout=RUN_MS)
    stack = (np.arange(3 * 8 * 10) % 251).astype("uint16").reshape(3, 8, 10)
    pixels = np.array(page.evaluate("""() => {
        const c = document.querySelector('.image-viewer[data-name="stack"] canvas');
        return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data);
    }"""), dtype=np.uint8).reshape(8, 10, 4)
    expected = np.clip((stack[2].astype(float) - stack.min()) * 255 / (stack.max() - stack.min()), 0, 255)
    np.testing.assert_allclose(pixels[..., 0], expected, atol=1)
    assert viewer.locator(".viewer").get_attribute("data-plane") == "2"
    page.locator('.image-viewer[data-name="stack"] input.plane').fill("0")
    first = np.array(page.evaluate("""() => {
        const c = document.querySelector('.image-viewer[data-name="stack"] canvas');
        return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data);
    }"""), dtype=np.uint8).reshape(8, 10, 4)
    np.testing.assert_allclose(first[..., 0], np.clip(stack[0] * 255 / stack.max(), 0, 255), atol=1)
    # windows close: first the dialog (it holds the page until closed), then a window
    page.locator("#dialogs .window button.close").click()
    assert page.locator("#overlay").is_hidden()
    before = page.locator("#windows .window").count()
    page.locator('#windows .window[data-name="first"] button.close').click()
    assert page.locator("#windows .window").count() == before - 1
    # the jobs panel stops the plugin
    row = page.locator("#jobs tr", has_text="Workspace Driver").first
    assert row.get_attribute("data-state") == "running"
    row.locator("button.stop").click()
    page.wait_for_function("() => [...document.querySelectorAll('#jobs tr')].some(r => "
                           "r.textContent.includes('Workspace Driver') && r.dataset.state === 'stopped')",
                           timeout=60_000)


def test_plugin_iframes_cannot_read_the_workspace_token(browser_page, gateway):
    page = browser_page
    open_workspace(page, gateway)
    assert gateway.token not in page.content(), "the token is not in the page"
    load_source(page, SPY_WINDOW, "Token Spy")
    page.evaluate("async () => await imjoyHpcWorkspace.imjoy.pm.imjoy_api.createWindow("
                  "null, {type: 'Token Spy', name: 'spy'})")
    frames = list(frame_with(page, "#loot"))
    page.wait_for_function("() => true")
    loot = ""
    for _ in range(100):
        frames = list(frame_with(page, "#loot"))
        if frames:
            loot = frames[0].text_content("#loot")
            break
        page.wait_for_timeout(100)
    assert loot, "the spy window ran"
    assert gateway.token not in loot
    assert '"origin":"http://localhost:' in loot, "plugin frames live on the other loopback origin"
    assert '"parentHash":"blocked' in loot and '"parentStorage":"blocked' in loot and '"parentHtml":"blocked' in loot
    assert '"info":"blocked' in loot or '"info":"401' in loot


def test_each_path_gets_the_headers_it_needs(gateway):
    import urllib.request

    def headers(path: str, host: str) -> dict:
        request = urllib.request.Request(f"http://127.0.0.1:{gateway.port}{path}", headers={"Host": host})
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read().decode()
            assert gateway.token not in body, f"{path} holds the token"
            return {k.lower(): v for k, v in response.headers.items()}

    port = gateway.port
    page = headers("/", f"127.0.0.1:{port}")
    assert page["x-frame-options"] == "DENY" and "frame-ancestors 'none'" in page["content-security-policy"]
    assert f"frame-src http://localhost:{port};" in page["content-security-policy"]
    assert "worker-src 'none'" in page["content-security-policy"]
    swapped = headers("/", f"localhost:{port}")
    assert f"frame-src http://127.0.0.1:{port};" in swapped["content-security-policy"]
    frame = headers("/default_base_frame.html", f"localhost:{port}")
    assert "x-frame-options" not in frame
    assert frame["content-security-policy"] == f"frame-ancestors http://127.0.0.1:{port}"
    loader = headers("/imjoy-loader.js", f"localhost:{port}")
    assert loader["content-type"].startswith("application/javascript")
    assert "access-control-allow-origin" not in headers("/imjoy/engine.imjoy.html", f"127.0.0.1:{port}")


BROKEN = """
<config lang="json">
{"name": "Broken Start", "type": "native-python", "version": "0.1.0", "api_version": "0.1.8", "tags": [], "ui": "",
 "description": "Fails at import", "requirements": [], "dependencies": [], "flags": []}
</config>
<script lang="python">
from imjoy import api
print("about to fail")
undefined_name_here
api.export({})
</script>
"""


def test_a_failed_start_is_shown_with_its_reason_and_log(browser_page, gateway):
    page = browser_page
    open_workspace(page, gateway)
    page.fill("#plugin-source", BROKEN)
    page.click("#load-source")
    page.wait_for_function("() => [...document.querySelectorAll('#messages li')].some("
                           "l => l.textContent.includes('Broken Start failed to start'))", timeout=RUN_MS)
    message = page.evaluate("() => [...document.querySelectorAll('#messages li')].find("
                            "l => l.textContent.includes('Broken Start failed to start')).textContent")
    assert "NameError" in message and "undefined_name_here" in message
    page.wait_for_function("() => [...document.querySelectorAll('#jobs tr')].some(r => "
                           "r.textContent.includes('Broken Start') && r.dataset.state === 'failed' && "
                           "r.querySelector('.log').textContent.includes('about to fail'))", timeout=60_000)
    row = page.locator("#jobs tr", has_text="Broken Start").first
    assert "NameError" in row.locator(".where").text_content()
    assert row.locator("button.stop").is_hidden()


def test_image_viewer_decodes_every_js_mappable_dtype(browser_page, gateway):
    page = browser_page
    open_workspace(page, gateway)
    cases = {"int8": [-3, 5], "uint8": [0, 255], "int16": [-300, 7], "uint16": [1, 65535], "int32": [-70000, 1],
             "uint32": [4000000000, 2], "float32": [0.5, -2.25], "float64": [1e-9, 3.5], "bool": [1, 0],
             "int64": [-(2 ** 40), 9], "uint64": [2 ** 41, 3]}
    for dtype, values in cases.items():
        raw = np.array(values, dtype=dtype).tobytes()
        decoded = page.evaluate("""([dtype, bytes]) => {
            const nd = {_rtype: 'ndarray', _rdtype: dtype, _rshape: [1, 2],
                        _rvalue: [new Uint8Array(bytes.slice(0, 1)).buffer, new Uint8Array(bytes.slice(1)).buffer]};
            const image = ndarrayView.decode(nd);
            return {values: Array.from(image.values, Number), shape: image.shape};
        }""", [dtype, list(raw)])
        assert decoded["shape"] == [1, 2]
        np.testing.assert_allclose(decoded["values"], np.array(values, dtype=dtype).astype(float), rtol=1e-7,
                                   err_msg=dtype)
    refused = page.evaluate("""() => { try { ndarrayView.decode({_rtype: 'ndarray', _rdtype: 'complex64',
        _rshape: [1], _rvalue: new ArrayBuffer(8)}); return 'decoded'; } catch (e) { return e.message; } }""")
    assert "complex64" in refused
    # an RGB float image is drawn with its channels
    rgb = page.evaluate("""() => {
        const box = document.createElement('div');
        document.body.appendChild(box);
        const viewer = ndarrayView.createViewer(box);
        const data = new Float32Array([0, 0.5, 1, 1, 0.5, 0]);
        viewer.setImage({_rtype: 'ndarray', _rdtype: 'float32', _rshape: [1, 2, 3], _rvalue: data.buffer});
        const c = box.querySelector('canvas');
        return Array.from(c.getContext('2d').getImageData(0, 0, 2, 1).data);
    }""")
    assert rgb == [0, 128, 255, 255, 255, 128, 0, 255]  # 127.5 rounds up in a Uint8ClampedArray


def test_the_workspace_keeps_its_plugins_across_a_cut_connection(browser_page, tmp_path):
    from proxy_support import FlakyProxy

    gateway = gateway_support.start_gateway(tmp_path, {"sessions": {"grace-period": 600},
                                                       "server": {"ping-interval": 2, "ping-timeout": 2}})
    relay = FlakyProxy(gateway.port)
    try:
        page = browser_page
        page.goto(relay.url + "/#token=" + gateway.token)
        page.wait_for_function("() => document.getElementById('status').dataset.state === 'connected'",
                               timeout=60_000)
        load_source(page, WINDOW_PLUGIN, "Array Summer")
        load_source(page, ECHO_PLUGIN, "JS Echo")
        load_source(page, DRIVER, "Workspace Driver")
        before = page.evaluate("() => [...imjoyHpcWorkspace.jobs.values()].find(j => j.name === 'Workspace Driver').id")
        relay.cut(8)
        page.wait_for_function("() => document.getElementById('status').dataset.state === 'reconnecting'",
                               timeout=30_000)
        page.wait_for_function("() => imjoyHpcWorkspace.reattached >= 1", timeout=90_000)
        assert "re-attached" in page.inner_text("#status")
        # the same instance, driven from ImJoy again: its api.* calls reach this workspace over the new connection
        drive_again = page.evaluate("""async () => {
            const plugin = imjoyHpcWorkspace.imjoy.pm.plugin_names['Workspace Driver'];
            return plugin.api.id;
        }""")
        assert drive_again == before
        page.click('#plugins li[data-name="Workspace Driver"] button.run')
        page.locator(".ui-form").wait_for(timeout=RUN_MS)
        page.click(".ui-form button.run-form")
        page.locator(".prompt-input").wait_for(timeout=RUN_MS)
        page.click(".dialog button.ok")
        page.wait_for_function("() => [...document.querySelectorAll('#messages li')].some("
                               "l => l.textContent.includes('Workspace Driver returned'))", timeout=RUN_MS)
        states = {i["id"]: i["state"] for i in page.evaluate("async () => await imjoyHpcWorkspace.server"
                                                              ".list_instances()")}
        assert states[before] == "running"
    finally:
        relay.close()
        assert gateway.stop() == 0, gateway.log()[-3000:]


REMOTE_STACK = python_plugin("Remote Stack", """
    planes = np.arange(200, dtype="uint16")[:, None, None] * 300
    self.stack = planes + np.arange(64 * 80, dtype="uint16").reshape(1, 64, 80)  # 2 MB, 200 planes
    viewer = await api.createWindow(type="imjoy-hpc/image-viewer", name="remote",
                                    data={"image": remote_array(self.stack)})
    await viewer.setContrast(0, 64819)
    await viewer.setPlane(150)
    return await viewer.getState()
""", description="Shows a stack that stays in the plugin",
                             header="import numpy as np\nfrom imjoy_hpc.plugins.remote_array import remote_array")


def test_image_viewer_reads_a_remote_stack_plane_by_plane(browser_page, gateway):
    page = browser_page
    open_workspace(page, gateway)
    load_source(page, REMOTE_STACK, "Remote Stack")
    page.click('#plugins li[data-name="Remote Stack"] button.run')
    page.wait_for_function("() => [...document.querySelectorAll('#messages li')].some("
                           "l => l.textContent.includes('Remote Stack returned'))", timeout=RUN_MS)
    viewer = page.locator('.image-viewer[data-name="remote"]')
    assert viewer.locator(".viewer").get_attribute("data-plane") == "150"
    assert viewer.locator(".viewer").get_attribute("data-fetched") == "2"  # plane 0 (shown first) and plane 150
    assert "200×64×80 uint16 (read plane by plane)" in viewer.locator(".info").inner_text()
    stack = np.arange(200, dtype="uint16")[:, None, None] * 300 + np.arange(64 * 80, dtype="uint16").reshape(1, 64, 80)

    def pixels() -> np.ndarray:
        return np.array(page.evaluate("""() => {
            const c = document.querySelector('.image-viewer[data-name="remote"] canvas');
            return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data);
        }""")).reshape(64, 80, 4)

    np.testing.assert_allclose(pixels()[..., 0], stack[150].astype(float) * 255 / 64819, atol=1)
    page.locator('.image-viewer[data-name="remote"] input.plane').fill("7")  # the slider fetches plane 7 only
    page.wait_for_function("""() => document.querySelector('.image-viewer[data-name="remote"] .viewer')
                              .dataset.fetched === '3'""", timeout=RUN_MS)
    np.testing.assert_allclose(pixels()[..., 0], stack[7].astype(float) * 255 / 64819, atol=1)


ZARR_STACK = python_plugin("Zarr Shown", """
    self.stack = (np.arange(3 * 300 * 400, dtype="uint32") % 65521).astype("uint16").reshape(3, 300, 400)
    return remote_array(self.stack, chunks=(1, 128, 256))
""", description="Returns a stack that stays in the plugin, as a zarr store",
                         header="import numpy as np\nfrom imjoy_hpc.plugins.remote_array import remote_array")


def test_jobs_panel_shows_a_remote_arrays_zarr_url_with_a_copy_button(browser_page, gateway):
    """Issue 23, item 3: the zarr URL of a plugin's remote array is in its row of the jobs panel; Copy puts exactly
    that URL in the clipboard, and zarr-python reads the plugin's array from it."""
    import os
    import urllib.request
    from pathlib import Path

    import zarr
    page = browser_page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=gateway.url.rstrip("/"))
    open_workspace(page, gateway)
    load_source(page, ZARR_STACK, "Zarr Shown")
    page.click('#plugins li[data-name="Zarr Shown"] button.run')
    page.wait_for_function("() => [...document.querySelectorAll('#messages li')].some("
                           "l => l.textContent.includes('Zarr Shown returned'))", timeout=RUN_MS)
    row = page.locator('#jobs tr[data-state="running"]', has_text="Zarr Shown")
    url_box = row.locator(".zarr-url code")
    url_box.wait_for(timeout=20_000)  # the panel refreshes every 5 s
    url = url_box.inner_text()
    assert url.startswith(gateway.url.rstrip("/") + "/zarr/") and url.endswith("/"), url
    assert "uint16 [3 x 300 x 400]" in row.locator(".zarr-url").get_attribute("title")
    listed = {i["id"]: i for i in page.evaluate("async () => await imjoyHpcWorkspace.server.list_instances()")}
    instance = next(i for i in listed.values() if i["name"] == "Zarr Shown" and i["state"] == "running")
    assert url == instance["zarr"][0]["zarr_url"]

    row.locator(".zarr-url button.copy").click()
    page.wait_for_function("() => [...document.querySelectorAll('#jobs .zarr-url button.copy')]"
                           ".some(b => b.textContent === 'copied')", timeout=10_000)
    assert page.evaluate("() => navigator.clipboard.readText()") == url
    shots = Path(os.environ.get("IMJOY_HPC_SCREENSHOTS") or gateway.state_dir.parent / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    page.locator("#jobs").screenshot(path=str(shots / "jobs-zarr-url.png"))
    page.wait_for_function("() => [...document.querySelectorAll('#jobs .zarr-url button.copy')]"
                           ".every(b => b.textContent === 'Copy')", timeout=10_000)  # the note goes, the URL stays
    assert url_box.inner_text() == url

    with urllib.request.urlopen(url + ".zgroup", timeout=20) as response:  # a plain GET, nothing but the URL
        assert response.status == 200 and b"zarr_format" in response.read()
    stack = (np.arange(3 * 300 * 400, dtype="uint32") % 65521).astype("uint16").reshape(3, 300, 400)
    np.testing.assert_array_equal(zarr.open_array(url + "0", mode="r", zarr_format=2)[1, 100:290, 200:399],
                                  stack[1, 100:290, 200:399])


FILE_PICKER = python_plugin("File Picker", """
    one = await api.showFileDialog(type="file", title="Pick one", root=ROOT)
    many = await api.showFileDialog(type="file", mode="multiple", root=ROOT + "/sub")
    folder = await api.showFileDialog(type="directory", root=ROOT)
    try:
        await api.showFileDialog(root=ROOT)
        cancelled = "not cancelled"
    except Exception as e:
        cancelled = str(e)
    return {"one": one, "many": many, "folder": folder, "cancelled": cancelled}
""", description="Asks for files", header='ROOT = "PICK_ROOT"')


def test_show_file_dialog_browses_the_gateway_host(browser_page, gateway, tmp_path):
    root = tmp_path / "pick"
    (root / "sub").mkdir(parents=True)
    for name in ("a.txt", "sub/b.npy", "sub/c.npy"):
        (root / name).write_text(name)
    page = browser_page
    open_workspace(page, gateway)
    load_source(page, FILE_PICKER.replace("PICK_ROOT", str(root)), "File Picker")
    page.click('#plugins li[data-name="File Picker"] button.run')

    def dialog_at(path) -> object:
        box = page.locator(f'.file-dialog[data-path="{path}"]')
        box.wait_for(timeout=RUN_MS)
        return box

    box = dialog_at(root)
    assert box.locator("h3").inner_text() == "Pick one"
    assert box.locator("li").all_inner_texts() == ["sub/", "a.txt"]  # directories first
    box.locator('li[data-name="sub"]').click()
    box = dialog_at(root / "sub")
    box.locator("button.up").click()
    box = dialog_at(root)
    box.locator('li[data-name="a.txt"]').click()
    box.locator("button.ok").click()
    box = dialog_at(root / "sub")  # multiple
    box.locator('li[data-name="b.npy"]').click()
    box.locator('li[data-name="c.npy"]').click()
    box.locator("button.ok").click()
    box = dialog_at(root)  # a directory
    box.locator('li[data-name="sub"]').click()
    box.locator("button.ok").click()
    dialog_at(root).locator("button.cancel").click()
    page.wait_for_function("() => [...document.querySelectorAll('#messages li')].some("
                           "l => l.textContent.includes('File Picker returned'))", timeout=RUN_MS)
    result = page.evaluate("() => [...document.querySelectorAll('#messages li')].find("
                           "l => l.textContent.includes('File Picker returned')).textContent")
    assert f'"one":"{root}/a.txt"' in result
    assert f'"many":["{root}/sub/b.npy","{root}/sub/c.npy"]' in result
    assert f'"folder":"{root}/sub"' in result and "the file dialog was cancelled" in result
