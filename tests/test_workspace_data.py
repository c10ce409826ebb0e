"""Data brought into the workspace (headless Chromium): a multi-page TIFF dropped on the page becomes a stack window
whose pixels reach a plugin's op as a 3-D ndarray, exactly; a PNG becomes an image window; a 300 MB file picked
with "Open files" is streamed to the gateway (its memory sampled while it arrives: bounded growth) and a plugin's
op reads it at the path the files window gives; the upload route refuses a request without the token before
reading its body."""

from __future__ import annotations

import base64
import http.client
import json
import os
import struct
import threading
import time
import zlib
from collections.abc import Iterator

import gateway_support
import numpy as np
import psutil
import pytest
from imjoy_app_plugins import imjoy_file
from test_workspace import load_source, open_workspace
from test_workspace_editor import shot

pytest_plugins = ["browser_support"]
pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]
RUN_MS = 120_000
BIG = 300 * 2**20

PROBE = imjoy_file({"name": "Data Probe", "type": "native-python"}, """
import os
from imjoy import api


class ImJoyPlugin:
    async def setup(self):
        await api.register({"name": "Stack Stats", "inputs": {"image": {"type": "object"}}, "run": self.stack})
        await api.register({"name": "File Size", "inputs": {"files": {"type": "array"}}, "run": self.size})

    async def run(self, my):
        return "ready"

    async def stack(self, my):
        image = my.data["image"]
        return {"shape": list(image.shape), "dtype": str(image.dtype), "sum": int(image.sum()),
                "corner": int(image[-1, -1, -1]), "first": image[0, 0, :4].tolist(), "name": my.data["name"]}

    async def size(self, my):
        path = my.data["files"][0]["path"]
        with open(path, "rb") as f:
            head = f.read(16)
            f.seek(-16, 2)
            tail = f.read(16)
        return {"size": os.path.getsize(path), "head": head.hex(), "tail": tail.hex()}


api.export(ImJoyPlugin())
""")


def tiff_pages(stack: np.ndarray) -> bytes:
    """A minimal little-endian, uncompressed multi-page TIFF of a (pages, height, width) uint16 stack."""
    pages, height, width = stack.shape
    out = bytearray(b"II*\x00" + struct.pack("<I", 0))
    link = 4  # where the offset of the next IFD goes
    for page in stack.astype("<u2"):
        data_at = len(out)
        out += page.tobytes()
        if len(out) % 2:
            out += b"\x00"
        ifd_at = len(out)
        struct.pack_into("<I", out, link, ifd_at)
        entries = [(256, 4, width), (257, 4, height), (258, 3, 16), (259, 3, 1), (262, 3, 1), (273, 4, data_at),
                   (277, 3, 1), (278, 4, height), (279, 4, page.nbytes), (339, 3, 1)]
        out += struct.pack("<H", len(entries))
        for tag, kind, value in entries:
            out += struct.pack("<HHI", tag, kind, 1) + (struct.pack("<HH", value, 0) if kind == 3
                                                         else struct.pack("<I", value))
        link = len(out)
        out += struct.pack("<I", 0)
    return bytes(out)


def png(rgb: np.ndarray) -> bytes:
    height, width, _ = rgb.shape
    raw = b"".join(b"\x00" + row.tobytes() for row in rgb.astype("u1"))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def drop(page, name: str, data: bytes, mime: str) -> None:
    """Drop a file on the window area, as a user dragging it from their desktop."""
    page.evaluate("""([name, b64, mime]) => {
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([bytes], name, {type: mime}));
        const target = document.getElementById('windows');
        target.dispatchEvent(new DragEvent('dragover', {bubbles: true, cancelable: true, dataTransfer: transfer}));
        target.dispatchEvent(new DragEvent('drop', {bubbles: true, cancelable: true, dataTransfer: transfer}));
    }""", [name, base64.b64encode(data).decode(), mime])


def returned(page, who: str) -> dict:
    find = f"() => [...document.querySelectorAll('#messages li')].find(l => l.firstChild.textContent.startsWith(" \
           f"{who + ' returned '!r}))"
    page.wait_for_function(f"() => !!({find})()", timeout=RUN_MS)
    return json.loads(page.evaluate(f"() => ({find})().firstChild.textContent").split(" returned ", 1)[1])


def run_op(page, plugin: str, op: str) -> None:
    page.locator(f'#plugins li[data-name="{plugin}"] ul.ops li[data-op="{op}"] button.run-op').click()


@pytest.fixture(scope="module")
def gateway(tmp_path_factory) -> Iterator[gateway_support.RunningGateway]:
    gw = gateway_support.start_gateway(tmp_path_factory.mktemp("data-gateway"))
    yield gw
    assert gw.stop() == 0, gw.log()[-3000:]


