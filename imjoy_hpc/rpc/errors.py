"""Errors raised by the RPC core."""


class RPCError(Exception):
    """Base class of every RPC core error."""


class ProtocolError(RPCError):
    """A malformed message: wrong envelope, unknown type or wrong field types."""


class DecodeError(RPCError):
    """A value that cannot be decoded (unknown `_rtype`, bad fields, truncated ndarray bytes...)."""


class EncodeError(RPCError):
    """A value that cannot be encoded for the wire."""


class RemoteError(RPCError):
    """An exception raised on the remote side; its text carries the remote traceback."""


class ConnectionClosed(RPCError):
    """The peer went away while a call was pending."""


class UserFacingError(Exception):
    """An error whose message is written for the person who caused it: it travels as that message alone (no
    class name, no traceback of the code that found it)."""
