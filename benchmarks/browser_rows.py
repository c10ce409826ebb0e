"""The real page in headless Chromium (Debian's, never a downloaded one): arrays from a plugin through the gateway
to the vendored imjoy-rpc JS client, joined and decoded to a Float32Array in the page, timed in the page.

Beside it, the browser's own ceiling on this machine: a plain tornado websocket server (compression off,
TCP_NODELAY, its own process) sending the same number of bytes as one binary message to a page in the same
Chromium.

`chromium_upload_rates` measures the other direction: an array from the workspace page to a plugin (the engine
uploads arrays larger than one chunk with PUT /array/..., in 64 MiB parts, each a Blob) beside the same Chromium's
PUT of the same bytes as one Blob body to the plain tornado server's sink, taking turns.

`chromium_fetch_rates` measures the HTTP path: the workspace page (the engine fetches arrays larger than one chunk
from the gateway, GET /ndarray/...), beside the websocket path (the console page, which does not ask for the
HTTP form) and the same Chromium's own ceiling for an HTTP body (fetch() of one body from the plain tornado
server), one transfer of each in turn so that all three see the same machine."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CONNECT_TIMEOUT_MS = 60_000
CALL_TIMEOUT_MS = 300_000

RECEIVE = """async ([sizes, runs]) => {
  const join = (value) => {
    const parts = Array.isArray(value) ? value : [value];
    const total = parts.reduce((n, p) => n + p.byteLength, 0);
    const out = new Uint8Array(total);
    let offset = 0;
    for (const p of parts) { out.set(new Uint8Array(p), offset); offset += p.byteLength; }
    return out.buffer;
  };
  const plugin = await window.imjoyHpc.api.load_plugin("Image Filter");
  const rates = {};
  for (const mb of sizes) {
    await plugin.big(mb);  // warm-up
    rates[mb] = [];
    for (let i = 0; i < runs; i++) {
      const started = performance.now();
      const value = await plugin.big(mb);
      const data = new Float32Array(join(value._rvalue));
      const seconds = (performance.now() - started) / 1000;
      if (data.length !== mb * 262144 || data[data.length - 1] !== data.length - 1) {
        throw new Error("array of " + mb + " MB arrived wrong: " + data.length + " values");
      }
      rates[mb].push(mb / seconds);
    }
  }
  return rates;
}"""


RAW_SERVER = r"""
import asyncio, sys, tornado.web, tornado.websocket
class Page(tornado.web.RequestHandler):
    def get(self):
        self.write("<!doctype html><title>raw websocket</title>")
class Bytes(tornado.web.RequestHandler):
    bodies = {}
    def get(self, size):
        body = self.bodies.setdefault(int(size), b"\0" * int(size))
        self.set_header("Content-Type", "application/octet-stream")
        self.set_header("Cache-Control", "no-store")
        self.write(body)
@tornado.web.stream_request_body
class Sink(tornado.web.RequestHandler):
    def prepare(self):
        self.got = 0
    def data_received(self, chunk):
        self.got += len(chunk)
    def put(self):
        self.write(str(self.got))
class Sender(tornado.websocket.WebSocketHandler):
    def get_compression_options(self):
        return None
    def open(self):
        self.set_nodelay(True)
    async def on_message(self, message):
        await self.write_message(b"\0" * int(message), binary=True)
async def main():
    app = tornado.web.Application([("/", Page), ("/ws", Sender), (r"/bytes/(\d+)", Bytes), ("/sink", Sink)],
                                  websocket_max_message_size=1 << 30)
    server = app.listen(0, "127.0.0.1", max_body_size=1 << 32)
    print(next(iter(server._sockets.values())).getsockname()[1], flush=True)
    await asyncio.Event().wait()
asyncio.run(main())
"""

RAW_RECEIVE = """async ([sizes, runs]) => {
  const ws = new WebSocket("ws://" + location.host + "/ws");
  ws.binaryType = "arraybuffer";
  await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = reject; });
  const get = (size) => new Promise((resolve) => { ws.onmessage = (e) => resolve(e.data); ws.send(String(size)); });
  const rates = {};
  for (const mb of sizes) {
    await get(mb * 1048576);
    rates[mb] = [];
    for (let i = 0; i < runs; i++) {
      const started = performance.now();
      const data = new Float32Array(await get(mb * 1048576));
      rates[mb].push(mb / ((performance.now() - started) / 1000));
      if (data.length !== mb * 262144) throw new Error("short message");
    }
  }
  ws.close();
  return rates;
}"""


def chromium_rates(url: str, token: str, sizes: list[int], runs: int,
                   profile_dir: Path) -> tuple[dict[int, list[float]], dict[int, list[float]]]:
    """MB/s per size as the page sees it (call to TypedArray), `runs` times each; and the plain websocket's."""
    from browser_support import CHROMIUM_ARGS, chromium_executable
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile_dir), executable_path=chromium_executable(), headless=True, args=CHROMIUM_ARGS)
        try:
            page = context.pages[0] if context.pages else context.new_page()
            page.set_default_timeout(CALL_TIMEOUT_MS)
            page.goto(url.rstrip("/") + "/console#token=" + token)  # the console page exposes window.imjoyHpc
            page.wait_for_function("() => document.getElementById('status').dataset.state === 'connected'",
                                   timeout=CONNECT_TIMEOUT_MS)
            rates = page.evaluate(RECEIVE, [sizes, runs])
            raw = subprocess.Popen([sys.executable, "-c", RAW_SERVER], stdout=subprocess.PIPE, text=True)
            try:
                page.goto(f"http://127.0.0.1:{int(raw.stdout.readline())}/")
                raw_rates = page.evaluate(RAW_RECEIVE, [sizes, runs])
            finally:
                raw.terminate()
                raw.wait(10)
        finally:
            context.close()
    return ({int(mb): values for mb, values in rates.items()},
            {int(mb): values for mb, values in raw_rates.items()})