def test_dropped_multipage_tiff_reaches_an_op_as_a_3d_array(browser_page, gateway, tmp_path):
    page = browser_page
    open_workspace(page, gateway)
    load_source(page, PROBE, "Data Probe")
    page.locator('#plugins li[data-name="Data Probe"] ul.ops li[data-op="Stack Stats"]').wait_for(timeout=RUN_MS)
    stack = (np.arange(5 * 40 * 60, dtype=np.uint32) * 37 % 65521).astype(np.uint16).reshape(5, 40, 60)
    drop(page, "cells.tif", tiff_pages(stack), "image/tiff")
    box = page.locator('.window[data-name="cells.tif"][data-type="imjoy/image"]')
    box.wait_for(timeout=RUN_MS)
    assert box.locator("canvas").count() == 1, "drawn by the stack viewer"
    assert "active" in box.get_attribute("class")
    shot(page, tmp_path, "dropped-tiff")
    run_op(page, "Data Probe", "Stack Stats")
    got = returned(page, "Data Probe/Stack Stats")
    assert got == {"shape": [5, 40, 60], "dtype": "uint16", "sum": int(stack.astype(np.int64).sum()),
                   "corner": int(stack[-1, -1, -1]), "first": stack[0, 0, :4].tolist(), "name": "cells.tif"}
    # a PNG: an image window (ImJoy's), its pixels an RGBA array for ops
    rgb = np.zeros((8, 12, 3), np.uint8)
    rgb[..., 0] = 200
    rgb[2:5, 3:9, 1] = 90
    drop(page, "red.png", png(rgb), "image/png")
    picture = page.locator('.window[data-name="red.png"]')
    picture.wait_for(timeout=RUN_MS)
    assert picture.locator("img").count() == 1
    shape = page.evaluate("() => { const b = [...document.querySelectorAll('.window')].find(w => w.dataset.name === "
                          "'red.png'); return b.window.data.image._rshape; }")
    assert shape == [8, 12, 4]
    # windows move by their title bar: dropped on another window, a window takes its place
    order = lambda: page.eval_on_selector_all("#windows > .window[data-type='imjoy/image']",
                                           "l => l.map(w => w.dataset.name)")  # noqa: E731
    assert order() == ["cells.tif", "red.png"]
    title = picture.locator(".title span").bounding_box()
    target = box.bounding_box()
    page.mouse.move(title["x"] + 10, title["y"] + 5)
    page.mouse.down()
    page.mouse.move(target["x"] + 50, target["y"] + 50, steps=5)
    page.mouse.up()
    assert order() == ["red.png", "cells.tif"]


def test_a_300mb_file_streams_to_the_gateway_with_bounded_memory(browser_page, gateway, tmp_path):
    page = browser_page
    open_workspace(page, gateway)
    load_source(page, PROBE, "Data Probe")
    big = tmp_path / "big.raw"
    head, tail = os.urandom(1 << 20), os.urandom(1 << 20)
    with open(big, "wb") as f:
        f.write(head)
        f.truncate(BIG - len(tail))
        f.seek(BIG - len(tail))
        f.write(tail)
    process = psutil.Process(gateway.proc.pid)
    baseline = process.memory_info().rss
    peak = [baseline]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], process.memory_info().rss)
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        started = time.monotonic()
        page.set_input_files("#open-files-input", str(big))
        box = page.locator('.window[data-name="big.raw"]')
        box.wait_for(timeout=RUN_MS)
        took = time.monotonic() - started
    finally:
        done.set()
        sampler.join()
    growth = (peak[0] - baseline) / 2**20
    print(f"300 MB upload: {took:.1f} s, gateway RSS {baseline / 2**20:.0f} MB -> peak {peak[0] / 2**20:.0f} MB")
    assert growth < 64, f"the gateway grew by {growth:.0f} MB while a 300 MB file arrived"
    stored = sorted((gateway.state_dir / "uploads").glob("*/big.raw"))
    assert stored and stored[-1].stat().st_size == BIG
    shot(page, tmp_path, "uploaded-file")
    run_op(page, "Data Probe", "File Size")
    got = returned(page, "Data Probe/File Size")
    assert got == {"size": BIG, "head": head[:16].hex(), "tail": tail[-16:].hex()}


def test_upload_route_refuses_before_reading_the_body(gateway):
    connection = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=10)
    connection.putrequest("PUT", "/upload/x.bin")
    connection.putheader("Content-Length", str(BIG))
    connection.endheaders()
    connection.send(b"x" * 1024)  # the rest never comes: the answer must not wait for it
    answer = connection.getresponse()
    assert answer.status == 401 and b"token" in answer.read()
    connection.close()
    assert not list((gateway.state_dir / "uploads").glob("*/x.bin"))
