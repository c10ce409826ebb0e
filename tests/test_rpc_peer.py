"""The RPC peer: handshake, calls, callbacks, errors, disposal and malformed messages, over an in-memory wire."""

import asyncio
import threading

import numpy as np
import pytest
from rpc_support import Wire, settle

from imjoy_hpc.rpc import ConnectionClosed, ProtocolError, RemoteError, RPCPeer


async def linked(host_api=None, plugin_api=None, **plugin_kwargs):
    to_host, to_plugin = Wire("plugin->host"), Wire("host->plugin")
    host = RPCPeer(to_plugin.send, config={"name": "gateway"})
    plugin = RPCPeer(to_host.send, config={"name": "plugin"}, **plugin_kwargs)
    to_host.handler, to_plugin.handler = host.handle_message, plugin.handle_message
    host.set_interface(host_api or {"ping": lambda: "pong"})
    plugin.connect()
    host_remote = await plugin.wait_remote(2)
    if plugin_api is not None:
        await asyncio.wait_for(plugin.set_interface(plugin_api), 2)
    plugin_remote = await host.wait_remote(2)
    return host, plugin, host_remote, plugin_remote, (to_host, to_plugin)


async def test_handshake_follows_the_protocol_order():
    host, plugin, host_remote, _, (to_host, to_plugin) = await linked(plugin_api={"f": lambda: 1})
    assert [m["type"] for m in to_plugin.log][:3] == ["initialize", "setInterface", "getInterface"]
    assert [m["type"] for m in to_host.log][:2] == ["imjoyRPCReady", "initialized"]
    assert "interfaceSetAsRemote" in [m["type"] for m in to_host.log]
    assert "accept_encoding" not in to_plugin.log[0]["config"]
    assert await host_remote.ping() == "pong"
    assert host.remote_config.name == "plugin"


async def test_calls_kwargs_async_sync_and_arrays():
    async def scale(arr, factor=1):
        return arr * factor

    api = {"scale": scale, "concat": lambda a, b: a + b, "nested": {"deep": {"value": lambda: 42}}}
    host, plugin, _, remote, _ = await linked(plugin_api=api)
    arr = np.arange(12, dtype=np.float32).reshape(3, 4)
    out = await remote.scale(arr, factor=2)
    np.testing.assert_array_equal(out, arr * 2)
    assert out.dtype == np.float32
    assert await remote.concat("a", "b") == "ab"
    assert await remote.nested.deep.value() == 42
    for _ in range(3):  # interface methods can be called many times
        assert await remote.concat([1], [2]) == [1, 2]
    assert len(host.callbacks) == 0 and len(plugin.callbacks) == 0  # no leak after calls complete


async def test_exceptions_travel_with_the_remote_traceback():
    def explode(x):
        raise ValueError(f"bad input {x}")

    _, _, _, remote, (to_host, _) = await linked(plugin_api={"explode": explode})
    with pytest.raises(RemoteError) as info:
        await remote.explode(7)
    assert "ValueError: bad input 7" in str(info.value)
    assert "in explode" in str(info.value) and "Traceback" in str(info.value)


async def test_callbacks_are_one_shot_and_can_return_values():
    async def greet(name, callback):
        reply = await callback(f"Hello, {name}!")
        return f"callback said {reply}"

    host, plugin, _, remote, _ = await linked(plugin_api={"greet": greet})
    seen = []
    assert await remote.greet("Ada", lambda text: seen.append(text) or "thanks") == "callback said thanks"
    assert seen == ["Hello, Ada!"]
    assert len(host.callbacks) == 0

    async def twice(callback):
        await callback(1)
        await callback(2)

    await asyncio.wait_for(plugin.set_interface({"twice": twice}), 2)
    with pytest.raises(RemoteError, match="already called"):
        await host.remote.twice(lambda v: v)


async def test_exported_objects_are_reusable_until_disposed():
    class Counter:
        def __init__(self):
            self.n = 0

        def inc(self):
            self.n += 1
            return self.n

    host, plugin, _, remote, _ = await linked(plugin_api={"make": Counter})
    counter = await remote.make()
    assert [await counter.inc() for _ in range(3)] == [1, 2, 3]
    stored = len(plugin.objects)
    await asyncio.wait_for(host.dispose_object(counter), 2)
    assert len(plugin.objects) == stored - 1
    with pytest.raises(RemoteError, match="unknown object"):
        await counter.inc()


async def test_unknown_methods_and_objects_reject_clearly():
    host, plugin, _, remote, (_, to_plugin) = await linked(plugin_api={"f": lambda: 1})
    fut = host.loop.create_future()
    rf = host.remote_function("method", None, "missing", remote["_rintf"], True)
    with pytest.raises(RemoteError, match="no method 'missing'"):
        await rf()
    rf = host.remote_function("method", None, "f", "no-such-object", True)
    with pytest.raises(RemoteError, match="unknown object 'no-such-object'"):
        await rf()
    fut.cancel()


