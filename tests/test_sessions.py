"""Sessions outlive connections (a laptop's flaky network): a plain plugin keeps running when its client's
connection drops, the client gets it back (reconnecting by itself, or with its session id), state intact; after
the grace period it is ended with that reason. Real gateway, real imjoy-rpc client, a TCP relay the test cuts."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import imjoy_rpc
import pytest
from gateway_support import connect, disconnect, start_gateway
from proxy_support import FlakyProxy

pytestmark = pytest.mark.timeout(300)

COUNTER = """<config lang="json">{"name": "Counter", "type": "native-python", "flags": []}</config>
<script lang="python">
import asyncio
class ImJoyPlugin():
    def setup(self):
        self.n = 0
    def bump(self):
        self.n += 1
        return self.n
    async def slow(self, seconds):
        await asyncio.sleep(seconds)
        return self.n
api.export(ImJoyPlugin())
</script>
"""


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    # Short pings so that a silent drop is noticed in seconds; the default grace period (30 min).
    gw = start_gateway(tmp_path_factory.mktemp("sessions"), {
        "sessions": {"grace-period": 1800}, "server": {"ping-interval": 2, "ping-timeout": 2}})
    yield gw
    assert gw.stop() == 0, gw.log()[-3000:]


@pytest.fixture
def proxy(gateway):
    relay = FlakyProxy(gateway.port)
    yield relay
    relay.close()


async def connect_via(proxy: FlakyProxy, gateway, session_id: str | None = None):
    config = {"server_url": proxy.url, "name": "laptop", "token": gateway.token}
    if session_id:
        config["session_id"] = session_id
    return await imjoy_rpc.connect_to_server(config)


async def until(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = await predicate()
        if value:
            return value
        await asyncio.sleep(0.2)
    raise AssertionError(f"{what} within {timeout} s")


async def instance(client, instance_id: str) -> dict:
    return next(i for i in await client.list_instances() if i["id"] == instance_id)


async def reattach(proxy: FlakyProxy, gateway, session_id: str, plugin_id: str, timeout: float = 90):
    """A new connection of the same session (the published client does not reconnect by itself): the plugin is
    handed back to it."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            client = await asyncio.wait_for(connect_via(proxy, gateway, session_id), 15)
            break
        except Exception:  # noqa: BLE001 - the network is still down
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(1)
    await until(lambda: _owned(client, plugin_id, "laptop"), 10, "the plugin is not handed back")
    return client, await client.get_plugin(plugin_id)


def new_session_id() -> str:
    return "laptop-" + os.urandom(8).hex()


async def survives_a_cut(gateway, proxy: FlakyProxy, seconds: float) -> None:
    """A plugin whose client's network is cut for `seconds` is still running, and its client re-attaches it."""
    session_id = new_session_id()
    client = await connect_via(proxy, gateway, session_id)
    plugin = await client.load_plugin(COUNTER)
    assert await plugin.bump() == 1
    proxy.cut(seconds)
    await asyncio.sleep(seconds + 0.5)
    client2, plugin2 = await reattach(proxy, gateway, session_id, plugin.id)
    try:
        assert await plugin2.bump() == 2, "the plugin kept its state"
        assert (await instance(client2, plugin.id))["state"] == "running"
    finally:
        await disconnect(client2)


async def test_a_one_second_cut_loses_nothing(gateway, proxy):
    await survives_a_cut(gateway, proxy, 1.0)


async def test_a_silent_drop_keeps_the_plugin(gateway, proxy):
    session_id = new_session_id()
    client = await connect_via(proxy, gateway, session_id)
    plugin = await client.load_plugin(COUNTER)
    assert await plugin.bump() == 1
    mark = len(gateway.log())
    proxy.go_silent()
    # whichever end misses its pings first drops the connection (the gateway: ping timeout; the client: it
    # closes its socket, which reaches the gateway as a transport close once the relay passes the close on)
    await until(lambda: _logged(gateway, "lost its connection (", mark), 30, "the drop was not noticed")
    proxy.go_silent(False)
    client2, plugin2 = await reattach(proxy, gateway, session_id, plugin.id)
    try:
        assert await plugin2.bump() == 2
    finally:
        await disconnect(client2)


async def _logged(gateway, text: str, since: int = 0) -> bool:
    return text in gateway.log()[since:]


