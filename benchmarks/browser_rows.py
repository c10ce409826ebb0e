"""The real page in headless Chromium (Debian's, never a downloaded one): arrays from a plugin through the gateway
to the vendored imjoy-rpc JS client, joined and decoded to a Float32Array in the page, timed in the page.

Beside it, the browser's own ceiling on this machine: a plain tornado websocket server (compression off,
TCP_NODELAY, its own process) sending the same number of bytes as one binary message to a page in the same
Chromium."""

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
class Sender(tornado.websocket.WebSocketHandler):
    def get_compression_options(self):
        return None
    def open(self):
        self.set_nodelay(True)
    async def on_message(self, message):
        await self.write_message(b"\0" * int(message), binary=True)
async def main():
    app = tornado.web.Application([("/", Page), ("/ws", Sender)], websocket_max_message_size=1 << 30)
    server = app.listen(0, "127.0.0.1")
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
