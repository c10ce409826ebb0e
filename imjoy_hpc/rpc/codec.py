"""Encoding and decoding of imjoy-rpc v1 values (`_rtype` table of docs/PROTOCOL.md).

`ValueCodec` is bound to one peer: functions it encodes go into that peer's stores, and remote functions it
decodes call back through that peer.
"""

from __future__ import annotations

import inspect
import io
import os
import traceback
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from imjoy_hpc.rpc.dotdict import DotDict
from imjoy_hpc.rpc.errors import DecodeError, EncodeError, RemoteError, UserFacingError
from imjoy_hpc.rpc.ndarray import WireArray, checked_layout, decode_ndarray, dtype_from_wire, encode_ndarray
from imjoy_hpc.rpc.spool import Spool, SpooledArray
from imjoy_hpc.rpc.store import new_id

if TYPE_CHECKING:
    from imjoy_hpc.rpc.peer import RPCPeer

PLAIN_TYPES = (type(None), bool, int, float, str, bytes)


class CodecRegistry:
    """Custom codecs: `register({"name", "type", "encoder", "decoder"})` as imjoy-rpc's register_codec."""

    def __init__(self) -> None:
        self._codecs: dict[str, DotDict] = {}

    def register(self, config: dict) -> None:
        name = config.get("name")
        if not isinstance(name, str) or not name:
            raise ValueError("a codec needs a non-empty string 'name'")
        if not (callable(config.get("encoder")) or callable(config.get("decoder"))):
            raise ValueError(f"codec {name!r} needs an 'encoder' or a 'decoder' function")
        if config.get("encoder") and not config.get("type"):
            raise ValueError(f"codec {name!r} has an encoder but no 'type' to match values")
        for key, codec in list(self._codecs.items()):
            if key == name or (config.get("type") is not None and codec.get("type") == config.get("type")):
                del self._codecs[key]
        self._codecs[name] = DotDict(config)

    def encoder_for(self, value: Any) -> DotDict | None:
        for codec in self._codecs.values():
            if codec.get("encoder") and codec.get("type") and isinstance(value, codec["type"]):
                return codec
        return None

    def decoder_for(self, rtype: str) -> DotDict | None:
        codec = self._codecs.get(rtype)
        return codec if codec and codec.get("decoder") else None

    def names(self) -> list[str]:
        return sorted(self._codecs)


# Classes that encode themselves with `_rpc_encode()` and are rebuilt with `cls._rpc_decode(value)`,
# keyed by their `_ctype` (default: the class name).
_CUSTOM_TYPES: dict[str, type] = {}


def rpc_type(cls: type) -> type:
    """Class decorator: register a class that implements `_rpc_encode` and classmethod `_rpc_decode`."""
    _CUSTOM_TYPES[ctype_of(cls)] = cls
    return cls


def ctype_of(cls: type) -> str:
    return getattr(cls, "_ctype", None) or cls.__name__


_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # imjoy_hpc/


_ERROR_HINTS: list[Callable[[BaseException], "str | None"]] = []
_FIRST_LINE_NOTES: list[Callable[[BaseException], "str | None"]] = []


def add_error_hint(hint: Callable[[BaseException], "str | None"], first_line: bool = False) -> None:
    """Have `hint(exc)` end the text of every error this process sends (when it returns one), e.g. the plugin
    process's note that a failing package was installed without a pin; with `first_line`, it ends the error's
    first line in parentheses instead (e.g. the address a network error could not reach)."""
    (_FIRST_LINE_NOTES if first_line else _ERROR_HINTS).append(hint)


def error_text(exc: BaseException) -> str:
    """An exception as text for the other side: its own line first, then the traceback of the code that raised
    it, with imjoy-hpc's own frames left out (an error raised by imjoy-hpc itself travels as its line alone),
    then what the process's error hints say of it."""
    if isinstance(exc, (RemoteError, UserFacingError)):
        return str(exc)
    text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    notes = [n for n in (note(exc) for note in _FIRST_LINE_NOTES) if n]
    if notes:
        first, newline, rest = text.partition("\n")
        text = f"{first} ({'; '.join(notes)}){newline}{rest}"
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not _is_own_frame(f.filename)] \
        if exc.__traceback__ is not None else []
    if frames:
        text = f"{text}\nTraceback (most recent call last):\n{''.join(traceback.format_list(frames))}".rstrip()
    hints = [h for h in (hint(exc) for hint in _ERROR_HINTS) if h]
    return "\n".join([text, *hints])


