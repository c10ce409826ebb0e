"""The private parts of python-socketio, python-engineio and tornado that imjoy-hpc reaches into, one test each:
when a new release moves one, this says which and what depends on it (setup.cfg caps these three dependencies
below their next major version; a minor release can still move a private name)."""

from __future__ import annotations

import inspect

import engineio
import pytest
import socketio
import tornado.iostream
import tornado.websocket
from engineio import socket as eio_socket


def needs(owner: object, name: str, used_by: str) -> None:
    assert hasattr(owner, name), (
        f"{getattr(owner, '__module__', '')}.{getattr(owner, '__qualname__', owner)} has no {name!r} any more "
        f"(installed: python-socketio {socketio.__version__ if hasattr(socketio, '__version__') else '?'}, "
        f"tornado {tornado.version}); {used_by} relies on it")


def test_socketio_server_handles_engineio_messages_in_one_method():
    needs(socketio.AsyncServer, "_handle_eio_message",
          "transport/sockets.py (SocketDoor._guard_decoding: a packet that cannot be decoded drops its connection)")
    params = list(inspect.signature(socketio.AsyncServer._handle_eio_message).parameters)
    assert params[1:3] == ["eio_sid", "data"], f"_handle_eio_message now takes {params}"


def test_socketio_manager_maps_sids_to_engineio_sids():
    needs(socketio.AsyncServer().manager, "eio_sid_from_sid",
          "transport/sockets.py and transport/binary_send.py (finding a client's engine.io socket)")


def test_engineio_server_keeps_sockets_and_its_websocket_class():
    server = engineio.AsyncServer(async_mode="tornado")
    needs(server, "_get_socket", "transport/binary_send.py (binary sends straight to a client's socket)")
    needs(server, "_async", "transport/binary_send.py (install_draining_websocket replaces the websocket class)")
    assert "websocket" in server._async, "engine.io's async driver table has no 'websocket' entry any more"


def test_engineio_tornado_driver_and_socket_receive():
    from engineio.async_drivers import tornado as eio_tornado

    needs(eio_tornado, "WebSocket", "transport/binary_send.py (DrainingWebSocket subclasses it)")
    for name in ("receive", "upgraded", "closing", "closed"):
        assert name in inspect.getsource(eio_socket) or hasattr(eio_socket.Socket, name), (
            f"engine.io's Socket has no {name!r} any more; transport/eio_receive.py (InlineReceiver) relies on it")


@pytest.mark.parametrize("name", ["_consume", "_read_buffer_size", "_handle_read", "_add_io_state"])
def test_tornado_iostream_internals_the_frame_reader_uses(name):
    stream_attrs = set(dir(tornado.iostream.BaseIOStream)) | set(
        inspect.signature(tornado.iostream.BaseIOStream.__init__).parameters)
    assert name in stream_attrs or name in inspect.getsource(tornado.iostream.BaseIOStream), (
        f"tornado {tornado.version}'s IOStream has no {name!r} any more; rpc/ws_receive.py (ReadWhenReadable) "
        "reads frames through it (it falls back to tornado's own reading without it, slower)")


@pytest.mark.parametrize("name", ["_handle_message", "_fragmented_message_buffer", "_fragmented_message_opcode"])
def test_tornado_websocket_protocol_internals(name):
    source = inspect.getsource(tornado.websocket.WebSocketProtocol13)
    assert name in source, (f"tornado {tornado.version}'s WebSocketProtocol13 has no {name!r} any more; "
                            "rpc/ws_receive.py hands each frame to it")
