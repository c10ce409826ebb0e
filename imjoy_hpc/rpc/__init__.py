"""The imjoy-rpc v1 core: value codec and peer, independent of any transport (what this module exports: `codec.py`,
`peer.py`, `ndarray.py` with arrays held in spool files `spool.py`, `store.py`, `errors.py`...).

Beside it, what both ends of a connection share and the clients' side of the doors, none of which the core imports:
the plugin link's frames (`link.py`), token proofs (`proof.py`), reading a tornado websocket as its data arrives
(`ws_receive.py`, used by the plugin link's client here and by the gateway's doors), and the clients' transports:
socket.io for scripts (`sioclient.py`, `sio_arrays.py`), the plugin link for plugin processes (`connection.py`,
`linkclient.py`, `upload.py`). The gateway's side of the doors is imjoy_hpc.transport; nothing here imports it or
imjoy_hpc.gateway (plugin processes, in other Pythons too, import this package without either)."""

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
