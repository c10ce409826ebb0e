"""Large arrays from a plugin reach the page as HTTP responses it fetches (GET /ndarray/<capability>), in headless
Chromium: every JS-mappable dtype with its values, into the workspace and into ImJoy windows, and through the engine
inside an ImJoy app on another origin; the URL is one-time, bound to its session's key, refused without it, and
its spool is freed once read or when the session ends. Clients that do not announce the form keep the bytes."""

from __future__ import annotations

from collections.abc import Iterator

import gateway_support
import numpy as np
import pytest
from imjoy_host_support import imjoy_host
from imjoy_plugins import WINDOW_PLUGIN, python_plugin
from test_array_memory import spool_descriptors, wait_until
from test_workspace import RUN_MS, frame_with, load_source, open_workspace

pytest_plugins = ["browser_support"]
pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

MiB = 2**20
# bool and the integers and floats a page has a typed array for (int64/uint64 as BigInt64Array/BigUint64Array)
DTYPES = ["bool", "int8", "uint8", "int16", "uint16", "int32", "uint32", "float32", "float64", "int64", "uint64"]
MAKER = """<config lang="json">
{"name": "Array Maker", "type": "native-python", "version": "0.1.0", "api_version": "0.1.8"}
</config>
<script lang="python">
from imjoy import api
import numpy as np


def values(dtype, n):
    i = np.arange(n, dtype=np.uint64)
    mixed = i * np.uint64(0x9E3779B97F4A7C15)  # every bit pattern, wrapping
    if dtype == "bool":
        return (i % np.uint64(3)) == 0
    if np.dtype(dtype).kind == "f":
        return (i.astype(np.float64) * 0.25 - 1000.5).astype(dtype)
    return mixed.view(np.int64).astype(dtype) if np.dtype(dtype).kind == "i" else mixed.astype(dtype)


class Plugin:
    def setup(self):
        pass

    def make(self, dtype, n):
        return values(dtype, n)


api.export(Plugin())
</script>
"""
TYPED = """const TYPES = {bool: Uint8Array, int8: Int8Array, uint8: Uint8Array, int16: Int16Array, uint16: Uint16Array,
  int32: Int32Array, uint32: Uint32Array, float32: Float32Array, float64: Float64Array, int64: BigInt64Array,
  uint64: BigUint64Array};
function summary(nd, picks) {
  const buffer = nd._rvalue;
  const typed = new TYPES[nd._rdtype](buffer);
  const words = new Uint32Array(buffer);
  let check = 0;
  for (let i = 0; i < words.length; i++) check = (check + Math.imul(words[i], (i % 65536) + 1)) >>> 0;
  return {buffer: buffer instanceof ArrayBuffer, dtype: nd._rdtype, shape: nd._rshape, length: typed.length,
          check, picks: picks.map((i) => String(typed[i])), http: "_rhttp" in nd};
}"""


def values(dtype: str, n: int) -> np.ndarray:
    i = np.arange(n, dtype=np.uint64)
    mixed = i * np.uint64(0x9E3779B97F4A7C15)
    if dtype == "bool":
        return (i % np.uint64(3)) == 0
    if np.dtype(dtype).kind == "f":
        return (i.astype(np.float64) * 0.25 - 1000.5).astype(dtype)
    return mixed.view(np.int64).astype(dtype) if np.dtype(dtype).kind == "i" else mixed.astype(dtype)


def checksum(data: bytes) -> int:
    words = np.frombuffer(data, "<u4").astype(np.uint64)
    weights = (np.arange(len(words), dtype=np.uint64) % np.uint64(65536)) + np.uint64(1)
    return int(((words * weights) % np.uint64(2**32)).sum() % 2**32)


def shown(array: np.ndarray, i: int) -> str:
    value = array[i]
    if array.dtype == bool:
        return str(int(value))
    if array.dtype.kind == "f":
        return repr(float(value)).removesuffix(".0") if float(value).is_integer() else repr(float(value))
    return str(int(value))


@pytest.fixture(scope="module")
def gateway(tmp_path_factory) -> Iterator[gateway_support.RunningGateway]:
    gw = gateway_support.start_gateway(tmp_path_factory.mktemp("fetch-arrays-gateway"))
    yield gw
    assert gw.stop() == 0, gw.log()[-3000:]


def watch_fetches(page) -> list[str]:
    """The URLs of array fetches the page (and its frames) make."""
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url) if "/ndarray/" in request.url else None)
    return urls


