"""Round trips and malformed input for the imjoy-rpc v1 value codec."""

import io
from collections import OrderedDict
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from rpc_support import wire_copy

from imjoy_hpc.rpc import CodecRegistry, DecodeError, DotDict, EncodeError, RemoteError, ValueCodec, WireArray, rpc_type
from imjoy_hpc.rpc.store import CallbackStore, ObjectStore


def make_codec(chunk_bytes: int = 0, codecs: CodecRegistry | None = None) -> ValueCodec:
    peer = SimpleNamespace(peer_id="peer-1", callbacks=CallbackStore(), objects=ObjectStore())
    return ValueCodec(peer, codecs, chunk_bytes)


def roundtrip(value, codec=None):
    codec = codec or make_codec()
    return codec.decode(wire_copy(codec.encode(value)))


# `_rtype` and `_rintf` are the protocol's reserved keys (an object holding `_rintf` is an interface)
PLAIN_KEYS = st.text(max_size=8).filter(lambda key: key not in ("_rtype", "_rintf"))
json_like = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.floats(allow_nan=False) | st.text() | st.binary(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(PLAIN_KEYS, children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(json_like)
def test_plain_values_roundtrip(value):
    assert roundtrip(value) == value


@settings(max_examples=50, deadline=None)
@given(st.tuples(st.integers(), st.text()))
def test_tuples_become_lists(value):
    assert roundtrip(value) == list(value)


ALL_DTYPES = (
    hnp.boolean_dtypes()
    | hnp.integer_dtypes(endianness="=")
    | hnp.unsigned_integer_dtypes(endianness="=")
    | hnp.floating_dtypes(endianness="=")
    | hnp.complex_number_dtypes(endianness="=")
    | hnp.integer_dtypes(endianness=">")
    | hnp.floating_dtypes(endianness=">")
    | hnp.datetime64_dtypes()
    | hnp.timedelta64_dtypes()
    | hnp.unicode_string_dtypes(max_len=5)
    | hnp.byte_string_dtypes(max_len=5)
)


def assert_same_array(a, b):
    assert isinstance(b, np.ndarray)
    assert b.shape == a.shape
    assert b.dtype.newbyteorder("=") == a.dtype.newbyteorder("=")
    np.testing.assert_array_equal(b, a)


@settings(max_examples=300, deadline=None)
@given(hnp.arrays(ALL_DTYPES, hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5)), st.sampled_from([0, 7, 64]))
def test_every_dtype_and_shape_roundtrips(arr, chunk_bytes):
    assert_same_array(arr, roundtrip(arr, make_codec(chunk_bytes)))


@settings(max_examples=50, deadline=None)
@given(hnp.arrays(np.float32, hnp.array_shapes(min_dims=2, max_dims=3, min_side=1, max_side=6)))
def test_non_contiguous_views_roundtrip(arr):
    for view in (arr.T, arr[::2], arr[..., ::-1]):
        assert_same_array(view, roundtrip(view))


def test_numpy_scalars_are_zero_d_arrays():
    out = roundtrip(np.float32(1.5))
    assert out.shape == () and out.dtype == np.float32 and out == 1.5
    encoded = make_codec().encode(np.int64(3))
    assert encoded["_rshape"] == [] and encoded["_rdtype"] == "int64"


def test_structured_dtype_roundtrips():
    arr = np.array([(1, 2.5), (3, 4.5)], dtype=[("a", "<i4"), ("b", ">f8")])
    out = roundtrip(arr)
    assert out["a"].tolist() == [1, 3] and out["b"].tolist() == [2.5, 4.5]


def test_large_arrays_travel_as_chunks_below_the_limit():
    arr = np.arange(1_000_000, dtype=np.float32)
    encoded = make_codec(chunk_bytes=1 << 20).encode(arr)
    assert isinstance(encoded["_rvalue"], list)
    assert all(len(c) <= 1 << 20 for c in encoded["_rvalue"])
    assert sum(len(c) for c in encoded["_rvalue"]) == arr.nbytes
    assert_same_array(arr, make_codec().decode(encoded))


def test_big_endian_goes_out_little_endian():
    arr = np.arange(4, dtype=">i4")
    encoded = make_codec().encode(arr)
    assert encoded["_rdtype"] == "int32"
    assert encoded["_rvalue"] == np.arange(4, dtype="<i4").tobytes()


def test_object_arrays_are_refused_clearly():
    with pytest.raises(EncodeError, match="Python objects"):
        make_codec().encode(np.array([object()]))


def test_other_rtypes_roundtrip():
    codec = make_codec()
    assert roundtrip({1, 2, "x"}) == {1, 2, "x"}
    om = OrderedDict([("b", 1), ("a", [2])])
    out = roundtrip(om)
    assert isinstance(out, OrderedDict) and list(out.items()) == [("b", 1), ("a", [2])]
    blob = roundtrip(io.BytesIO(b"\x00abc"))
    assert isinstance(blob, io.BytesIO) and blob.getvalue() == b"\x00abc"
    text = roundtrip(io.StringIO("hello"))
    assert isinstance(text, io.StringIO) and text.getvalue() == "hello"
    mv = roundtrip(memoryview(b"xyz"))
    assert isinstance(mv, memoryview) and mv.tobytes() == b"xyz"
    err = codec.decode(wire_copy(codec.encode(ValueError("bad value"))))
    assert isinstance(err, RemoteError) and "ValueError: bad value" in str(err)
    typed = codec.decode({"_rtype": "typedarray", "_rvalue": np.arange(3, dtype="<u2").tobytes(), "_rdtype": "uint16"})
    assert typed.tolist() == [0, 1, 2] and typed.dtype == np.uint16


def test_raised_errors_carry_their_traceback():
    try:
        raise KeyError("missing")
    except KeyError as exc:
        encoded = make_codec().encode(exc)
    assert "Traceback" in encoded["_rvalue"] and "test_raised_errors_carry_their_traceback" in encoded["_rvalue"]


def test_decoded_dicts_allow_attribute_access():
    out = roundtrip({"config": {"threshold": 0.5}})
    assert isinstance(out, DotDict) and out.config.threshold == 0.5 and out.config.missing is None


def test_registered_codec_encodes_and_decodes():
    class Point:
        def __init__(self, x, y):
            self.x, self.y = x, y

    registry = CodecRegistry()
    registry.register({"name": "point", "type": Point, "encoder": lambda p: {"x": p.x, "y": p.y},
                       "decoder": lambda d: Point(d["x"], d["y"])})
    codec = make_codec(codecs=registry)
    encoded = codec.encode([Point(1, 2)])
    assert encoded == [{"x": 1, "y": 2, "_rtype": "point"}]
    out = codec.decode(wire_copy(encoded))[0]
    assert isinstance(out, Point) and (out.x, out.y) == (1, 2)
    with pytest.raises(ValueError, match="needs an 'encoder' or a 'decoder'"):
        registry.register({"name": "nothing"})


@rpc_type
class Interval:
    _ctype = "interval"

    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi

    def _rpc_encode(self):
        return {"lo": self.lo, "hi": self.hi}

    @classmethod
    def _rpc_decode(cls, value):
        return cls(value["lo"], value["hi"])


def test_rpc_encode_hooks_with_ctype():
    codec = make_codec()
    encoded = codec.encode(Interval(1, 3))
    assert encoded == {"_rtype": "custom", "_ctype": "interval", "_rvalue": {"lo": 1, "hi": 3}}
    out = codec.decode(wire_copy(encoded))
    assert isinstance(out, Interval) and (out.lo, out.hi) == (1, 3)
    with pytest.raises(DecodeError, match="unknown _ctype 'nope'"):
        codec.decode({"_rtype": "custom", "_ctype": "nope", "_rvalue": {}})


def test_functions_become_callbacks_and_objects_interfaces():
    codec = make_codec()

    def fn():
        return 1

    class Api:
        hidden = 1

        def run(self):
            return 2

        def _private(self):
            return 3

    cb = codec.encode(fn)
    assert cb["_rtype"] == "callback" and cb["_rname"] == "fn" and codec.peer.callbacks.fetch(cb["_rvalue"]) is fn
    intf = codec.encode({"_rintf": True, "run": fn, "nested": {"deep": fn}, "_secret": fn, "n": 1})
    object_id = intf["_rintf"]
    assert intf["run"] == {"_rtype": "interface", "_rtarget_id": "peer-1", "_rintf": object_id, "_rvalue": "run"}
    assert intf["nested"]["deep"]["_rvalue"] == "nested.deep"
    assert "_secret" not in intf and intf["n"] == 1
    obj = codec.encode(Api())
    assert set(obj) == {"run", "hidden", "_rintf"} and obj["run"]["_rtype"] == "interface"
    assert len(codec.peer.objects) == 2


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"_rtype": "nonsense"}, "unknown _rtype 'nonsense'"),
        ({"_rtype": 5}, "_rtype must be a string"),
        ({"_rtype": "ndarray", "_rvalue": b"\x00" * 7, "_rshape": [2], "_rdtype": "float32"}, "has 7 bytes but shape"),
        ({"_rtype": "ndarray", "_rvalue": "text", "_rshape": [1], "_rdtype": "uint8"}, "must be bytes"),
        ({"_rtype": "ndarray", "_rvalue": b"", "_rshape": "2x3", "_rdtype": "uint8"}, "_rshape must be a list"),
        ({"_rtype": "ndarray", "_rvalue": b"", "_rshape": [-1], "_rdtype": "uint8"}, "_rshape must be a list"),
        ({"_rtype": "ndarray", "_rvalue": b"", "_rshape": [0], "_rdtype": "floaty"}, "invalid _rdtype"),
        ({"_rtype": "ndarray", "_rvalue": b"", "_rshape": [0], "_rdtype": "O"}, "Python objects"),
        ({"_rtype": "ndarray", "_rvalue": [b"ab", 3], "_rshape": [2], "_rdtype": "uint8"}, "chunks must all be bytes"),
        ({"_rtype": "callback", "_rvalue": [1]}, "callback value needs _rvalue"),
        ({"_rtype": "interface", "_rvalue": "f"}, "interface value needs _rintf"),
        ({"_rtype": "set", "_rvalue": [[1]]}, "hashable"),
        ({"_rtype": "orderedmap", "_rvalue": [[1, 2, 3]]}, "pairs"),
        ({"_rtype": "typedarray", "_rvalue": b"\x00" * 3, "_rdtype": "uint16"}, "whole number"),
        ({"_rtype": "blob", "_rvalue": 5}, "blob value needs _rvalue"),
    ],
)
def test_malformed_values_give_clear_errors(bad, message):
    with pytest.raises(DecodeError, match=message):
        make_codec().decode(bad)


