"""A 2048x2048 uint16 plane of an on-disk stack through the gateway's zarr endpoint (zarr-python over fsspec's HTTP
filesystem), beside the same plane read with `remote_array.get` over imjoy-rpc, in one run; and the same plane into
the workspace page in headless Chromium (its chunks fetched from the zarr endpoint and decoded into one
Uint16Array), beside the same Chromium fetching the same bytes, as many bodies of the same size, from a plain tornado
server and decoding them the same way, taking turns.

    .venv/bin/python benchmarks/bench_zarr.py [--runs 5] [--gb 2] [--no-page]

Ours: a real `imjoy-hpc serve` (local Dask cluster) and a plugin returning `remote_array(np.memmap(...))` of a
<gb> GB uint16 stack (planes of 2048x2048, chunks of half a plane: 4 MiB) in a temporary directory. The file is
sparse except for the planes read (written first, so they are in the page cache, as for both paths). Each run reads
another plane: `zarr.open_array(<zarr_url>0)[z]` (two chunk GETs, fetched concurrently by zarr) and the imjoy-rpc
client's `arr.read([z])`. Goal (issue 23): < 0.5 s on loopback, through zarr-python and into the page.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from common import summary
from stack_support import STACK, plane as stack_plane, write_stack  # tests/, put on sys.path by common

PLANE = (2048, 2048)
SAMPLES = [0, 1, 2047, 2048, 1024 * 2048 + 5, 2048 * 2048 - 1]  # pixels of a plane the page sends back to check

# One plane of a zarr v2 array of uint16 (chunks (1, ch, cw), keys "<z>/<cy>/<cx>") into a Uint16Array in the page:
# every chunk fetched at once (as viewers do), each copied row by row into place; timed in the page, in ms.
READ_PLANE = """async ([urls, height, width, ch, cw, samples]) => {
  const started = performance.now();
  const plane = new Uint16Array(height * width);
  const columns = Math.ceil(width / cw);
  await Promise.all(urls.map(async (url, i) => {
    const response = await fetch(url, {cache: "no-store"});
    if (!response.ok) throw new Error(url + ": " + response.status);
    const chunk = new Uint16Array(await response.arrayBuffer());
    const cy = Math.floor(i / columns), cx = i % columns, w = Math.min(cw, width - cx * cw);
    for (let y = 0; y < ch && cy * ch + y < height; y++) {
      plane.set(chunk.subarray(y * cw, y * cw + w), (cy * ch + y) * width + cx * cw);
    }
  }));
  return {ms: performance.now() - started, samples: samples.map((i) => plane[i])};
}"""


def page_rows(gw, zarr_path: str, shape: tuple[int, ...], chunks: list[int], planes: list[int],
              profile: Path) -> tuple[list[float], list[float]]:
    """ms per plane into the workspace page through the zarr endpoint, and the same Chromium's fetch() of the same
    bytes from a plain tornado server (the ceiling), taking turns."""
    import subprocess
    import sys

    from browser_rows import CONNECT_TIMEOUT_MS, RAW_SERVER
    from browser_support import CHROMIUM_ARGS, chromium_executable
    from playwright.sync_api import sync_playwright

    ch, cw = chunks[1], chunks[2]
    keys = [f"{cy}/{cx}" for cy in range(-(-shape[1] // ch)) for cx in range(-(-shape[2] // cw))]
    args = [shape[1], shape[2], ch, cw, SAMPLES]
    raw = subprocess.Popen([sys.executable, "-c", RAW_SERVER], stdout=subprocess.PIPE, text=True)
    ours, ceiling = [], []
    try:
        raw_url = f"http://127.0.0.1:{int(raw.stdout.readline())}/"
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                str(profile), executable_path=chromium_executable(), headless=True, args=CHROMIUM_ARGS)
            try:
                page, plain = context.new_page(), context.new_page()
                page.goto(gw.url.rstrip("/") + "/#token=" + gw.token)
                page.wait_for_function("() => document.getElementById('status').dataset.state === 'connected'",
                                       timeout=CONNECT_TIMEOUT_MS)
                plain.goto(raw_url)
                body = [f"/bytes/{ch * cw * 2}"] * len(keys)
                page.evaluate(READ_PLANE, [[f"{zarr_path}0/0/{k}" for k in keys], *args])  # warm
                plain.evaluate(READ_PLANE, [body, *args])
                for z in planes:
                    page.bring_to_front()
                    got = page.evaluate(READ_PLANE, [[f"{zarr_path}0/{z}/{k}" for k in keys], *args])
                    expected = plane(z).reshape(-1)[SAMPLES].tolist()
                    assert got["samples"] == expected, f"plane {z} differs in the page: {got['samples']} {expected}"
                    ours.append(got["ms"])
                    plain.bring_to_front()
                    ceiling.append(plain.evaluate(READ_PLANE, [body, *args])["ms"])
            finally:
                context.close()
    finally:
        raw.terminate()
        raw.wait(10)
    return ours, ceiling


def plane(z: int) -> np.ndarray:
    return stack_plane(z, PLANE)


async def main(runs: int, gb: float, in_page: bool = True) -> None:
    import zarr
    from gateway_support import connect, disconnect, start_gateway

    depth = max(runs * 3 + 1, int(gb * 2**30 // (PLANE[0] * PLANE[1] * 2)))
    shape = (depth, *PLANE)
    with tempfile.TemporaryDirectory(prefix="bench-zarr-") as tmp:
        path = Path(tmp) / "stack.u16"
        zarr_planes = [depth // 2 + i for i in range(runs)]
        rpc_planes = [depth // 2 - 1 - i for i in range(runs)]
        page_planes = [depth // 2 + runs + i for i in range(runs)]
        write_stack(path, shape, zarr_planes + rpc_planes + page_planes)
        gw = start_gateway(Path(tmp))
        client = await connect(gw)
        try:
            arr = await (await client.load_plugin(STACK)).open(str(path), list(shape))
            url = arr["zarr_url"] + "0"
            level0 = await asyncio.to_thread(zarr.open_array, url, mode="r", zarr_format=2)
            await asyncio.to_thread(lambda: level0[0])  # warm: connections, zarr's codec pipeline
            await arr.read([0])
            zarr_s, rpc_s = [], []
            for z_zarr, z_rpc in zip(zarr_planes, rpc_planes):
                start = time.perf_counter()
                got = await asyncio.to_thread(lambda: level0[z_zarr])
                zarr_s.append((time.perf_counter() - start) * 1000)
                assert np.array_equal(got, plane(z_zarr)), f"plane {z_zarr} differs through zarr"
                start = time.perf_counter()
                got = await arr.read([z_rpc])
                rpc_s.append((time.perf_counter() - start) * 1000)
                assert np.array_equal(got, plane(z_rpc)), f"plane {z_rpc} differs through imjoy-rpc"
            if in_page:  # while the client's session (which the zarr URL is bound to) lasts
                page_ms, ceiling_ms = await asyncio.to_thread(
                    page_rows, gw, arr["zarr_path"], shape, arr["chunks"], page_planes, Path(tmp) / "chromium")
        finally:
            await disconnect(client)
            gw.stop()
    print(f"stack {list(shape)} uint16, {depth * PLANE[0] * PLANE[1] * 2 / 2**30:.1f} GiB on disk, "
          f"plane 8 MiB, chunks {arr['chunks']}, median [min-max] of {runs} runs (ms)")
    zarr_med, rpc_med = statistics.median(zarr_s), statistics.median(rpc_s)
    print(f"{'zarr endpoint (zarr-python)':<32} {summary(zarr_s)} ms   "
          f"{'remote_array.get (imjoy-rpc)':<30} {summary(rpc_s)} ms   zarr/rpc {zarr_med / rpc_med:5.2f}x   "
          f"goal < 500 ms: {'met' if zarr_med < 500 else 'NOT met'}")
    if in_page:
        page_med, ceiling_med = statistics.median(page_ms), statistics.median(ceiling_ms)
        print(f"{'zarr endpoint into the page':<32} {summary(page_ms)} ms   "
              f"{'fetch() of the same bodies':<30} {summary(ceiling_ms)} ms   page/fetch {page_med / ceiling_med:5.2f}x"
              f"   goal < 500 ms: {'met' if page_med < 500 else 'NOT met'}")
        print("  (the page: workspace page in headless Chromium, chunks fetched at once and decoded into one "
              "Uint16Array; fetch(): the same Chromium, the same number of bodies of the same size from a plain "
              "tornado server, decoded the same way, taking turns)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--gb", type=float, default=2.0)
    parser.add_argument("--no-page", action="store_true", help="skip the rows of the workspace page in Chromium")
    options = parser.parse_args()
    asyncio.run(main(options.runs, options.gb, not options.no_page))
