"""Our RPC core against the real imjoy-rpc 0.5.59 Python RPC class, over an in-memory connection, in both roles."""

import asyncio
import importlib.util

import numpy as np
import pytest
from rpc_support import Wire
from support import require

from imjoy_hpc.rpc import RemoteError, RPCPeer

require(importlib.util.find_spec("imjoy_rpc") is not None, "the imjoy-rpc Python client",
        'pip install "imjoy-rpc[socketio]==0.5.59" (part of the test extra)')

from imjoy_rpc.rpc import RPC  # noqa: E402
from imjoy_rpc.utils import MessageEmitter, dotdict  # noqa: E402


class Context:
    """The rpc_context imjoy-rpc expects: it runs handlers and holds the remote api."""

    api = None

    def run_with_context(self, _id, func, *args, **kwargs):
        func(*args, **kwargs)


class MemoryConnection(MessageEmitter):
    """imjoy-rpc's side of the in-memory link."""

    def __init__(self, wire: Wire, peer_id: str):
        super().__init__(None)
        self.wire, self.peer_id = wire, peer_id

    def emit(self, msg):
        msg["peer_id"] = msg.get("peer_id") or self.peer_id
        self.wire.send(msg)

    def disconnect(self):
        pass

    def deliver(self, msg):
        self._fire(msg["type"], msg)


def theirs_plugin_api():
    async def scale(arr, factor=2):
        return arr * factor

    def fail(message):
        raise ValueError(message)

    async def greet(name, callback):
        result = callback(f"Hello, {name}!")
        if asyncio.isfuture(result) or asyncio.iscoroutine(result):
            result = await result
        return f"callback returned {result}"

    return {"scale": scale, "fail": fail, "greet": greet, "info": lambda: {"n": [1, 2], "s": {1, 2}}}


def ours_api():
    def fail(message):
        raise KeyError(message)

    async def gather(arr, callback):
        return [float(arr.sum()), await callback(arr.shape)]

    return {"add": lambda a, b=0: a + b, "fail": fail, "gather": gather,
            "make": lambda: {"_rintf": True, "twice": lambda x: 2 * x}}


async def test_our_host_with_their_plugin():
    """The gateway's role: our peer is the host, imjoy-rpc's RPC is the plugin (as in connect_to_server)."""
    to_them, to_us = Wire("us->them"), Wire("them->us")
    conn = MemoryConnection(to_us, "their-peer")
    ours = RPCPeer(to_them.send, peer_id="their-peer", config={"name": "imjoy-hpc"})
    ours.set_interface(ours_api())
    to_us.handler = ours.handle_message
    theirs = RPC(conn, Context(), config={"name": "their-plugin"})
    to_them.handler = conn.deliver
    conn.on("initialize", lambda _: (theirs.set_interface(theirs_plugin_api()), theirs.init()))
    conn.emit({"type": "imjoyRPCReady", "config": {"name": "their-plugin"}})

    host_api = await asyncio.wait_for(_their_remote(theirs), 5)
    plugin_api = await ours.wait_remote(5)
    assert ours.remote_config.name == "their-plugin"

    # they call us
    assert await host_api.add(2, b=3) == 5
    with pytest.raises(Exception, match="KeyError"):
        await host_api.fail("nope")
    arr = np.arange(6, dtype=np.uint8).reshape(2, 3)
    seen = []
    assert await host_api.gather(arr, lambda shape: seen.append(shape) or "ok") == [15.0, "ok"]
    assert seen == [[2, 3]]
    made = await host_api.make()
    assert await made.twice(4) == 8 and await made.twice(5) == 10

    # we call them
    big = np.random.default_rng(0).random((64, 32), dtype=np.float32)
    out = await plugin_api.scale(big, factor=3)
    assert out.dtype == np.float32 and out.shape == (64, 32)
    np.testing.assert_allclose(out, big * 3)
    with pytest.raises(RemoteError, match="ValueError: broken on purpose"):
        await plugin_api.fail("broken on purpose")
    assert await plugin_api.greet("Ada", lambda text: text.upper()) == "callback returned HELLO, ADA!"
    info = await plugin_api.info()
    assert info.n == [1, 2] and info.s == {1, 2}
    assert len(ours.callbacks) == 0
    assert not to_us.errors and not to_them.errors


async def _their_remote(theirs):
    while theirs.get_remote() is None:
        await asyncio.sleep(0.01)
    return theirs.get_remote()


async def test_our_plugin_with_their_host():
    """The plugin host's role: our peer is the plugin; imjoy-rpc's RPC serves the API and drives the exchange."""
    to_them, to_us = Wire("us->them"), Wire("them->us")
    conn = MemoryConnection(to_us, "our-peer")
    theirs = RPC(conn, Context(), config={"name": "their-host"})
    to_them.handler = conn.deliver
    ours = RPCPeer(to_them.send, peer_id="our-peer", config={"name": "our-plugin"})
    to_us.handler = ours.handle_message

    def show_progress(p):
        progress.append(p)

    progress = []
    theirs.set_interface({"showProgress": show_progress, "echo": lambda v: v,
                          "boom": lambda: (_ for _ in ()).throw(RuntimeError("host broke"))})
    ours.set_interface(ours_api())
    theirs.send_interface()
    theirs.request_remote()

    host_api = await ours.wait_remote(5)
    plugin_api = await asyncio.wait_for(_their_remote(theirs), 5)
    await host_api.showProgress(50)
    assert progress == [50]
    arr = np.arange(10, dtype=np.int16)
    echoed = await host_api.echo({"a": arr, "t": (1, "x")})
    np.testing.assert_array_equal(echoed.a, arr)
    assert echoed.t == [1, "x"]
    with pytest.raises(RemoteError, match="host broke"):
        await host_api.boom()

    assert await plugin_api.add(40, b=2) == 42
    with pytest.raises(Exception, match="KeyError"):
        await plugin_api.fail("k")
    made = await plugin_api.make()
    assert await made.twice(21) == 42
    assert not to_us.errors and not to_them.errors