WS_SETUP = """async () => { window.benchPlugin = await window.imjoyHpc.api.load_plugin("Image Filter"); }"""
FETCH_SETUP = """async () => {
  window.benchPlugin = await window.imjoyHpcWorkspace.server.load_plugin("Image Filter");
}"""
# One transfer, call to Float32Array, timed in the page (MB/s); the websocket path joins its chunks.
ONE_ARRAY = """async (mb) => {
  const started = performance.now();
  const value = await window.benchPlugin.big(mb);
  const parts = Array.isArray(value._rvalue) ? value._rvalue : [value._rvalue];
  let buffer = parts[0];
  if (parts.length > 1) {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
    let offset = 0;
    for (const p of parts) { out.set(new Uint8Array(p), offset); offset += p.byteLength; }
    buffer = out.buffer;
  }
  const data = new Float32Array(buffer);
  const seconds = (performance.now() - started) / 1000;
  if (data.length !== mb * 262144 || data[data.length - 1] !== Math.fround(data.length - 1)) {
    throw new Error("array of " + mb + " MB arrived wrong: " + data.length + " values");
  }
  return {rate: mb / seconds, pieces: parts.length};
}"""
ONE_BODY = """async (mb) => {
  const started = performance.now();
  const response = await fetch("/bytes/" + mb * 1048576, {cache: "no-store"});
  const data = new Float32Array(await response.arrayBuffer());
  const seconds = (performance.now() - started) / 1000;
  if (data.length !== mb * 262144) throw new Error("short body");
  return {rate: mb / seconds, pieces: 1};
}"""


def chromium_fetch_rates(url: str, token: str, sizes: list[int], runs: int,
                         profile_dir: Path) -> dict[str, dict[int, list[float]]]:
    """MB/s per size, `runs` times each, taking turns: {"fetch": the workspace page (HTTP path), "websocket": the
    console page (websocket path), "ceiling": fetch() of one body from a plain tornado server}."""
    from browser_support import CHROMIUM_ARGS, chromium_executable
    from playwright.sync_api import sync_playwright

    raw = subprocess.Popen([sys.executable, "-c", RAW_SERVER], stdout=subprocess.PIPE, text=True)
    rates: dict[str, dict[int, list[float]]] = {"fetch": {}, "websocket": {}, "ceiling": {}}
    try:
        raw_url = f"http://127.0.0.1:{int(raw.stdout.readline())}/"
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                str(profile_dir), executable_path=chromium_executable(), headless=True, args=CHROMIUM_ARGS)
            try:
                pages = {name: context.new_page() for name in rates}
                for page in pages.values():
                    page.set_default_timeout(CALL_TIMEOUT_MS)
                pages["fetch"].goto(url.rstrip("/") + "/#token=" + token)
                pages["fetch"].wait_for_function(
                    "() => document.getElementById('status').dataset.state === 'connected'", timeout=CONNECT_TIMEOUT_MS)
                pages["fetch"].evaluate(FETCH_SETUP)
                pages["websocket"].goto(url.rstrip("/") + "/console#token=" + token)
                pages["websocket"].wait_for_function(
                    "() => document.getElementById('status').dataset.state === 'connected'", timeout=CONNECT_TIMEOUT_MS)
                pages["websocket"].evaluate(WS_SETUP)
                pages["ceiling"].goto(raw_url)
                for mb in sizes:
                    for name, page in pages.items():
                        page.evaluate(ONE_BODY if name == "ceiling" else ONE_ARRAY, mb)  # warm-up
                        rates[name][mb] = []
                    for _ in range(runs):
                        for name, page in pages.items():
                            page.bring_to_front()  # the page measured is the visible one (no background throttling)
                            got = page.evaluate(ONE_BODY if name == "ceiling" else ONE_ARRAY, mb)
                            if name == "fetch" and got["pieces"] != 1:
                                raise AssertionError("the workspace got the array over the websocket, not fetched")
                            rates[name][mb].append(got["rate"])
            finally:
                context.close()
    finally:
        raw.terminate()
        raw.wait(10)
    return rates