def test_relays_forward_arrays_in_their_wire_chunks():
    arr = np.arange(300_000, dtype=np.float32).reshape(300, 1000)
    sender, relay, receiver = make_codec(chunk_bytes=1 << 18), make_codec(chunk_bytes=1 << 18), make_codec()
    relay.lazy_arrays = True
    wire = wire_copy(sender.encode({"image": arr}))
    held = relay.decode(wire)["image"]
    assert isinstance(held, WireArray) and held.nbytes == arr.nbytes and held.shape == [300, 1000]
    forwarded = relay.encode(held)
    assert all(a is b for a, b in zip(forwarded["_rvalue"], held.chunks)), "no copy of the bytes"
    assert_same_array(arr, receiver.decode(wire_copy(forwarded)))
    np.testing.assert_array_equal(np.asarray(held), arr)
    smaller = make_codec(chunk_bytes=1 << 16)
    rechunked = smaller.encode(held)
    assert all(len(c) <= 1 << 16 for c in rechunked["_rvalue"])
    assert_same_array(arr, receiver.decode(wire_copy(rechunked)))
    with pytest.raises(DecodeError, match="has 7 bytes"):
        relay.decode({"_rtype": "ndarray", "_rvalue": [b"\0" * 3, b"\0" * 4], "_rshape": [2], "_rdtype": "float32"})


