"""Arrays sent out of band (plugin process -> gateway): the `_rstream` reference, spooled arrays re-cut per receiver
without holding them in memory, and a stream that failed fails the call instead of leaving it waiting."""

import numpy as np
import pytest
from rpc_support import Wire

from imjoy_hpc.rpc import DecodeError, RemoteError, RPCPeer
from imjoy_hpc.rpc.ndarray import ndarray_buffer
from imjoy_hpc.rpc.spool import Spool, SpooledArray, SpoolSlice


async def linked(plugin_api):
    to_host, to_plugin = Wire("plugin->host"), Wire("host->plugin")
    host = RPCPeer(to_plugin.send, config={"name": "gateway"}, lazy_arrays=True)
    plugin = RPCPeer(to_host.send, config={"name": "plugin"})
    to_host.handler, to_plugin.handler = host.handle_message, plugin.handle_message
    host.set_interface({})
    plugin.connect()
    await plugin.wait_remote(2)
    await plugin.set_interface(plugin_api)
    return host, plugin, await host.wait_remote(2)


def spool_of(data: bytes, tmp_path) -> Spool:
    spool = Spool(tmp_path)
    spool.write(data)
    spool.complete = True
    return spool


async def test_large_arrays_become_stream_references_of_their_own_memory():
    host, plugin, _ = await linked({})
    sent = []
    plugin.codec.stream_bytes = 1000

    def streamer(value):
        flat, shape, wire_dtype = ndarray_buffer(value)
        sent.append(flat)
        return {"_rtype": "ndarray", "_rstream": "s1", "_rshape": shape, "_rdtype": wire_dtype}

    plugin.codec.streamer = streamer
    big, small = np.arange(1000, dtype=np.float32).reshape(10, 100), np.arange(10, dtype=np.float32)
    encoded = plugin.codec.encode([big, small])
    assert encoded[0] == {"_rtype": "ndarray", "_rstream": "s1", "_rshape": [10, 100], "_rdtype": "float32"}
    assert isinstance(encoded[1]["_rvalue"], bytes)
    assert np.shares_memory(np.frombuffer(sent[0], dtype=np.float32), big), "the stream must not copy the array"


async def test_spooled_arrays_are_cut_per_receiver_and_read_when_sent(tmp_path):
    host, _, _ = await linked({})
    data = np.arange(1000, dtype=np.int32)
    streams = {"abc": spool_of(data.tobytes(), tmp_path)}
    host.codec.streams = lambda sid: streams.pop(sid)
    value = host.codec.decode({"_rtype": "ndarray", "_rstream": "abc", "_rshape": [10, 100], "_rdtype": "int32"})
    assert isinstance(value, SpooledArray) and value.nbytes == 4000
    np.testing.assert_array_equal(np.asarray(value), data.reshape(10, 100))
    host.codec.chunk_bytes = 1500
    encoded = host.codec.encode(value)
    assert [type(c) for c in encoded["_rvalue"]] == [SpoolSlice] * 3
    assert b"".join(c.read() for c in encoded["_rvalue"]) == data.tobytes()
    value.spool.close()
    with pytest.raises(OSError, match="freed"):  # never the bytes of whatever file took its descriptor
        encoded["_rvalue"][0].read()
    with pytest.raises(DecodeError, match="needs 8000 bytes"):
        streams["wrong"] = spool_of(data.tobytes(), tmp_path)
        host.codec.decode({"_rtype": "ndarray", "_rstream": "wrong", "_rshape": [2000], "_rdtype": "int32"})
    with pytest.raises(DecodeError, match="not uploaded"):
        host.codec.streams = lambda sid: (_ for _ in ()).throw(DecodeError(f"ndarray stream {sid!r} was not uploaded"))
        host.codec.decode({"_rtype": "ndarray", "_rstream": "gone", "_rshape": [1], "_rdtype": "int32"})
    host.codec.streams = None  # an end that takes no uploads says so (plugins and clients both upload to the gateway)
    with pytest.raises(DecodeError, match=r"only accepted by the gateway, for arrays uploaded to it first"):
        host.codec.decode({"_rtype": "ndarray", "_rstream": "abc", "_rshape": [1], "_rdtype": "int32"})


async def test_a_failed_stream_fails_the_call_with_its_reason():
    host, plugin, remote = await linked({"big": lambda: np.zeros(100_000, dtype=np.float32)})
    host.codec.streams = lambda sid: pytest.fail("a failed stream must not be looked up")
    plugin.codec.stream_bytes = 1000
    plugin.codec.streamer = lambda value: {"_rtype": "ndarray", "_rstream": "x", "_rshape": [100_000],
                                           "_rdtype": "float32", "_rerror": "no room in the spool directory"}
    with pytest.raises(RemoteError, match="no room in the spool directory"):
        await remote.big()