def _is_own_frame(filename: str) -> bool:
    """A frame of imjoy-hpc's own modules (not of a plugin file, not of the example plugins shipped with it)."""
    path = os.path.abspath(filename)
    return (path.startswith(_PACKAGE_DIR + os.sep) and path.endswith(".py")
            and not path.startswith(os.path.join(_PACKAGE_DIR, "examples") + os.sep))


def index_object(obj: Any, path: str) -> Any:
    """Follow a dotted method path (`a.b.0.c`) through dicts, lists and attributes."""
    for part in path.split(".") if path else []:
        if isinstance(obj, dict):
            obj = obj[part]
        elif isinstance(obj, (list, tuple)):
            obj = obj[int(part)]
        else:
            if part.startswith("_"):
                raise AttributeError(f"{part!r} is private")
            obj = getattr(obj, part)
    return obj


def _public_members(obj: Any) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in dir(obj) if not name.startswith("_")}


class ValueCodec:
    """Encode Python values for the wire and decode wire values, for one peer."""

    def __init__(self, peer: "RPCPeer", codecs: CodecRegistry | None = None, chunk_bytes: int = 0,
                 lazy_arrays: bool = False) -> None:
        self.peer = peer
        self.codecs = codecs or CodecRegistry()
        self.chunk_bytes = chunk_bytes
        self.lazy_arrays = lazy_arrays  # decode ndarrays as WireArrays (relays that only forward them)
        # Large arrays sent out of band (plugin process -> gateway): `streamer(array)` returns the value that
        # refers to them, for arrays over `stream_bytes`; `streams(id)` gives the bytes of one that arrived.
        self.streamer: Callable[[np.ndarray | np.generic], dict] | None = None
        self.stream_bytes = 0
        self.streams: Callable[[Any], Spool] | None = None
        # A relay's look at the remote objects it passes on (a dict with `_rintf` from another peer): returns the
        # object to send instead (the gateway adds a zarr URL to a plugin's remote array this way).
        self.relayed_object: Callable[[dict], dict] | None = None
        # A relay's other form for the arrays it passes on (the gateway gives pages that fetch arrays over HTTP a
        # URL instead of the bytes): returns the value to send, or None for the usual one.
        self.relayed_array: Callable[[Any], dict | None] | None = None

    # ---------------------------------------------------------------- encode
    def encode(self, value: Any, *, path: str | None = None, object_id: str | None = None) -> Any:
        """Encode `value`; `path`/`object_id` are set while inside an exported interface object."""
        if isinstance(value, PLAIN_TYPES):
            return value
        if isinstance(value, bytearray):
            return bytes(value)
        if isinstance(value, (WireArray, SpooledArray)):
            other = self.relayed_array(value) if self.relayed_array is not None else None
            return other if other is not None else value.encode(self.chunk_bytes)
        codec = self.codecs.encoder_for(value)
        if codec is not None:
            return self._encode_with_codec(codec, value)
        if callable(value):  # functions, bound methods and classes (factories)
            return self._encode_function(value, path, object_id)
        if hasattr(value, "_rpc_encode") and not inspect.isclass(value):
            return {"_rtype": "custom", "_ctype": ctype_of(type(value)), "_rvalue": self.encode(value._rpc_encode())}
        if isinstance(value, (np.ndarray, np.generic)):
            if self.streamer is not None and value.nbytes > self.stream_bytes:
                return self.streamer(value)
            return encode_ndarray(value, self.chunk_bytes)
        if isinstance(value, BaseException):
            return {"_rtype": "error", "_rvalue": error_text(value)}
        if isinstance(value, memoryview):
            return {"_rtype": "memoryview", "_rvalue": value.tobytes()}
        if isinstance(value, io.BytesIO):
            return {"_rtype": "blob", "_rvalue": value.getvalue()}
        if isinstance(value, io.StringIO):
            return {"_rtype": "blob", "_rvalue": value.getvalue(), "_rmime": "text/plain"}
        if isinstance(value, OrderedDict):
            return {"_rtype": "orderedmap", "_rvalue": [[self.encode(k), self.encode(v)] for k, v in value.items()]}
        if isinstance(value, (set, frozenset)):
            return {"_rtype": "set", "_rvalue": [self.encode(v) for v in value]}
        if isinstance(value, (list, tuple)):
            return [self.encode(v, path=self._join(path, i), object_id=object_id) for i, v in enumerate(value)]
        if isinstance(value, dict):
            if "_rtype" in value and "_rintf" not in value:
                return dict(value)  # already encoded
            if value.get("_rintf") and object_id is None and self.relayed_object is not None:
                value = self.relayed_object(value)
            if value.get("_rintf") or object_id is not None:
                return self._encode_interface(value, dict(value), path, object_id)
            return {self._key(k): self.encode(v) for k, v in value.items()}
        if inspect.ismodule(value):
            raise EncodeError(f"cannot send {value!r}: modules are not values")
        # any other object: an interface exporting its public attributes
        return self._encode_interface(value, _public_members(value), path, object_id)

    def encode_interface(self, obj: Any) -> dict:
        """Encode a dict or object as an interface whose functions stay callable many times."""
        members = dict(obj) if isinstance(obj, dict) else _public_members(obj)
        return self._encode_interface(obj, members, None, None, always_export=True)

    @staticmethod
    def _join(path: str | None, key: Any) -> str | None:
        if path is None:
            return None
        return f"{path}.{key}" if path else str(key)

    @staticmethod
    def _key(key: Any) -> str:
        if isinstance(key, str):
            return key
        if isinstance(key, (int, float, bool)) or key is None:
            return str(key)
        raise EncodeError(f"dict keys must be strings or numbers, got {type(key).__name__}")

    def _encode_function(self, fn: Callable, path: str | None, object_id: str | None) -> dict:
        if object_id is not None and path:
            return {"_rtype": "interface", "_rtarget_id": self.peer.peer_id, "_rintf": object_id, "_rvalue": path}
        return {
            "_rtype": "callback",
            "_rname": getattr(fn, "__name__", "callback"),
            "_rtarget_id": self.peer.peer_id,
            "_rvalue": self.peer.callbacks.put(fn),
        }

    def _encode_interface(self, obj: Any, members: dict, path: str | None, object_id: str | None,
                          always_export: bool = False) -> dict:
        top = object_id is None
        if top:
            object_id, path = new_id(), ""
        encoded: dict[str, Any] = {}
        has_function = False
        for key, member in members.items():
            key = self._key(key)
            if key.startswith("_"):
                continue
            has_function = has_function or callable(member)
            encoded[key] = self.encode(member, path=self._join(path, key), object_id=object_id)
        if has_function or (top and always_export):
            encoded["_rintf"] = object_id
            if top:
                self.peer.objects.put(obj, object_id)
        return encoded

    def _encode_with_codec(self, codec: DotDict, value: Any) -> Any:
        encoded = codec.encoder(value)
        if isinstance(encoded, dict):
            encoded = dict(encoded)
            rtype = encoded.pop("_rtype", codec.name)
            if encoded.get("_rintf"):
                encoded = self._encode_interface(encoded, encoded, None, None)
            else:
                encoded = {k: self.encode(v) for k, v in encoded.items()}
            encoded["_rtype"] = rtype
        return encoded

    # ---------------------------------------------------------------- decode
    def decode(self, value: Any, *, with_promise: bool = True) -> Any:
        """Decode a wire value; raises DecodeError with a clear message for malformed input."""
        if isinstance(value, (bytearray, memoryview)):
            return bytes(value)
        if isinstance(value, (list, tuple)):
            return [self.decode(v, with_promise=with_promise) for v in value]
        if not isinstance(value, dict):
            if isinstance(value, PLAIN_TYPES):
                return value
            raise DecodeError(f"cannot decode a value of type {type(value).__name__}")
        if "_rtype" not in value:
            return DotDict({k: self.decode(v, with_promise=with_promise) for k, v in value.items()})
        rtype = value["_rtype"]
        if not isinstance(rtype, str):
            raise DecodeError(f"_rtype must be a string, got {type(rtype).__name__}")
        codec = self.codecs.decoder_for(rtype)
        if codec is not None:
            inner = {k: (v if k == "_rtype" else self.decode(v, with_promise=with_promise)) for k, v in value.items()}
            return codec.decoder(DotDict(inner))
        handler = getattr(self, "_decode_" + rtype, None)
        if handler is None:
            known = ", ".join(sorted(DECODERS + self.codecs.names()))
            raise DecodeError(f"unknown _rtype {rtype!r} (known: {known})")
        return handler(value, with_promise)

    @staticmethod
    def _field(value: dict, name: str, types: tuple, rtype: str) -> Any:
        field = value.get(name)
        if not isinstance(field, types) or isinstance(field, bool):
            expected = " or ".join(t.__name__ for t in types)
            raise DecodeError(f"{rtype} value needs {name} of type {expected}, got {type(field).__name__}")
        return field

    def _decode_callback(self, value: dict, with_promise: bool) -> Any:
        cid = self._field(value, "_rvalue", (str, int), "callback")
        return self.peer.remote_function(
            "callback", value.get("_rtarget_id"), cid, None, with_promise, name=value.get("_rname")
        )

    def _decode_interface(self, value: dict, with_promise: bool) -> Any:
        name = self._field(value, "_rvalue", (str,), "interface")
        object_id = self._field(value, "_rintf", (str, int), "interface")
        return self.peer.remote_function("method", value.get("_rtarget_id"), name, object_id, True)

    def _decode_ndarray(self, value: dict, with_promise: bool) -> Any:
        if "_rstream" in value:
            return self._decode_stream(value)
        return decode_ndarray(value, lazy=self.lazy_arrays)

    def _decode_stream(self, value: dict) -> Any:
        """An array whose bytes were uploaded before its message: a SpooledArray (relays) or a numpy array."""
        if self.streams is None:
            # The gateway's doors take them from plugins and clients alike, each array uploaded first
            # (PUT /array/<id>); an end that takes no uploads (a client, a plugin, a door without a spool) cannot.
            raise DecodeError("ndarray _rstream values are only accepted by the gateway, for arrays uploaded "
                              "to it first (PUT /array/<id>); this connection takes no uploads")
        if value.get("_rerror"):
            raise DecodeError(f"the array could not be sent: {value['_rerror']}")
        spool = self.streams(value["_rstream"])
        try:
            shape, dtype = checked_layout(value, spool.size)
        except DecodeError:
            spool.close()
            raise
        array = SpooledArray(spool, shape, dtype, value.get("_rdtype"))
        if self.lazy_arrays:
            return array
        try:
            return np.asarray(array)
        finally:
            spool.close()

    def _decode_typedarray(self, value: dict, with_promise: bool) -> Any:
        dtype = dtype_from_wire(value.get("_rdtype"))
        data = self._field(value, "_rvalue", (bytes, bytearray, memoryview), "typedarray")
        if len(data) % dtype.itemsize:
            raise DecodeError(f"typedarray payload of {len(data)} bytes is not a whole number of {dtype} items")
        return np.frombuffer(bytes(data), dtype=dtype)

    def _decode_memoryview(self, value: dict, with_promise: bool) -> Any:
        return memoryview(bytes(self._field(value, "_rvalue", (bytes, bytearray, memoryview), "memoryview")))

    def _decode_blob(self, value: dict, with_promise: bool) -> Any:
        data = self._field(value, "_rvalue", (bytes, bytearray, memoryview, str), "blob")
        return io.StringIO(data) if isinstance(data, str) else io.BytesIO(bytes(data))

    def _decode_error(self, value: dict, with_promise: bool) -> Any:
        text = value.get("_rvalue")
        return RemoteError(text if isinstance(text, str) else repr(text))

    def _decode_set(self, value: dict, with_promise: bool) -> Any:
        items = self._field(value, "_rvalue", (list,), "set")
        try:
            return set(self.decode(items, with_promise=with_promise))
        except TypeError as exc:
            raise DecodeError(f"set items must be hashable: {exc}") from None

    def _decode_orderedmap(self, value: dict, with_promise: bool) -> Any:
        items = self._field(value, "_rvalue", (list,), "orderedmap")
        pairs = self.decode(items, with_promise=with_promise)
        if not all(isinstance(p, list) and len(p) == 2 for p in pairs):
            raise DecodeError("orderedmap _rvalue must be a list of [key, value] pairs")
        try:
            return OrderedDict((k, v) for k, v in pairs)
        except TypeError as exc:
            raise DecodeError(f"orderedmap keys must be hashable: {exc}") from None

    def _decode_custom(self, value: dict, with_promise: bool) -> Any:
        ctype = self._field(value, "_ctype", (str,), "custom")
        cls = _CUSTOM_TYPES.get(ctype)
        if cls is None:
            raise DecodeError(f"custom value of unknown _ctype {ctype!r} (registered: {sorted(_CUSTOM_TYPES)})")
        return cls._rpc_decode(self.decode(value.get("_rvalue"), with_promise=with_promise))


DECODERS = [name[len("_decode_") :] for name in dir(ValueCodec) if name.startswith("_decode_")]
