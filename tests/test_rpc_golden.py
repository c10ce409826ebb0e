"""Golden tests: the messages of docs/PROTOCOL.md's wire trace (real imjoy-rpc 0.5.59 Python client) against our
core."""

import numpy as np
import pytest
from rpc_support import Wire, settle

from imjoy_hpc.rpc import RemoteError, RPCPeer

CLIENT = "d0ae8c3e-0000-4000-8000-000000000001"
READY = {
    "type": "imjoyRPCReady",
    "config": {"name": "py-test-plugin", "server_url": "http://127.0.0.1:9999", "token": "TESTTOKEN",
               "id": "71eb0000", "allow_execution": False, "version": "0.1.0", "api_version": "0.2.3"},
    "peer_id": CLIENT,
    "plugin_id": "plugin-abc",
}
INITIALIZED = {"type": "initialized", "peer_id": CLIENT, "plugin_id": "plugin-abc",
               "config": {"api_version": "0.2.3", "type": "rpc-worker", "name": "py-test-plugin", "id": "71eb0000"}}


def promise(resolve_id, reject_id):
    return [
        {"_rtype": "callback", "_rname": "resolve", "_rtarget_id": CLIENT, "_rvalue": resolve_id},
        {"_rtype": "callback", "_rname": "reject", "_rtarget_id": CLIENT, "_rvalue": reject_id},
    ]


@pytest.fixture
async def host():
    out = Wire("host->client")
    out.handler = lambda message: None
    peer = RPCPeer(out.send, peer_id=CLIENT, config={"name": "imjoy-hpc"})
    peer.set_interface({"echo": lambda v: v, "fail": lambda: (_ for _ in ()).throw(ValueError("boom"))})
    peer.handle_message(READY)
    peer.handle_message(INITIALIZED)
    await settle()
    return peer, out


async def test_host_handshake_messages_have_the_trace_fields(host):
    peer, out = host
    initialize, set_interface, get_interface = out.log[:3]
    assert initialize["type"] == "initialize" and initialize["peer_id"] == CLIENT
    assert set(initialize["config"]) == {"name", "type", "allow_execution", "enable_service_worker",
                                         "forwarding_functions", "expose_api_globally", "credential"}
    assert initialize["config"]["name"] == "py-test-plugin"
    api = set_interface["api"]
    assert api["echo"] == {"_rtype": "interface", "_rtarget_id": CLIENT, "_rintf": api["_rintf"], "_rvalue": "echo"}
    assert get_interface == {"type": "getInterface"}


async def test_trace_method_call_is_answered_with_a_resolve_callback(host):
    peer, out = host
    object_id = out.log[1]["api"]["_rintf"]
    peer.handle_message({"type": "method", "target_id": CLIENT, "name": "echo", "object_id": object_id,
                         "args": [{"a": 1}], "with_kwargs": False, "promise": promise("0336", "0337"),
                         "plugin_id": "plugin-abc"})
    await settle()
    assert out.log[-1] == {"type": "callback", "id": "0336", "target_id": CLIENT, "args": [{"a": 1}],
                           "with_kwargs": False}


async def test_trace_error_reaches_the_reject_callback(host):
    peer, out = host
    object_id = out.log[1]["api"]["_rintf"]
    peer.handle_message({"type": "method", "target_id": CLIENT, "name": "fail", "object_id": object_id,
                         "args": [], "with_kwargs": False, "promise": promise("r1", "r2")})
    await settle()
    reply = out.log[-1]
    assert reply["type"] == "callback" and reply["id"] == "r2"
    assert reply["args"][0]["_rtype"] == "error" and "ValueError: boom" in reply["args"][0]["_rvalue"]


async def test_trace_plugin_export_and_ndarray_call(host):
    peer, out = host
    peer.handle_message({"type": "interfaceSetAsRemote", "peer_id": CLIENT})
    peer.handle_message({"type": "setInterface", "peer_id": CLIENT, "api": {
        "add_one": {"_rtype": "interface", "_rtarget_id": CLIENT, "_rintf": "2bfb", "_rvalue": "add_one"},
        "_rintf": "2bfb"}})
    remote = await peer.wait_remote(1)
    arr = np.arange(6, dtype=np.float32).reshape(2, 3)
    call = remote.add_one(arr)
    await settle()
    sent = out.log[-1]
    assert sent["type"] == "method" and sent["name"] == "add_one" and sent["object_id"] == "2bfb"
    assert sent["args"] == [{"_rtype": "ndarray", "_rvalue": arr.tobytes(), "_rshape": [2, 3], "_rdtype": "float32"}]
    resolve_id = sent["promise"][0]["_rvalue"]
    peer.handle_message({"type": "callback", "id": resolve_id, "target_id": CLIENT, "with_kwargs": False,
                         "args": [{"_rtype": "ndarray", "_rvalue": (arr + 1).tobytes(), "_rshape": [2, 3],
                                   "_rdtype": "float32"}]})
    result = await call
    assert result.dtype == np.float32 and result.shape == (2, 3)
    np.testing.assert_array_equal(result, arr + 1)
    assert len(peer.callbacks) == 0


async def test_trace_remote_error_is_raised_with_its_text(host):
    peer, out = host
    peer.handle_message({"type": "setInterface", "peer_id": CLIENT, "api": {
        "f": {"_rtype": "interface", "_rtarget_id": CLIENT, "_rintf": "o1", "_rvalue": "f"}, "_rintf": "o1"}})
    remote = await peer.wait_remote(1)
    call = remote.f()
    await settle()
    reject_id = out.log[-1]["promise"][1]["_rvalue"]
    errors = []
    peer.on_error = errors.append
    peer.handle_message({"type": "error", "message": "Traceback ..."})
    peer.handle_message({"type": "callback", "id": reject_id, "args": [
        {"_rtype": "error", "_rvalue": "Traceback (most recent call last): ... ValueError: boom"}]})
    with pytest.raises(RemoteError, match="ValueError: boom"):
        await call
    assert errors == ["Traceback ..."]