def test_every_js_mappable_dtype_reaches_the_workspace_over_http(browser_page, gateway):
    page = browser_page
    fetched = watch_fetches(page)
    open_workspace(page, gateway)
    sizes = {dtype: 3 * MiB // np.dtype(dtype).itemsize for dtype in DTYPES}  # over one chunk, under the upload's
    picks = {dtype: [0, 1, 2, 3, 12345, n // 2, n - 1] for dtype, n in sizes.items()}
    got = page.evaluate("""async ([source, sizes, picks, small]) => {
        %s
        const server = window.imjoyHpcWorkspace.server;
        const plugin = await server.load_plugin(source);
        const out = {};
        for (const [dtype, n] of Object.entries(sizes)) out[dtype] = summary(await plugin.make(dtype, n), picks[dtype]);
        out.small = summary(await plugin.make("float32", small), [0]);
        return out;
    }""" % TYPED, [MAKER, sizes, picks, 1024])
    for dtype, n in sizes.items():
        expected = values(dtype, n)
        assert got[dtype]["buffer"] and not got[dtype]["http"], dtype
        assert (got[dtype]["dtype"], got[dtype]["shape"], got[dtype]["length"]) == (dtype, [n], n), dtype
        assert got[dtype]["check"] == checksum(expected.tobytes()), dtype
        assert got[dtype]["picks"] == [shown(expected, i) for i in picks[dtype]], dtype
    assert len(fetched) == len(DTYPES), "each large array was one fetch; the small one came inline"
    assert got["small"]["length"] == 1024


BIG_WINDOW = python_plugin("Big Window Driver", """
    image = (np.arange(1536 * 1024, dtype=np.uint32) % 65521).astype(np.uint16).reshape(1536, 1024)
    window = await api.createWindow(type="Array Summer", name="big", data={"image": image})
    return await window.getSum()
""", description="Draws a 3 MB array in an ImJoy window", header="import numpy as np")
BIG_SUM = int((np.arange(1536 * 1024) % 65521).sum())


def test_an_imjoy_window_gets_a_large_array_fetched_by_the_workspace(browser_page, gateway):
    page = browser_page
    fetched = watch_fetches(page)
    open_workspace(page, gateway)
    load_source(page, WINDOW_PLUGIN, "Array Summer")
    load_source(page, BIG_WINDOW, "Big Window Driver")
    page.click('#plugins li[data-name="Big Window Driver"] button.run')
    page.wait_for_function("() => [...document.querySelectorAll('#messages li')].some("
                           "l => l.textContent.includes('Big Window Driver returned'))", timeout=RUN_MS)
    assert [f.text_content("#sum") for f in frame_with(page, "#sum")] == [str(BIG_SUM)]
    assert [f.text_content("#shape") for f in frame_with(page, "#sum")] == ["1536x1024"]
    assert len(fetched) == 1 and fetched[0].startswith(gateway.url + "/ndarray/")


def test_the_engine_in_an_imjoy_app_on_another_origin_fetches_large_arrays(browser_page, tmp_path):
    from test_imjoy_engine import engine_url, open_host

    with imjoy_host(tmp_path / "host") as origin:
        (tmp_path / "gw").mkdir()
        gw = gateway_support.start_gateway(tmp_path / "gw", {"server": {"allowed-origins": [origin]}})
        try:
            page = browser_page
            fetched = watch_fetches(page)
            open_host(page, origin, gw)
            page.evaluate("(url) => imjoy.pm.reloadPluginRecursively({uri: url})", engine_url(gw))
            page.wait_for_function("() => imjoy.em.engines.some((e) => e.name === 'imjoy-hpc' && e.connected)",
                                   timeout=60_000)
            page.evaluate("(code) => imjoy.pm.reloadPlugin({code})", WINDOW_PLUGIN)
            total = page.evaluate("""async (code) => {
                const plugin = await imjoy.pm.reloadPlugin({code});
                return await plugin.api.run({config: {}, data: {}});
            }""", BIG_WINDOW)
            assert total == BIG_SUM
            assert [f.text_content("#sum") for f in frame_with(page, "#sum")] == [str(BIG_SUM)]
            assert len(fetched) == 1 and fetched[0].startswith(gw.url + "/ndarray/")
        finally:
            assert gw.stop() == 0, gw.log()[-3000:]


CONNECT = """async ([token, key]) => {
    const base = location.origin;
    const proved = await imjoyHpcEngine.proveGateway(base, token);
    const config = Object.assign({server_url: base, name: key ? "fetching client" : "plain client"},
                                 key ? {fetch_arrays_key: key} : {}, proved.credentials || proved);
    return await imjoyRPCSocketIO.connectToServer(config);
}"""


def test_the_url_is_one_time_bound_to_its_session_and_freed_when_read_or_when_the_session_ends(browser_page,
                                                                                               gateway):
    page = browser_page
    page.goto(gateway.url + "/console")  # a page of the gateway with its client and engine code, not connected
    page.wait_for_function("() => window.imjoyRPCSocketIO && window.imjoyHpcFetchArrays")
    n = 5 * MiB // 4  # float32, larger than a plugin's chunk: the plugin uploads it into a spool file
    page.evaluate("""async ([connect, token, source, n]) => {
        connect = eval(connect);
        window.keyA = imjoyHpcFetchArrays.newKey();
        window.keyB = imjoyHpcFetchArrays.newKey();
        window.a = await connect([token, keyA]);
        window.b = await connect([token, keyB]);
        window.plain = await connect([token, null]);
        window.pluginA = await a.load_plugin(source);
        const pluginPlain = await plain.load_plugin(source);
        const value = await pluginPlain.make("float32", n);
        window.plainForm = {http: "_rhttp" in value, chunks: Array.isArray(value._rvalue) ? value._rvalue.length : 1};
        window.first = await pluginA.make("float32", n);
    }""", [CONNECT, gateway.token, MAKER, n])
    assert page.evaluate("() => window.plainForm") == {"http": False, "chunks": 3}  # today's chunks, 2 MiB each
    first = page.evaluate("() => ({path: first._rhttp, bytes: first._rbytes, value: '_rvalue' in first})")
    assert first["path"].startswith("/ndarray/") and first["bytes"] == n * 4 and not first["value"]
    assert wait_until(lambda: spool_descriptors(gateway.proc.pid), 10), "the unread array waits in its spool"
    answers = page.evaluate("""async () => {
        const url = location.origin + first._rhttp;
        const get = async (target, headers) => {
            const r = await fetch(target, {headers, cache: "no-store"});
            const body = new Uint8Array(await r.arrayBuffer());
            let detail = null;
            try { detail = JSON.parse(new TextDecoder().decode(body)).detail; } catch (e) {}
            return {status: r.status, range: r.headers.get("Content-Range"), length: body.length, detail,
                    head: Array.from(new Float32Array(body.buffer.slice(0, 16)))};
        };
        const other = first._rhttp.slice(0, -4) + (first._rhttp.endsWith("AAAA") ? "BBBB" : "AAAA");
        return {
            noKey: await get(url, {}),
            otherSession: await get(url, {"X-Array-Key": keyB}),
            noCapability: await get(location.origin + "/ndarray/", {"X-Array-Key": keyA}),
            wrongCapability: await get(location.origin + other, {"X-Array-Key": keyA}),
            range: await get(url, {"X-Array-Key": keyA, "Range": "bytes=4-19"}),
            badRange: await get(url, {"X-Array-Key": keyA, "Range": "bytes=99999999-"}),
            head: await (async () => {
                const r = await fetch(url, {method: "HEAD", headers: {"X-Array-Key": keyA}, cache: "no-store"});
                return {status: r.status, length: r.headers.get("Content-Length")};
            })(),
            whole: await get(url, {"X-Array-Key": keyA}),
            again: await get(url, {"X-Array-Key": keyA}),
        };
    }""")
    expected = values("float32", n)
    for name in ("noKey", "otherSession", "wrongCapability", "again"):
        assert answers[name]["status"] == 403, name
        assert "no array for this URL" in answers[name]["detail"], name
    assert answers["noCapability"]["status"] == 404
    assert answers["range"]["status"] == 206 and answers["range"]["range"] == f"bytes 4-19/{n * 4}"
    assert answers["range"]["head"] == expected[1:5].tolist()
    assert answers["badRange"]["status"] == 416
    assert answers["head"] == {"status": 200, "length": str(n * 4)}  # headers only: the array is still there
    assert answers["whole"]["status"] == 200 and answers["whole"]["length"] == n * 4
    assert answers["whole"]["head"] == expected[:4].tolist()
    assert wait_until(lambda: not spool_descriptors(gateway.proc.pid), 10), "a read array frees its spool"
    # an array its page never reads is freed when the session ends
    second = page.evaluate("async ([n]) => { window.second = await pluginA.make('float32', n); return second._rhttp; }",
                           [n])
    assert second.startswith("/ndarray/")
    assert wait_until(lambda: spool_descriptors(gateway.proc.pid), 10)
    page.evaluate("() => a.dispose()")  # imjoy-rpc says goodbye: the session ends
    assert wait_until(lambda: not spool_descriptors(gateway.proc.pid), 10), "the session's end frees its arrays"
    after = page.evaluate("""async () => (await fetch(location.origin + second._rhttp,
                                                      {headers: {"X-Array-Key": keyA}})).status""")
    assert after == 403


def test_ranges_and_what_frees_an_array():
    from imjoy_hpc.gateway.fetch_arrays import FetchableArray, parse_range

    assert parse_range(None, 100) is None
    assert parse_range("bytes=0-9", 100) == (0, 10)
    assert parse_range("bytes=90-", 100) == (90, 100)
    assert parse_range("bytes=-5", 100) == (95, 100)
    assert parse_range("bytes=50-500", 100) == (50, 100)
    for refused in ("bytes=100-", "bytes=5-2", "bytes=0-1,4-5", "items=0-1", "bytes=-"):
        assert parse_range(refused, 100) == "unsatisfiable", refused
    entry = FetchableArray("d", "s", "k", spool=None, size=100)  # type: ignore[arg-type]
    assert not entry.cover(50, 100) and not entry.cover(0, 20) and entry.served == [(0, 20), (50, 100)]
    assert entry.cover(20, 50), "ranges that cover every byte free the array"