CLIENT = textwrap.dedent("""
    import asyncio, json, sys
    import imjoy_rpc
    async def main():
        client = await imjoy_rpc.connect_to_server(json.loads(sys.argv[1]))
        plugin = await client.load_plugin(sys.argv[2])
        await plugin.bump(); await plugin.bump()
        print(json.dumps({"id": plugin.id}), flush=True)
        await asyncio.sleep(3600)
    asyncio.run(main())
""")


def start_client(gateway, session_id: str) -> tuple[subprocess.Popen, str]:
    config = {"server_url": gateway.url, "name": "laptop script", "token": gateway.token, "session_id": session_id}
    proc = subprocess.Popen([sys.executable, "-c", CLIENT, json.dumps(config), COUNTER], stdout=subprocess.PIPE,
                            text=True)
    line = proc.stdout.readline()
    assert line, "the client script did not load its plugin"
    return proc, json.loads(line)["id"]


async def test_a_killed_client_reattaches_with_its_session_id(gateway):
    session_id = new_session_id()
    proc, plugin_id = start_client(gateway, session_id)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    other = await connect(gateway, name="someone")
    try:
        await asyncio.sleep(1)
        assert (await instance(other, plugin_id))["state"] == "running", "the plugin outlives its killed client"
    finally:
        await disconnect(other)
    client = await imjoy_rpc.connect_to_server({"server_url": gateway.url, "name": "laptop again",
                                                "token": gateway.token, "session_id": session_id})
    try:
        mine = await until(lambda: _owned(client, plugin_id, "laptop again"), 10, "the plugin is not handed back")
        assert mine["state"] == "running"
        plugin = await client.get_plugin(plugin_id)
        assert await plugin.bump() == 3, "the plugin's state survived"
    finally:
        await disconnect(client)


async def _owned(client, plugin_id: str, name: str):
    info = await instance(client, plugin_id)
    return info if (info["owner"] or "").startswith(name) else None


@pytest.mark.slow
async def test_a_sixty_second_cut_is_survived(gateway, proxy):
    await survives_a_cut(gateway, proxy, 60.0)


async def test_after_the_grace_period_the_plugin_ends_with_that_reason(tmp_path):
    gw = start_gateway(tmp_path, {"sessions": {"grace-period": 3}})
    relay = FlakyProxy(gw.port)
    try:
        client = await connect_via(relay, gw)
        plugin = await client.load_plugin(COUNTER)
        plugin_id = plugin.id
        relay.cut(3600)  # this laptop never comes back
        watcher = await connect(gw, name="watcher")
        try:
            ended = await until(lambda: _ended(watcher, plugin_id), 30, "the plugin did not end after the grace")
            assert ended["state"] == "stopped"
            assert "did not come back within the grace period (3 s)" in ended["ended_reason"]
            with pytest.raises(Exception) as err:
                await watcher.get_plugin(plugin_id)
            assert f"({plugin_id}) has ended (stopped)" in str(err.value) and "grace period" in str(err.value)
        finally:
            await disconnect(watcher)
    finally:
        relay.close()
        assert gw.stop() == 0


async def _ended(client, plugin_id: str):
    info = await instance(client, plugin_id)
    return info if info["state"] != "running" else None


async def test_a_slow_reader_does_not_delay_another_client(tmp_path):
    # default pings: the slow link holds them up behind the array, as a real slow laptop would
    gateway = start_gateway(tmp_path, {})
    slow_link = FlakyProxy(gateway.port, rate=1 << 20)  # a laptop reading 1 MB/s
    try:
        slow = await connect_via(slow_link, gateway)
        fast = await connect(gateway, name="colleague")
        try:
            image = await slow.load_plugin("Image Filter")
            hello = await fast.load_plugin("Hello")
            transfer = asyncio.ensure_future(image.big(12))  # 12 MB: about 12 s through the slow link
            await asyncio.sleep(1)
            waits = []
            while not transfer.done() and len(waits) < 50:
                started = time.monotonic()
                assert await asyncio.wait_for(hello.add(1, 1), 10) == 2
                waits.append(time.monotonic() - started)
                await asyncio.sleep(0.1)
            big = await asyncio.wait_for(transfer, 120)
            assert big.nbytes == 12 << 20
            assert len(waits) >= 5, "the transfer was not slow: the test did not test anything"
            assert max(waits) < 2.0, f"the other client waited {max(waits):.2f} s for a small call"
        finally:
            await disconnect(fast)
            await disconnect(slow)
    finally:
        slow_link.close()
        assert gateway.stop() == 0
