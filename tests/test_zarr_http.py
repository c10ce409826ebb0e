"""Zarr over HTTP (issue 23, item 3): a real plugin's `remote_array` read by zarr-python through a real gateway's
`/zarr/<capability>/` store, the OME-Zarr metadata read as vizarr and neuroglancer read it, and who may read it."""

from __future__ import annotations

import asyncio
import json
import secrets
import socket
import urllib.error
import urllib.request

import numpy as np
import pytest
from gateway_support import connect, disconnect, start_gateway
from support import require

try:
    import zarr
except ImportError:  # pragma: no cover - reported by require()
    zarr = None

pytestmark = pytest.mark.timeout(120)

SHAPE = (5, 1000, 1200)   # uint16 stack; chunks (1, 256, 512): edge chunks on both image axes
VIEWER = "https://viewer.example"

PLUGIN = """<config lang="json">{"name": "Zarr Stack", "type": "native-python"}</config>
<script lang="python">
import numpy as np
from imjoy import api
from imjoy_hpc.plugins.remote_array import remote_array

class Stack:
    def open(self, path, shape):
        return remote_array(np.memmap(path, dtype="uint16", mode="r", shape=tuple(shape)), chunks=(1, 256, 512))

    def image(self):
        return remote_array(np.arange(300 * 700, dtype="float32").reshape(300, 700) / 7)

    def wide(self):
        return remote_array(np.arange(1100 * 1000, dtype="float32").reshape(1100, 1000))

    def table(self):
        return remote_array(np.arange(10, dtype="int64"))

    async def own_url(self):
        arr = remote_array(np.arange(64, dtype="uint8").reshape(8, 8))
        arr.zarr_url = await api.zarr_url(arr)
        return arr.zarr_url

api.export(Stack())
</script>"""


def source() -> np.ndarray:
    return ((np.arange(np.prod(SHAPE), dtype=np.uint64) * 7919) % 65521).astype(np.uint16).reshape(SHAPE)


