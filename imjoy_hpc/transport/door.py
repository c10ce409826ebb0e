"""What every door of the gateway does whatever its transport: admit connections, register them (rate, pending and
size limits before that), one RPC peer per connection, sessions that outlive a dropped connection, take-over on
re-attach. The transports are `sockets.SocketDoor` (socket.io: browsers and scripts on the front door) and
`link.LinkDoor` (the plugin link: plugin processes on the plugin door)."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Protocol

from imjoy_hpc.transport.causes import CauseLog
from imjoy_hpc.transport.limits import OWN
from imjoy_hpc.transport.receivers import receiver_chunk_bytes
from imjoy_hpc.transport.uploads import KEY_FIELD as UPLOAD_KEY_FIELD
from imjoy_hpc.transport.uploads import UPLOAD_PATH, Uploads
from imjoy_hpc.rpc import ProtocolError, RPCPeer

logger = logging.getLogger("imjoy_hpc.gateway")
REGISTER_TIMEOUT = 15.0
CONNECTION_LOST = "connection lost during the call; the plugin is still running"


def _duration(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds >= 120 else f"{seconds:.0f} s"


class RegistrationRefused(Exception):
    """The registration was refused; the message goes back to the client."""


class Channel(Protocol):
    """The transport under one connection of a door, as its `Connection` uses it."""

    def send(self, message: dict) -> None:
        """Queue one RPC message, in order (dropped when the connection is gone)."""

    async def close(self) -> None:
        """Close the connection."""


@dataclass
class Registration:
    """What a door decided about a registering connection."""

    kind: str                                  # "client" or "plugin"
    name: str
    api: Callable[["Connection"], Any]         # builds the host API exported to this connection
    on_ready: Callable[["Connection", Any], Any] = lambda s, remote_api: None  # the connection exported its API
    on_close: Callable[["Connection", str], Any] = lambda s, reason: None
    defer_peer_close: bool = False             # the owner closes the peer once it knows why the connection ended
    # A client re-attaching its session on a new connection: (old connection, new one) before the old one closes.
    on_takeover: Callable[["Connection", "Connection"], Any] = lambda old, new: None


@dataclass
class Connection:
    """One registered connection of a door and its RPC peer. A client's session (`session_id`, the ImJoy meaning:
    kept across connections) outlives a dropped Connection for the door's grace period (the Connection is then
    suspended), and moves to the new Connection that re-attaches it."""

    door: "Door"
    sid: str                                   # the connection's id on its door
    registration: Registration
    config: dict
    channel: Channel
    peer: RPCPeer | None = None
    peer_id: str | None = None
    closed: bool = False
    session_id: str = ""                       # the client's session, kept across connections
    suspended_at: float | None = None          # its connection dropped; its client may re-attach within the grace
    replaced: bool = False                     # re-attached on a newer connection: this one just closes
    uploads: Any = None                        # arrays this connection's plugin streamed to the door (UploadBox)
    _expiry: Any = None

    @property
    def kind(self) -> str:
        return self.registration.kind

    @property
    def name(self) -> str:
        return self.registration.name

    @property
    def connected(self) -> bool:
        """Registered, its RPC peer started, and its connection up (not waiting for its client to come back)."""
        return self.peer is not None and not self.closed and self.suspended_at is None

    def function(self, name: str) -> Callable[..., Any] | None:
        """A function this connection's client exported (showProgress, onPluginStatus...), None if it has none or
        is not connected."""
        remote = self.peer.remote if self.connected else None
        fn = remote.get(name) if remote else None
        return fn if callable(fn) else None

    def close_peer(self, reason: str) -> None:
        """Fail the calls still waiting on this connection's client with `reason`."""
        if self.peer is not None and not self.peer.closed:
            self.peer.close(reason)

    def send(self, message: dict) -> None:
        """Queue an RPC message for this client, in order (nothing goes out while its connection is down)."""
        if self.closed or self.suspended_at is not None:
            return
        message["peer_id"] = self.peer_id
        self.channel.send(message)

    def suspend(self, grace: float, expire: Callable[["Connection"], Any]) -> None:
        """The connection dropped: keep its session's plugins for `grace` seconds, for its client to re-attach."""
        self.suspended_at = time.time()
        self._expiry = asyncio.get_running_loop().call_later(grace, expire, self)
        if self.uploads is not None:  # arrays it uploaded (or was uploading) are for messages that will not come
            self.door.uploads.close_box(self.uploads)
        if self.peer is not None:  # calls waiting on this client (a plugin's api.prompt...) cannot be answered
            self.peer.close(CONNECTION_LOST)

    async def disconnect(self) -> None:
        await self.channel.close()

    def close(self, reason: str) -> None:
        if self.closed:
            return
        self.closed = True
        if self._expiry is not None:
            self._expiry.cancel()
        if self.uploads is not None:
            self.door.uploads.close_box(self.uploads)
        if self.peer is not None and not self.registration.defer_peer_close:
            self.peer.close(reason)
        try:
            self.registration.on_close(self, reason)
        except Exception:  # noqa: BLE001
            logger.exception("closing session %s", self.name)