def test_arrays_received_as_views_are_decoded_without_a_copy_and_relayed_as_bytes():
    arr = np.arange(12, dtype=np.int16).reshape(3, 4)
    buffer = bytearray(arr.tobytes())
    value = {"_rtype": "ndarray", "_rshape": [3, 4], "_rdtype": "int16"}
    for rvalue in (memoryview(buffer), [memoryview(buffer)], memoryview(np.frombuffer(buffer, np.int16))):
        decoded = make_codec().decode({**value, "_rvalue": rvalue})
        assert_same_array(arr, decoded)
        assert np.shares_memory(decoded, np.frombuffer(buffer, np.uint8)), "decoded in place"
    strided = memoryview(bytearray(arr.tobytes() * 2))[::2]  # not contiguous: copied, still right
    assert_same_array(np.frombuffer(bytes(strided), np.int16).reshape(3, 4),
                      make_codec().decode({**value, "_rvalue": strided}))
    relay = make_codec()
    relay.lazy_arrays = True
    held = relay.decode({**value, "_rvalue": [memoryview(buffer)]})
    assert all(type(c) is bytes for c in held.chunks), "a relay sends bytes on (socket.io attachments)"


def test_big_endian_ndarrays_are_refused_on_the_wire():
    from imjoy_hpc.rpc import DecodeError
    from imjoy_hpc.rpc.ndarray import dtype_from_wire

    with pytest.raises(DecodeError, match="is big-endian; ndarray bytes travel little-endian"):
        dtype_from_wire(">f4")
    assert dtype_from_wire("<f4") == np.dtype("float32") and dtype_from_wire("uint8") == np.dtype("uint8")