# Page -> plugin: a uint32 array made in the page (outside the time), passed as ImJoy passes an ndarray to
# `take(x)` of the sink plugin, which answers [bytes, first, last]; timed in the page, call to answer.
UPLOAD_SETUP = """async (name) => {
  const deadline = Date.now() + 120000;
  for (;;) {
    const p = window.imjoyHpcWorkspace.imjoy.pm.plugin_names[name];
    if (p && p.api && p.api.take) { window.benchSink = p.api; return; }
    if (Date.now() > deadline) throw new Error("plugin " + name + " did not load");
    await new Promise((r) => setTimeout(r, 200));
  }
}"""
ONE_UPLOAD = """async (mb) => {
  const n = mb * 262144;
  const bits = new Uint32Array(n);
  bits[0] = 7; bits[n - 1] = n - 1;
  const x = {_rtype: "ndarray", _rvalue: bits.buffer, _rshape: [n], _rdtype: "uint32"};
  const started = performance.now();
  const answer = await window.benchSink.take(x);
  const seconds = (performance.now() - started) / 1000;
  if (answer[0] !== n * 4 || answer[1] !== 7 || answer[2] !== n - 1) {
    throw new Error("array of " + mb + " MB arrived wrong: " + JSON.stringify(answer));
  }
  return mb / seconds;
}"""
ONE_PUT = """async (mb) => {
  const n = mb * 262144;
  const bits = new Uint32Array(n);
  bits[0] = 7; bits[n - 1] = n - 1;
  // a Blob body, as the engine sends: an ArrayBuffer body went at ~11 MB/s and crashed the page at 256 MB
  const started = performance.now();
  const response = await fetch("/sink", {method: "PUT", body: new Blob([bits]), cache: "no-store"});
  const got = Number(await response.text());
  const seconds = (performance.now() - started) / 1000;
  if (got !== n * 4) throw new Error("the sink got " + got + " bytes of " + n * 4);
  return mb / seconds;
}"""
SINK_NAME = "Upload Sink"


def sink_plugin() -> str:
    """A plugin whose take(x) answers [bytes, first and last uint32 element] of the array it is given."""
    from imjoy_plugins import python_plugin

    return python_plugin(SINK_NAME, "return 'ready'", header="import numpy as np").replace(
        "    async def setup(self):",
        "    def take(self, x):\n        x = np.asarray(x).reshape(-1).view(np.uint32)\n"
        "        return [int(x.nbytes), int(x[0]), int(x[-1])]\n\n    async def setup(self):")


def chromium_upload_rates(url: str, token: str, sizes: list[int], runs: int,
                          profile_dir: Path) -> dict[str, dict[int, list[float]]]:
    """MB/s per size, `runs` times each, taking turns: {"upload": the workspace page -> a plugin through the
    engine, "ceiling": the same Chromium's PUT of the same bytes as one body to a plain tornado sink}."""
    from browser_support import CHROMIUM_ARGS, chromium_executable
    from playwright.sync_api import sync_playwright

    raw = subprocess.Popen([sys.executable, "-c", RAW_SERVER], stdout=subprocess.PIPE, text=True)
    rates: dict[str, dict[int, list[float]]] = {"upload": {}, "ceiling": {}}
    try:
        raw_url = f"http://127.0.0.1:{int(raw.stdout.readline())}/"
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                str(profile_dir), executable_path=chromium_executable(), headless=True, args=CHROMIUM_ARGS)
            try:
                pages = {name: context.new_page() for name in rates}
                for page in pages.values():
                    page.set_default_timeout(CALL_TIMEOUT_MS)
                workspace = pages["upload"]
                workspace.goto(url.rstrip("/") + "/#token=" + token)
                workspace.wait_for_function(
                    "() => document.getElementById('status').dataset.state === 'connected'", timeout=CONNECT_TIMEOUT_MS)
                workspace.fill("#plugin-source", sink_plugin())
                workspace.click("#load-source")
                workspace.evaluate(UPLOAD_SETUP, SINK_NAME)
                pages["ceiling"].goto(raw_url)
                for mb in sizes:
                    for name, page in pages.items():
                        page.evaluate(ONE_PUT if name == "ceiling" else ONE_UPLOAD, mb)  # warm-up
                        rates[name][mb] = []
                    for _ in range(runs):
                        for name, page in pages.items():
                            page.bring_to_front()
                            rates[name][mb].append(page.evaluate(ONE_PUT if name == "ceiling" else ONE_UPLOAD, mb))
            finally:
                context.close()
    finally:
        raw.terminate()
        raw.wait(10)
    return rates
