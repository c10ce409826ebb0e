"""The imjoy-rpc v1 core: value codec and peer, independent of any transport."""

from imjoy_hpc.rpc.codec import CodecRegistry, ValueCodec, rpc_type
from imjoy_hpc.rpc.dotdict import DotDict
from imjoy_hpc.rpc.errors import (
    ConnectionClosed,
    DecodeError,
    EncodeError,
    ProtocolError,
    RemoteError,
    RPCError,
    UserFacingError,
)
from imjoy_hpc.rpc.ndarray import JS_TYPED_ARRAYS, WireArray, decode_ndarray, encode_ndarray
from imjoy_hpc.rpc.peer import API_VERSION, Relayed, RemoteFunction, RPCPeer

__all__ = [
    "API_VERSION", "CodecRegistry", "ConnectionClosed", "DecodeError", "DotDict", "EncodeError", "JS_TYPED_ARRAYS",
    "ProtocolError", "RPCError", "RPCPeer", "Relayed", "RemoteError", "RemoteFunction", "ValueCodec", "WireArray",
    "decode_ndarray", "encode_ndarray", "rpc_type", "UserFacingError",
]