@pytest.mark.parametrize(
    "message, error",
    [
        ("not a dict", "must be an object"),
        ({"type": "fly"}, "unknown message type 'fly'"),
        ({"type": "method", "name": 3, "object_id": "x", "args": []}, "field 'name'"),
        ({"type": "method", "name": "f", "object_id": "x", "args": "no"}, "field 'args'"),
        ({"type": "callback", "id": None, "args": []}, "field 'id'"),
        ({"type": "setInterface", "api": []}, "field 'api'"),
        ({"type": "method", "name": "f", "object_id": "x", "args": [], "promise": "p"}, "promise"),
    ],
)
async def test_malformed_messages_raise_protocol_errors_and_the_peer_keeps_working(message, error):
    host, plugin, _, remote, _ = await linked(plugin_api={"f": lambda: "ok"})
    with pytest.raises(ProtocolError, match=error):
        plugin.handle_message(message)
    assert await remote.f() == "ok"


async def test_undecodable_arguments_reject_the_call():
    host, plugin, _, remote, (to_host, to_plugin) = await linked(plugin_api={"f": lambda x: x})
    fut = host.loop.create_future()
    promise = host._make_promise(fut)
    plugin.handle_message({"type": "method", "name": "f", "object_id": remote["_rintf"],
                           "args": [{"_rtype": "ndarray", "_rvalue": b"abc", "_rshape": [2], "_rdtype": "uint16"}],
                           "promise": promise})
    with pytest.raises(RemoteError, match="has 3 bytes but shape"):
        await asyncio.wait_for(fut, 2)


async def test_closing_fails_pending_calls_and_frees_stores():
    started = asyncio.Event()

    async def forever():
        started.set()
        await asyncio.sleep(3600)

    host, plugin, _, remote, _ = await linked(plugin_api={"forever": forever})
    call = asyncio.ensure_future(remote.forever())
    await asyncio.wait_for(started.wait(), 2)
    host.close("plugin process exited")
    with pytest.raises(ConnectionClosed, match="plugin process exited"):
        await asyncio.wait_for(call, 2)
    assert len(host.callbacks) == 0 and len(host.objects) == 0 and host.pending_calls == 0


async def test_sync_methods_can_run_in_threads_and_call_back():
    main_thread = threading.get_ident()
    got = []

    def heavy(x, host_api=None):
        got.append(threading.get_ident())
        future = host_api_ref["api"].ping()  # a remote call made from the worker thread
        return x * 2, future.result(timeout=2)

    host_api_ref = {}
    host, plugin, host_remote, remote, _ = await linked(plugin_api={"heavy": heavy}, sync_in_thread=True)
    host_api_ref["api"] = host_remote
    assert await remote.heavy(21) == [42, "pong"]
    assert got and got[0] != main_thread


async def test_what_a_sync_function_sends_from_its_thread_goes_out_before_its_result():
    def setup(host_api=None):
        host_api_ref["api"].log("ready")  # fire and forget, from the worker thread, as legacy plugins do
        return "done"

    host_api_ref = {}
    logged = []
    host, plugin, host_remote, remote, (to_host, _) = await linked(
        host_api={"log": logged.append}, plugin_api={"setup": setup}, sync_in_thread=True)
    host_api_ref["api"] = host_remote
    for _ in range(20):
        to_host.log.clear()
        assert await remote.setup() == "done"
        kinds = [m["type"] for m in to_host.log]
        assert kinds.index("method") < kinds.index("callback"), kinds
    await settle()
    assert logged == ["ready"] * 20


async def test_re_export_replaces_the_interface():
    host, plugin, _, remote, _ = await linked(plugin_api={"v": lambda: 1})
    await asyncio.wait_for(plugin.set_interface({"v": lambda: 2, "w": lambda: 3}), 2)
    await settle()
    assert await host.remote.v() == 2 and await host.remote.w() == 3
    assert len(plugin.objects) == 1


async def test_execute_is_refused():
    host, plugin, _, _, (to_host, _) = await linked(plugin_api={})
    plugin.handle_message({"type": "execute", "code": {"type": "script", "content": "import os"}})
    await settle()
    assert {"type": "executed", "error": "execution is not allowed by this peer"} in to_host.log


async def test_a_call_runs_as_its_message_is_handled_and_one_that_waits_still_ends_with_the_peer():
    """A quick call's result leaves while its message is handled (no scheduling round in between); a call that
    waits goes on as a task, and closing the peer cancels it (its own cleanup runs)."""
    cleaned = asyncio.Event()

    async def slow():
        try:
            await asyncio.sleep(30)
        finally:
            cleaned.set()

    host, plugin, _, remote, (to_host, to_plugin) = await linked(plugin_api={"quick": lambda: 1, "slow": slow})
    held: list = []
    to_plugin.handler = held.append  # the call is held back, to be handed over by the test
    pending = asyncio.ensure_future(remote.quick())
    for _ in range(5):
        await asyncio.sleep(0)
    [message] = held
    to_plugin.handler = plugin.handle_message
    sent_before = len(to_host.log)
    plugin.handle_message(message)  # as the link hands it over
    assert [m["type"] for m in to_host.log[sent_before:]] == ["callback"], "the result left in the same step"
    assert await asyncio.wait_for(pending, 2) == 1
    slow_call = asyncio.ensure_future(remote.slow())
    await asyncio.sleep(0.1)
    assert not cleaned.is_set() and len(plugin._tasks) == 1
    plugin.close("test over")
    await asyncio.wait_for(cleaned.wait(), 2)
    slow_call.cancel()
