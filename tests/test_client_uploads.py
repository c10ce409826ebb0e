"""Large arrays from Python clients to a plugin through a real gateway: imjoy-hpc's own client uploads them
(`PUT /array/<id>` on the front door, into a spool file), the published imjoy-rpc client sends each as one
websocket message that the gateway spools as it arrives; either way the gateway's memory does not grow with them.
A client that goes away mid-upload frees its spool at once; the route refuses what it must, in words."""

from __future__ import annotations

import asyncio
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from array_checker import CHECKER, pattern
from gateway_support import connect, disconnect, start_gateway
from test_array_memory import RssPeak, spool_descriptors, wait_until

from imjoy_hpc.rpc.sioclient import connect_to_gateway

pytestmark = pytest.mark.timeout(600)
MiB = 2**20


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    gw = start_gateway(tmp_path_factory.mktemp("client-uploads"),
                       {"server": {"allowed-origins": ["http://127.0.0.1:1"]}})
    yield gw
    assert gw.stop() == 0, gw.log()[-3000:]


async def test_a_512_mb_array_from_imjoy_hpc_s_client_reaches_a_plugin_with_the_gateway_s_memory_bounded(gateway):
    client = await connect_to_gateway(gateway.url, gateway.token, "uploading script")
    try:
        checker = await client.peer.remote.load_plugin(CHECKER)
        n = 512 * MiB // 4  # half of the published client's test below: the same path, bounded alike
        x = pattern(n)
        rss = RssPeak(gateway.proc.pid)
        answer = await asyncio.wait_for(checker.check(x), 300)
        growth = rss.stop()
    finally:
        await client.disconnect()
    assert answer == [n, [n], "float32", 0]
    print(f"the gateway's RSS grew {growth:.0f} MB while a 512 MB array went from imjoy-hpc's client to the plugin")
    assert growth < 128, f"the gateway's RSS grew {growth:.0f} MB for a 512 MB array"
    assert wait_until(lambda: not spool_descriptors(gateway.proc.pid), 10)


async def test_a_1_gb_array_from_the_imjoy_rpc_client_reaches_a_plugin_with_the_gateway_s_memory_bounded(gateway):
    """The published client sends an array as one websocket message (1 GB here; the message limit is 8 MiB)."""
    client = await connect(gateway, name="imjoy-rpc script")
    try:
        checker = await client.load_plugin(CHECKER)
        n = 1024 * MiB // 4
        x = pattern(n)
        rss = RssPeak(gateway.proc.pid)
        answer = await asyncio.wait_for(checker.check(x), 300)
        growth = rss.stop()
    finally:
        await disconnect(client)
    assert answer == [n, [n], "float32", 0]
    print(f"the gateway's RSS grew {growth:.0f} MB while a 1 GB array went from the imjoy-rpc client to the plugin")
    assert growth < 128, f"the gateway's RSS grew {growth:.0f} MB for a 1 GB array"
    assert wait_until(lambda: not spool_descriptors(gateway.proc.pid), 10)


UPLOADING_CLIENT = r"""
import asyncio, sys
import numpy as np
sys.path.insert(0, sys.argv[3])
sys.path.insert(0, sys.argv[4])
from shaped_link import ShapedLink
from array_checker import CHECKER
from imjoy_hpc.rpc.sioclient import connect_to_gateway
async def main():
    link = ShapedLink(int(sys.argv[1]), delay=0.001, rate=10e6)
    client = await connect_to_gateway(f"http://127.0.0.1:{link.port}", sys.argv[2], "leaving uploader")
    checker = await client.peer.remote.load_plugin(CHECKER)
    print("loaded", flush=True)
    await checker.check(np.zeros(256 * 2**20 // 4, dtype=np.float32))
    print("sent", flush=True)
asyncio.run(main())
"""


async def test_a_client_gone_mid_upload_frees_its_spool_at_once(gateway):
    tests = Path(__file__).resolve().parent
    client = await asyncio.create_subprocess_exec(
        sys.executable, "-c", UPLOADING_CLIENT, str(gateway.port), gateway.token, str(tests.parent / "benchmarks"),
        str(tests), stdout=asyncio.subprocess.PIPE)
    try:
        assert (await asyncio.wait_for(client.stdout.readline(), 120)).strip() == b"loaded"
        rss = RssPeak(gateway.proc.pid)
        # the upload (about 25 s at 10 MB/s) is under way: its spool is open
        assert await asyncio.to_thread(wait_until, lambda: spool_descriptors(gateway.proc.pid), 30)
        await asyncio.sleep(2)
        client.kill()
        await client.wait()
        freed = await asyncio.to_thread(wait_until, lambda: not spool_descriptors(gateway.proc.pid), 2)
        growth = rss.stop()
    finally:
        if client.returncode is None:
            client.kill()
            await client.wait()
    assert freed, "the spool of a client that left mid-upload is still held"
    assert growth < 64, f"the gateway's RSS grew {growth:.0f} MB"


def put(gateway, path: str, headers: dict, body: bytes = b"") -> tuple[int, dict, str]:
    request = urllib.request.Request(gateway.url + path, data=body, method="PUT" if body is not None else "OPTIONS",
                                     headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def test_the_upload_route_refuses_in_words(gateway):
    path = "/array/" + "0" * 32
    status, _, body = put(gateway, path, {"Authorization": "Bearer " + "x" * 43}, b"1234")
    assert status == 403 and "unknown upload key" in body
    status, _, body = put(gateway, path, {"Authorization": "Bearer " + gateway.token, "Origin": "http://evil.test"},
                          b"1234")
    assert status == 403 and "allowed-origins" in body
    status, headers, _ = put(gateway, path, {"Origin": "http://127.0.0.1:1", "Access-Control-Request-Method": "PUT",
                                             "Access-Control-Request-Headers": "authorization,content-range"}, None)
    assert status == 204 and headers["Access-Control-Allow-Origin"] == "http://127.0.0.1:1"
    assert "Content-Range" in headers["Access-Control-Allow-Headers"]
    status, _, body = put(gateway, path, {"Host": "evil.test:80", "Authorization": "Bearer x"}, b"1234")
    assert status == 403 and "Host" in body


def test_only_an_array_s_bytes_may_come_as_a_spooled_message():
    from types import SimpleNamespace

    from imjoy_hpc.transport.spooled_messages import array_attachment

    data = ["plugin_message", {"type": "method", "args": [
        {"_rtype": "ndarray", "_rvalue": {"_placeholder": True, "num": 1}, "_rshape": [4], "_rdtype": "uint8"},
        {"_rtype": "bytes", "_rvalue": {"_placeholder": True, "num": 0}}]}]
    assert not array_attachment(SimpleNamespace(data=data, attachments=[]))  # #0: plain bytes
    assert array_attachment(SimpleNamespace(data=data, attachments=[b"x"]))  # #1: an ndarray's _rvalue
    assert not array_attachment(SimpleNamespace(data=data, attachments=[b"x", b"y"]))
    assert not array_attachment(None)  # no BINARY_EVENT waiting for attachments
