"""The real page in headless Chromium (Debian's, never a downloaded one): arrays from a plugin through the gateway
to the vendored imjoy-rpc JS client, joined and decoded to a Float32Array in the page, timed in the page."""

from __future__ import annotations

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


def chromium_rates(url: str, token: str, sizes: list[int], runs: int, profile_dir: Path) -> dict[int, list[float]]:
    """MB/s per size as the page sees it (call to TypedArray), `runs` times each."""
    from browser_support import CHROMIUM_ARGS, chromium_executable
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile_dir), executable_path=chromium_executable(), headless=True, args=CHROMIUM_ARGS)
        try:
            page = context.pages[0] if context.pages else context.new_page()
            page.set_default_timeout(CALL_TIMEOUT_MS)
            page.goto(url.rstrip("/") + "/#token=" + token)
            page.wait_for_function("() => document.getElementById('status').dataset.state === 'connected'",
                                   timeout=CONNECT_TIMEOUT_MS)
            rates = page.evaluate(RECEIVE, [sizes, runs])
        finally:
            context.close()
    return {int(mb): values for mb, values in rates.items()}