def declared_body_answer(port: int, path: str) -> bytes:
    """The first line of the answer to a request that declares a 16 MiB body and sends none of it."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: {16 << 20}\r\n\r\n".encode())
        return s.recv(4096).split(b"\r\n")[0]


def fetch(url: str, headers: dict | None = None, method: str = "GET") -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


@pytest.fixture(scope="module")
def stack_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("zarr-stack") / "stack.u16"
    source().tofile(path)
    return path


async def test_zarr_python_reads_a_plugins_remote_array_and_its_levels(tmp_path, stack_file):
    require(zarr is not None, "zarr-python", 'pip install -e ".[test]"')
    gw = start_gateway(tmp_path, {"server": {"zarr-origins": [VIEWER]}})
    client = await connect(gw)
    try:
        plugin = await client.load_plugin(PLUGIN)
        arr = await plugin.open(str(stack_file), list(SHAPE))
        url = arr["zarr_url"]
        assert url.startswith(f"{gw.url}/zarr/") and url.endswith("/") and gw.token not in url
        expected = source()

        def read_with_zarr():
            group = zarr.open_group(url, mode="r", zarr_format=2)
            full = group["0"]
            assert full.shape == SHAPE and full.dtype == np.uint16 and full.chunks == (1, 256, 512)
            np.testing.assert_array_equal(full[2, 100:700, 300:1100], expected[2, 100:700, 300:1100])
            np.testing.assert_array_equal(full[4], expected[4])  # every edge chunk of a plane
            np.testing.assert_array_equal(full[1:3, 990:, 1190:], expected[1:3, 990:, 1190:])
            level1 = group["1"]
            assert level1.shape == (5, 500, 600)
            np.testing.assert_array_equal(level1[3], expected[3, ::2, ::2])
            return dict(group.attrs)

        attrs = await asyncio.to_thread(read_with_zarr)

        # OME-Zarr as vizarr and neuroglancer read it: multiscales[0] -> axes, datasets[].path and their scale
        multiscales = attrs["multiscales"][0]
        assert multiscales["version"] == "0.4"
        assert [(a["name"], a["type"]) for a in multiscales["axes"]] == [("z", "space"), ("y", "space"), ("x", "space")]
        paths = [d["path"] for d in multiscales["datasets"]]
        assert paths == ["0", "1", "2"]  # 1000x1200 -> 500x600 -> 250x300 (~256 px)
        for level, dataset in enumerate(multiscales["datasets"]):
            (transform,) = dataset["coordinateTransformations"]
            assert transform == {"type": "scale", "scale": [1.0, 2.0 ** level, 2.0 ** level]}
            status, _, body = await asyncio.to_thread(fetch, f"{url}{dataset['path']}/.zarray")
            meta = json.loads(body)
            assert status == 200 and meta["zarr_format"] == 2 and meta["dtype"] == "<u2"
            assert meta["shape"] == [5, -(-1000 // 2 ** level), -(-1200 // 2 ** level)]
            assert meta["dimension_separator"] == "/" and meta["compressor"] is None
        # the smallest level, one chunk as a viewer asks for it: 2 / z / y / x
        status, _, body = await asyncio.to_thread(fetch, f"{url}2/1/0/0")
        assert status == 200
        np.testing.assert_array_equal(np.frombuffer(body, "<u2").reshape(1, 250, 300), expected[1:2, ::4, ::4])
        consolidated = json.loads((await asyncio.to_thread(fetch, f"{url}.zmetadata"))[2])["metadata"]
        assert consolidated["2/.zarray"]["shape"] == [5, 250, 300]

        # a 2-D float image: y, x axes; an 1-D array: a plain dataset 0 without multiscales
        image = await plugin.image()
        image_attrs = json.loads((await asyncio.to_thread(fetch, image["zarr_url"] + ".zattrs"))[2])
        assert [a["name"] for a in image_attrs["multiscales"][0]["axes"]] == ["y", "x"]
        got = await asyncio.to_thread(lambda: zarr.open_array(image["zarr_url"] + "1", mode="r", zarr_format=2)[:])
        np.testing.assert_array_equal(got, (np.arange(300 * 700, dtype="float32").reshape(300, 700) / 7)[::2, ::2])
        # chunks over the link's chunk size come to the gateway spooled (chunks (1048, 1000): 4.2 MB)
        wide = await plugin.wide()
        assert list(wide["chunks"]) == [1048, 1000]
        got = await asyncio.to_thread(lambda: zarr.open_array(wide["zarr_url"] + "0", mode="r", zarr_format=2)[:])
        np.testing.assert_array_equal(got, np.arange(1100 * 1000, dtype="float32").reshape(1100, 1000))
        table = await plugin.table()
        assert json.loads((await asyncio.to_thread(fetch, table["zarr_url"] + ".zattrs"))[2]) == {}
        got = await asyncio.to_thread(lambda: zarr.open_array(table["zarr_url"] + "0", mode="r", zarr_format=2)[:])
        np.testing.assert_array_equal(got, np.arange(10))
        # the plugin's own URL for an array of its own (api.zarr_url)
        own = await plugin.own_url()
        got = await asyncio.to_thread(lambda: zarr.open_array(own + "0", mode="r", zarr_format=2)[:])
        np.testing.assert_array_equal(got, np.arange(64, dtype="uint8").reshape(8, 8))

        # HEAD (fsspec's exists/info) answers the size without asking the plugin
        status, headers, body = await asyncio.to_thread(fetch, f"{url}0/0/0/0", None, "HEAD")
        assert status == 200 and headers["Content-Length"] == str(256 * 512 * 2) and body == b""
        status, _, _ = await asyncio.to_thread(fetch, f"{gw.url}/zarr/{secrets.token_urlsafe(32)}/.zgroup", None,
                                               "HEAD")
        assert status == 403

        # a chunk outside the grid: 404 in words; a key that is not in the store: 404
        status, _, body = await asyncio.to_thread(fetch, f"{url}0/5/0/0")
        detail = json.loads(body)["detail"]
        assert status == 404 and "chunk 5/0/0 is outside level 0's grid of 5 x 4 x 3 chunks" in detail, detail
        status, _, body = await asyncio.to_thread(fetch, f"{url}7/.zarray")
        assert status == 404 and "levels 0 to 2" in json.loads(body)["detail"]

        # without the capability: refused; by public id only with the token in a header (never in the URL)
        zarr_id = arr["zarr_id"]
        for bad in [f"{gw.url}/zarr/{secrets.token_urlsafe(32)}/.zgroup", f"{gw.url}/zarr/{zarr_id}/.zgroup",
                    f"{gw.url}/zarr/{zarr_id}/.zgroup?token={gw.token}"]:
            status, _, body = await asyncio.to_thread(fetch, bad)
            assert status == 403 and "no zarr store for this key" in json.loads(body)["detail"], bad
        status, _, _ = await asyncio.to_thread(fetch, f"{gw.url}/zarr/{zarr_id}/.zgroup",
                                               {"Authorization": "Bearer wrong-token-of-some-length"})
        assert status == 401
        status, _, body = await asyncio.to_thread(fetch, f"{gw.url}/zarr/{zarr_id}/0/2/1/1",
                                                  {"Authorization": f"Bearer {gw.token}"})
        assert status == 200
        np.testing.assert_array_equal(np.frombuffer(body, "<u2").reshape(1, 256, 512), expected[2:3, 256:512, 512:1024])

        # no body is read, with or without the capability
        for path in (url[len(gw.url):] + ".zgroup", "/zarr/" + "a" * 43 + "/.zgroup"):
            answer = await asyncio.to_thread(declared_body_answer, gw.port, path)
            assert answer == b"HTTP/1.1 413 Request Entity Too Large", (path, answer)

        # CORS: a configured origin only
        status, headers, _ = await asyncio.to_thread(fetch, url + ".zattrs", {"Origin": VIEWER})
        assert status == 200 and headers.get("Access-Control-Allow-Origin") == VIEWER
        status, headers, _ = await asyncio.to_thread(fetch, url + ".zattrs", {"Origin": VIEWER}, "OPTIONS")
        assert status == 204 and "GET" in headers.get("Access-Control-Allow-Methods", "")
        status, headers, body = await asyncio.to_thread(fetch, url + ".zattrs", {"Origin": "https://evil.example"})
        assert status == 403 and "zarr-origins" in json.loads(body)["detail"]
        assert "Access-Control-Allow-Origin" not in headers

        # listed with the plugin's instance, for a user to copy
        listed = {i["id"]: i for i in await client.list_instances()}[plugin.id]["zarr"]
        assert url in [entry["zarr_url"] for entry in listed]

        # the plugin ends: its stores end with it
        await client.kill_plugin(plugin.id)
        status, _, body = await asyncio.to_thread(fetch, url + ".zgroup")
        assert status == 403, body

        # the client's session ends: the capabilities it was given end too
        other = await client.load_plugin(PLUGIN)
        kept = (await other.image())["zarr_url"]
        assert (await asyncio.to_thread(fetch, kept + ".zgroup"))[0] == 200
    finally:
        await disconnect(client)
    try:
        for _ in range(50):
            status = (await asyncio.to_thread(fetch, kept + ".zgroup"))[0]
            if status == 403:
                break
            await asyncio.sleep(0.1)
        assert status == 403
    finally:
        gw.stop()


def test_levels_and_chunk_regions():
    from imjoy_hpc.gateway.zarr_store import ServedArray, levels_of, zarr_chunks

    assert levels_of((4, 2048, 2048))[-1] == (4, 256, 256) and len(levels_of((4, 2048, 2048))) == 4
    assert levels_of((10, 4, 600, 600)) == [(10, 4, 600, 600)]  # only 2-D and 3-D get levels
    assert zarr_chunks((1, 8192, 8192), 2) == (1, 4096, 8192)  # at most 64 MiB a chunk
    served = ServedArray("id", "digest", "session", get=None, shape=(3, 1000, 1200), dtype=np.dtype("uint16"),
                         chunks=(1, 256, 512), kind="memmap", path="/zarr/x/", alive=lambda: True)
    assert served.chunk_region(1, [2, 1, 1]) == ([[2, 3], [512, 1000, 2], [1024, 1200, 2]], (1, 244, 88))
    with pytest.raises(KeyError, match="outside level 0's grid"):
        served.chunk_region(0, [0, 4, 0])
