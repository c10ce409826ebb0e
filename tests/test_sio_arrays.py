"""imjoy-hpc's own socket.io client puts a chunked ndarray together as its chunks arrive (rpc/sio_arrays.py):
one buffer of the announced size, each chunk freed at once, and a mismatch left for the codec to report."""

import json

import numpy as np
import pytest

from imjoy_hpc.rpc import DecodeError
from imjoy_hpc.rpc.ndarray import decode_ndarray
from imjoy_hpc.rpc.sio_arrays import MIN_BYTES, ArrayPacket


def received(value: dict, chunks: list[bytes], extra: list[bytes] = ()) -> dict:
    """The event python-socketio's client would hand over, through ArrayPacket: header, then each attachment."""
    placeholders, attachments = [], [*chunks, *extra]
    for i in range(len(chunks)):
        placeholders.append({"_placeholder": True, "num": i})
    message = {"type": "callback", "args": [{**value, "_rvalue": placeholders},
                                            *({"_placeholder": True, "num": len(chunks) + i} for i in range(len(extra)))]}
    header = f"5{len(attachments)}-" + json.dumps(["plugin_message", message])
    packet = ArrayPacket(encoded_packet=header)
    done = [packet.add_attachment(a) for a in attachments]
    assert done == [False] * (len(attachments) - 1) + [True]
    return packet.data[1]


def test_a_large_array_is_assembled_into_one_buffer_as_its_chunks_arrive():
    arr = np.arange(MIN_BYTES // 2, dtype=np.float32).reshape(-1, 256)  # 2 MiB
    raw = arr.tobytes()
    chunks = [raw[i:i + 300_000] for i in range(0, len(raw), 300_000)]
    message = received({"_rtype": "ndarray", "_rshape": list(arr.shape), "_rdtype": "float32"}, chunks, [b"other"])
    value = message["args"][0]
    assert len(value["_rvalue"]) == 1 and isinstance(value["_rvalue"][0], memoryview), "one buffer, not 7 chunks"
    decoded = decode_ndarray(value)
    np.testing.assert_array_equal(decoded, arr)
    assert np.shares_memory(decoded, np.asarray(value["_rvalue"][0])), "the assembled buffer is the array: no copy"
    assert message["args"][1] == b"other", "other attachments are untouched"


def test_chunks_that_do_not_add_up_are_kept_and_the_codec_says_so():
    shape = [MIN_BYTES // 4]
    too_many = received({"_rtype": "ndarray", "_rshape": shape, "_rdtype": "float32"}, [b"\0" * MIN_BYTES, b"\0" * 8])
    with pytest.raises(DecodeError, match=f"ndarray payload has {MIN_BYTES + 8} bytes but shape"):
        decode_ndarray(too_many["args"][0])
    too_few = received({"_rtype": "ndarray", "_rshape": shape, "_rdtype": "float32"}, [b"\0" * 1000, b"\0" * 24])
    with pytest.raises(DecodeError, match="ndarray payload has 1024 bytes but shape"):
        decode_ndarray(too_few["args"][0])


def test_small_or_unusual_arrays_are_left_as_python_socketio_gives_them():
    small = received({"_rtype": "ndarray", "_rshape": [4], "_rdtype": "uint8"}, [b"ab", b"cd"])
    assert small["args"][0]["_rvalue"] == [b"ab", b"cd"]
    bad_dtype = received({"_rtype": "ndarray", "_rshape": [MIN_BYTES], "_rdtype": "nope"}, [b"\0" * MIN_BYTES])
    assert bad_dtype["args"][0]["_rvalue"] == [b"\0" * MIN_BYTES]
    with pytest.raises(DecodeError):
        decode_ndarray(bad_dtype["args"][0])