def close_later(channel: Channel, delay: float) -> None:
    """Close a connection after `delay` seconds (its last reply has time to leave)."""
    asyncio.get_running_loop().call_later(delay, lambda: asyncio.ensure_future(channel.close()))


class Door:
    """Registration, sessions and RPC messages of one door (docs/PROTOCOL.md's `register_plugin` /
    `plugin_message`)."""

    def __init__(self, name: str, *, register: Callable[[dict, str], Awaitable[Registration]],
                 max_message_bytes: int, chunk_bytes: int, relay_arrays: bool = True,
                 preauth_max_bytes: int, max_pending: int, registrations_per_second: float, grace: float = 0.0,
                 uploads: Uploads | None = None, credentials: Callable[[dict], str | None] | None = None,
                 register_timeout: float = REGISTER_TIMEOUT) -> None:
        self.name = name
        # What is wrong with a registration's credentials (None: they hold), checked before anything is spent
        # on it: a neighbour without the token or a plugin's secret uses neither the budget nor a slot.
        self.credentials = credentials or (lambda config: None)
        self.register_timeout = register_timeout
        self.uploads = uploads                 # large arrays arrive as HTTP uploads into spool files
        self.grace = grace                     # seconds a dropped client session waits for its client
        self.suspended: dict[str, Connection] = {}  # by session_id
        self.closing = False
        self.max_message_bytes = max_message_bytes
        self.preauth_max_bytes = min(preauth_max_bytes, max_message_bytes)
        self.max_pending = max_pending
        self.causes = CauseLog(logger)
        self.pending: dict[str, set[str]] = {}  # connections that have not registered yet, by origin
        self._rate = float(registrations_per_second)
        self._tokens, self._refilled = self._rate, 0.0
        self.relay_arrays = relay_arrays
        self.register = register
        self.chunk_bytes = chunk_bytes
        self.connections: dict[str, Connection] = {}

    # ------------------------------------------------------------------ what a transport may change
    def _registered(self, connection: Connection) -> None:
        """The connection registered: lift its pre-registration limits."""

    def _refused(self, sid: str, channel: Channel) -> None:
        """A registration was refused: by default the connection is closed once the reply has left."""
        close_later(channel, 0.5)

    # ------------------------------------------------------------------ admission
    def admit(self, sid: str, channel: Channel, origin: str = OWN) -> bool:
        """A new connection from `origin` (limits.OWN, OTHER_USER, REMOTE): False (and noted) when too many of
        that origin are already waiting to register (those of others never take the owner's places); otherwise it
        is closed unless it registers within `register_timeout`."""
        waiting = self.pending.setdefault(origin, set())
        if len(waiting) >= self.max_pending:
            self.causes.note(f"{self.name} door: connection refused, {self.max_pending} connections ({origin}) are "
                             "already waiting to register")
            return False
        waiting.add(sid)
        asyncio.get_running_loop().call_later(self.register_timeout, self._drop_unregistered, sid, channel)
        return True

    def pending_count(self) -> int:
        return sum(len(waiting) for waiting in self.pending.values())

    def _unpend(self, sid: str) -> None:
        for waiting in self.pending.values():
            waiting.discard(sid)

    def _drop_unregistered(self, sid: str, channel: Channel) -> None:
        self._unpend(sid)
        if sid not in self.connections and not self._kept_refused(sid):
            self.causes.note(f"{self.name} door: connections that did not register in time closed", "",
                             logging.INFO)
            asyncio.ensure_future(channel.close())

    def _kept_refused(self, sid: str) -> bool:
        return False

    def _allow_registration(self) -> bool:
        """A token bucket: at most `registrations_per_second` on average, bursts of as many."""
        now = asyncio.get_running_loop().time()
        self._tokens = min(self._rate, self._tokens + (now - self._refilled) * self._rate)
        self._refilled = now
        if self._tokens < 1.0:
            return False
        self._tokens -= 1.0
        return True

    # ------------------------------------------------------------------ registration
    async def register_connection(self, sid: str, config: Any, channel: Channel) -> dict:
        """The reply to a connection's registration (`{success: true, ...}` or `{success: false, detail}`)."""
        if sid in self.connections:
            return {"success": False, "detail": "this connection is already registered"}
        if not isinstance(config, dict):
            return {"success": False, "detail": "register_plugin needs a config object"}
        wrong = self.credentials(config)
        if wrong is not None:  # refused before the budget: only a holder of the token or a secret can spend it
            self.causes.note(f"{self.name} door refused a registration", wrong)
            self._refused(sid, channel)
            return {"success": False, "detail": wrong}
        if not self._allow_registration():
            self.causes.note(f"{self.name} door: registrations over the rate limit refused")
            close_later(channel, 0.5)
            return {"success": False, "retry": True,
                    "detail": "too many registrations right now; try again in a second"}
        try:
            registration = await self.register(config, sid)
        except RegistrationRefused as exc:
            self.causes.note(f"{self.name} door refused a registration", str(exc))
            self._refused(sid, channel)
            return {"success": False, "detail": str(exc)}
        wanted = config.get("session_id")
        session_id = wanted if isinstance(wanted, str) and 8 <= len(wanted) <= 128 else uuid.uuid4().hex
        connection = Connection(self, sid, registration, config, channel, session_id=session_id)
        self.connections[sid] = connection
        self._unpend(sid)
        self._registered(connection)
        old = self._same_session(connection)
        if old is not None:
            await self._take_over(old, connection)
        # chunk_bytes: the largest array chunk this door takes in one message (our clients send in chunks of it)
        reply = {"success": True, "plugin_id": f"plugin-{sid}", "session_id": session_id,
                 "chunk_bytes": self.chunk_bytes}
        if self.uploads is not None:  # arrays larger than one chunk come as HTTP uploads into spool files
            connection.uploads = self.uploads.open_box(config.get(UPLOAD_KEY_FIELD))
            reply.update(upload_key=connection.uploads.key, upload_path=UPLOAD_PATH)
        return reply

    def _same_session(self, connection: Connection) -> Connection | None:
        for other in [*self.connections.values(), *self.suspended.values()]:
            if other is not connection and other.session_id == connection.session_id \
                    and other.kind == connection.kind:
                return other
        return None

    async def _take_over(self, old: Connection, new: Connection) -> None:
        """A client re-attaches its session on a new connection: its plugins move to it, the old one closes."""
        try:
            new.registration.on_takeover(old, new)
        except Exception:  # noqa: BLE001
            logger.exception("moving session %s to a new connection", old.session_id)
        old.replaced = True
        if old.suspended_at is not None:
            self.suspended.pop(old.session_id, None)
            old.close("re-attached on a new connection")
        else:
            await old.disconnect()

    def _expire(self, connection: Connection) -> None:
        if self.suspended.get(connection.session_id) is connection:
            del self.suspended[connection.session_id]
        connection.close(f"its connection did not come back within the grace period ({_duration(self.grace)})")

    # ------------------------------------------------------------------ messages
    def handle_message(self, sid: str, message: Any) -> dict:
        """One RPC message from a connection; the ack (`{success: false, detail}` for what was refused)."""
        connection = self.connections.get(sid)
        if connection is None or connection.closed:
            return {"success": False, "detail": "not registered: send register_plugin with a valid token first"}
        if not isinstance(message, dict):
            return {"success": False, "detail": f"a plugin_message must be an object, got {type(message).__name__}"}
        try:
            if connection.peer is None:
                self._start_peer(connection, message)
            connection.peer.handle_message(message)
        except ProtocolError as exc:
            self.causes.note(f"malformed messages from {connection.name}", str(exc), logging.INFO)
            return {"success": False, "detail": str(exc)}
        except RecursionError:
            self.causes.note(f"too deeply nested messages from {connection.name}")
            return {"success": False, "detail": "the message is nested too deeply"}
        except Exception as exc:  # noqa: BLE001 - one bad message must not hurt the others
            self.causes.note(f"messages from {connection.name} that failed", f"{type(exc).__name__}: {exc}")
            return {"success": False, "detail": f"{type(exc).__name__}: {exc}"}
        return {"success": True}

    def _start_peer(self, connection: Connection, message: dict) -> None:
        if message.get("type") != "imjoyRPCReady":
            raise ProtocolError("the first message must be imjoyRPCReady")
        peer_id = message.get("peer_id")
        if not isinstance(peer_id, str) or not peer_id:
            raise ProtocolError("imjoyRPCReady needs a peer_id string")
        connection.peer_id = peer_id
        # A relaying gateway keeps arrays in their wire chunks (no join, no re-split, one copy in memory);
        # a gateway whose own Python code uses the results (headless runs) decodes them as numpy arrays.
        peer = RPCPeer(connection.send, peer_id=peer_id, config={"name": "imjoy-hpc"},
                       chunk_bytes=receiver_chunk_bytes(connection.config, self.chunk_bytes),
                       lazy_arrays=self.relay_arrays)
        if connection.uploads is not None:
            peer.codec.streams = connection.uploads.take
        peer.on_log = lambda text: logger.info("[%s] %s", connection.name, text)
        peer.on_error = lambda text: logger.warning("[%s] %s", connection.name, text)
        peer.on_remote = lambda api: connection.registration.on_ready(connection, api)
        peer.on_close = lambda reason: asyncio.ensure_future(connection.disconnect())
        connection.peer = peer
        peer.set_interface(connection.registration.api(connection))

    # ------------------------------------------------------------------ ends
    def connection_ended(self, sid: str, reason: str, intended: bool) -> None:
        """A connection ended (`intended`: closed on purpose by its client or by the gateway)."""
        self._unpend(sid)
        connection = self.connections.pop(sid, None)
        if connection is None:
            return
        # A connection that dropped (transport closed, pings unanswered) waits for its client; one the client
        # closed on purpose or the gateway closed ends its session at once.
        # (A client that said goodbye over RPC, imjoy-rpc's dispose(), has a closed peer.)
        if self.grace > 0 and not intended and not self.closing and not connection.replaced \
                and connection.peer is not None and not connection.peer.closed and connection.kind == "client":
            self.suspended[connection.session_id] = connection
            connection.suspend(self.grace, self._expire)
            logger.info("%s lost its connection (%s); its session is kept for %s", connection.name, reason,
                        _duration(self.grace))
            return
        connection.close("replaced by a new connection" if connection.replaced else "disconnected")

    async def close(self) -> None:
        self.closing = True
        for connection in list(self.suspended.values()):
            connection.close("the gateway is stopping")
        self.suspended.clear()
        for connection in list(self.connections.values()):
            try:
                await connection.disconnect()
            except Exception:  # noqa: BLE001
                pass
            self.connections.pop(connection.sid, None)
            connection.close("the gateway is stopping")  # a no-op if its disconnect already ended it
