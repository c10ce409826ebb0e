"""One side of an imjoy-rpc v1 connection, independent of the transport.

The transport gives incoming messages to `handle_message` and sends what the peer passes to `send`. The same class
serves both roles of docs/PROTOCOL.md's handshake: the host (`start_host` on `imjoyRPCReady`) and the plugin
(`connect`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import inspect
import logging
import threading
import uuid
from typing import Any, Callable

from imjoy_hpc.rpc.codec import CodecRegistry, ValueCodec, error_text, index_object
from imjoy_hpc.rpc.dotdict import DotDict
from imjoy_hpc.rpc.errors import ConnectionClosed, DecodeError, ProtocolError, RemoteError, RPCError
from imjoy_hpc.rpc.futures import settle_as
from imjoy_hpc.rpc.stepping import start_now
from imjoy_hpc.rpc.store import CallbackStore, ObjectStore

API_VERSION = "0.2.3"
QUICK_SYNC_SECONDS = 0.002  # a sync function run in a thread is waited for this long before the loop moves on
logger = logging.getLogger("imjoy_hpc.rpc")

# message type -> required fields and their types
MESSAGE_FIELDS: dict[str, dict[str, tuple]] = {
    "imjoyRPCReady": {},
    "initialize": {},
    "initialized": {},
    "setInterface": {"api": (dict,)},
    "getInterface": {},
    "interfaceSetAsRemote": {},
    "method": {"name": (str,), "object_id": (str, int), "args": (list,)},
    "callback": {"id": (str, int), "args": (list,)},
    "disposeObject": {"object_id": (str, int)},
    "disposed": {},
    "execute": {"code": (dict,)},
    "executed": {},
    "log": {},
    "error": {},
    "disconnect": {},
}


class Relayed:
    """A function whose calls the peer hands on at once to another peer (`relay`), without a task of its own."""

    __slots__ = ()

    def relay(self, args: list, kwargs: dict, settle: Callable[[bool, Any], None]) -> bool:
        raise NotImplementedError


class RemoteFunction(Relayed):
    """A function of the remote peer: an interface method (reusable) or a one-shot callback."""

    __slots__ = ("_peer", "kind", "target_id", "key", "object_id", "with_promise", "__name__")

    def __init__(self, peer: "RPCPeer", kind: str, target_id: Any, key: Any, object_id: Any, with_promise: bool,
                 name: str | None = None) -> None:
        self._peer, self.kind, self.target_id, self.key = peer, kind, target_id, key
        self.object_id, self.with_promise = object_id, with_promise
        self.__name__ = name or str(key)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._peer.call_remote(self, args, kwargs)

    def relay(self, args: list, kwargs: dict, settle: Callable[[bool, Any], None]) -> bool:
        """Call it for another peer (on the loop's thread): `settle(ok, result or error)` is called as soon as
        the result comes, without a future in between. False when the call has no result to wait for."""
        return self._peer._call(self, args, kwargs, settle) is not None

    def __repr__(self) -> str:
        return f"<remote {self.kind} {self.__name__}>"


class RPCPeer:
    """imjoy-rpc v1 message handling, value encoding and the object/callback stores of one connection."""

    def __init__(
        self,
        send: Callable[[dict], Any],
        *,
        peer_id: str | None = None,
        config: dict | None = None,
        codecs: CodecRegistry | None = None,
        chunk_bytes: int = 0,
        sync_in_thread: bool = False,
        lazy_arrays: bool = False,
    ) -> None:
        self._send = send
        self.peer_id = peer_id or str(uuid.uuid4())
        self.config = dict(config or {})
        self.config.setdefault("name", "imjoy-hpc")
        self.config.setdefault("api_version", API_VERSION)
        self.config.setdefault("id", self.peer_id)
        self.callbacks = CallbackStore()
        self.objects = ObjectStore()
        self.codec = ValueCodec(self, codecs, chunk_bytes, lazy_arrays)
        self.sync_in_thread = sync_in_thread
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        self.loop = asyncio.get_running_loop()
        self._thread = threading.get_ident()
        self._thread_calls_lock = threading.Lock()
        self._thread_calls_made = 0  # calls made by sync functions in worker threads, and how many were sent
        self._thread_calls_sent = 0
        self.local_api: Any = None
        self.remote: DotDict | None = None
        self.remote_config: DotDict = DotDict()
        self._remote_ready: asyncio.Future = self.loop.create_future()
        self._interface_requested = False
        self._interface_acked: asyncio.Future | None = None
        self._local_api_id: str | None = None
        self._pending: set[asyncio.Future] = set()
        self._relays: dict[str, Callable[[BaseException], None]] = {}  # relayed calls waiting: their rejects
        self._dispose_waiters: list[asyncio.Future] = []
        self._tasks: set[asyncio.Task] = set()
        self.closed = False
        self.on_log: Callable[[str], Any] = lambda m: logger.info("remote log: %s", m)
        self.on_error: Callable[[str], Any] = lambda m: logger.warning("remote error: %s", m)
        self.on_close: Callable[[str], Any] = lambda reason: None
        self.on_remote: Callable[[DotDict], Any] = lambda api: None

    # ------------------------------------------------------------------ sending
    def send(self, message: dict) -> None:
        if self.closed:
            raise ConnectionClosed(f"connection to {self.remote_config.get('name') or 'peer'} is closed")
        self._send(message)

    def _spawn(self, coro) -> asyncio.Task:
        task = self.loop.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _start(self, coro) -> None:
        """Run a call at once up to its first wait (most calls never wait: their result leaves in this step, one
        scheduling round sooner); the rest of one that waits continues as a task."""
        start_now(coro, self._spawn)

    # ------------------------------------------------------------------ handshake
    def connect(self) -> None:
        """Plugin role: announce ourselves to the host."""
        self.send({"type": "imjoyRPCReady", "config": self.config, "peer_id": self.peer_id})

    def start_host(self, remote_config: dict) -> None:
        """Host role, on `imjoyRPCReady`: send `initialize`."""
        self.remote_config = DotDict(remote_config or {})
        self.send({
            "type": "initialize",
            "config": {
                "name": self.remote_config.get("name"),
                "type": self.remote_config.get("type"),
                "allow_execution": False,
                "enable_service_worker": True,
                "forwarding_functions": ["close", "on", "off", "emit"],
                "expose_api_globally": True,
                "credential": None,
            },
            "peer_id": self.peer_id,
        })

    def set_interface(self, api: Any) -> asyncio.Future:
        """Export `api` to the remote side; the future resolves when the remote acknowledges it."""
        self.local_api = api
        if self._interface_acked is None or self._interface_acked.done():
            self._interface_acked = self.loop.create_future()
        if self._interface_requested:
            self._send_interface()
        return self._interface_acked

    async def wait_remote(self, timeout: float | None = None) -> DotDict:
        """The remote API, once it has been received."""
        return await asyncio.wait_for(asyncio.shield(self._remote_ready), timeout)

    def _send_interface(self) -> None:
        if self._local_api_id is not None:
            self.objects.remove(self._local_api_id)
        api = self.codec.encode_interface(self.local_api)
        self._local_api_id = api.get("_rintf")
        self.send({"type": "setInterface", "api": api})

    # ------------------------------------------------------------------ incoming
    def handle_message(self, message: Any) -> None:
        """Dispatch one incoming message; raises ProtocolError for a malformed envelope."""
        if self.closed:
            raise ProtocolError("connection is closed")
        if not isinstance(message, dict):
            raise ProtocolError(f"a message must be an object, got {type(message).__name__}")
        mtype = message.get("type")
        if mtype not in MESSAGE_FIELDS:
            raise ProtocolError(f"unknown message type {mtype!r}")
        for field, types in MESSAGE_FIELDS[mtype].items():
            if not isinstance(message.get(field), types) or isinstance(message.get(field), bool):
                expected = " or ".join(t.__name__ for t in types)
                raise ProtocolError(f"{mtype} message needs field {field!r} of type {expected}")
        getattr(self, "_on_" + mtype)(message)

    def _on_imjoyRPCReady(self, msg: dict) -> None:
        self.start_host(msg.get("config") if isinstance(msg.get("config"), dict) else {})

    def _on_initialize(self, msg: dict) -> None:
        self.send({"type": "initialized", "config": self.config, "peer_id": self.peer_id})

    def _on_initialized(self, msg: dict) -> None:
        config = msg.get("config")
        if isinstance(config, dict):
            self.remote_config = DotDict({**self.remote_config, **config})
        self._interface_requested = True
        if self.local_api is not None:
            self._send_interface()
        self.send({"type": "getInterface"})

    def _on_getInterface(self, msg: dict) -> None:
        self._interface_requested = True
        if self.local_api is not None:
            self._send_interface()

    def _on_setInterface(self, msg: dict) -> None:
        remote = self.codec.decode(msg["api"], with_promise=False)
        if self.remote is None:
            self.remote = remote
        else:  # keep the object identity for holders of the old reference
            self.remote.clear()
            self.remote.update(remote)
        self.send({"type": "interfaceSetAsRemote"})
        if not self._remote_ready.done():
            self._remote_ready.set_result(self.remote)
        self.on_remote(self.remote)

    def _on_interfaceSetAsRemote(self, msg: dict) -> None:
        if self._interface_acked is not None and not self._interface_acked.done():
            self._interface_acked.set_result(None)

    def _on_method(self, msg: dict) -> None:
        resolve, reject = self._promise(msg)
        try:
            try:
                target = self.objects.get(msg["object_id"])
            except KeyError:
                raise RemoteError(f"unknown object {msg['object_id']!r} (never exported or already disposed)") from None
            try:
                fn = index_object(target, msg["name"])
            except (KeyError, IndexError, AttributeError, ValueError):
                raise RemoteError(f"the remote object has no method {msg['name']!r}") from None
            if not callable(fn):
                raise RemoteError(f"{msg['name']!r} is not a function")
            args, kwargs = self._arguments(msg)
        except Exception as exc:  # noqa: BLE001 - reported to the caller
            self._fail(exc, reject, f"calling {msg['name']!r}")
            return
        if isinstance(fn, Relayed):
            self._relay(fn, args, kwargs, resolve, reject, msg["name"])
            return
        self._start(self._run(fn, args, kwargs, resolve, reject, msg["name"]))

    def _on_callback(self, msg: dict) -> None:
        resolve, reject = self._promise(msg)
        fn = self.callbacks.fetch(msg["id"])
        try:
            if fn is None:
                raise RemoteError(
                    f"callback {msg['id']!r} is unknown or was already called (callbacks are one-shot; "
                    "export an object to call a function many times)"
                )
            args, kwargs = self._arguments(msg)
        except Exception as exc:  # noqa: BLE001
            if getattr(fn, "_rpc_internal", False):  # a result we cannot decode fails our call, it must not hang
                why = f"the result could not be received: {type(exc).__name__}: {exc}"
                getattr(fn, "_rpc_reject", fn)(RemoteError(why))
                return
            self._fail(exc, reject, "a callback")
            return
        if getattr(fn, "_rpc_internal", False):  # our own resolve/reject: settle at once, in order
            fn(*args, **kwargs)
            return
        if isinstance(fn, Relayed):
            self._relay(fn, args, kwargs, resolve, reject, getattr(fn, "__name__", "callback"))
            return
        self._start(self._run(fn, args, kwargs, resolve, reject, getattr(fn, "__name__", "callback")))

    def _promise(self, msg: dict) -> tuple[Callable | None, Callable | None]:
        promise = msg.get("promise")
        if promise is None:
            return None, None
        if not (isinstance(promise, list) and len(promise) == 2):
            raise ProtocolError("promise must be a list of [resolve, reject] callbacks")
        try:
            resolve, reject = self.codec.decode(promise, with_promise=False)
        except DecodeError as exc:
            raise ProtocolError(f"invalid promise: {exc}") from None
        if not (callable(resolve) and callable(reject)):
            raise ProtocolError("promise must hold two callbacks")
        return resolve, reject

    def _arguments(self, msg: dict) -> tuple[list, dict]:
        args = self.codec.decode(msg["args"], with_promise=True)
        kwargs: dict = {}
        if msg.get("with_kwargs"):
            if not args or not isinstance(args[-1], dict):
                raise DecodeError("with_kwargs is set but the last argument is not an object")
            kwargs = dict(args.pop())
        return args, kwargs

    async def _run(self, fn: Callable, args: list, kwargs: dict, resolve, reject, name: str) -> None:
        try:
            if self.sync_in_thread and not (inspect.iscoroutinefunction(fn) or isinstance(fn, Relayed)):
                result = await self._in_thread(functools.partial(fn, *args, **kwargs))
                while self._thread_calls_sent < self._thread_calls_made:  # what it sent goes out before its result
                    await asyncio.sleep(0)
            else:
                result = fn(*args, **kwargs)
            if inspect.isawaitable(result):
                result = await result
            if resolve is not None:
                resolve(result)
        except Exception as exc:  # noqa: BLE001
            self._fail(exc, reject, f"calling {name!r}")

    def _relay(self, fn: Relayed, args: list, kwargs: dict, resolve, reject, name: str) -> None:
        """Forward a call to another peer's function at once (a relay, as the gateway is): its result, when it
        comes, settles our caller's promise; no task and no scheduling round of our own on the way."""
        def settle(ok: bool, result: Any) -> None:
            if not ok:
                self._fail(result, reject, f"calling {name!r}")
            elif resolve is not None:
                try:
                    resolve(result)
                except Exception as exc:  # noqa: BLE001
                    self._fail(exc, reject, f"calling {name!r}")

        try:
            waits = fn.relay(args, kwargs, settle)
        except Exception as exc:  # noqa: BLE001
            self._fail(exc, reject, f"calling {name!r}")
            return
        if not waits and resolve is not None:
            resolve(None)

    async def _in_thread(self, call: Callable[[], Any]) -> Any:
        """Run a sync function in a worker thread (the connection stays alive during long work). A quick one is
        waited for a moment (the loop blocks at most QUICK_SYNC_SECONDS): its result goes out without the extra
        wake-ups of a thread handing a result back to the loop."""
        if self._executor is None:
            self._executor = concurrent.futures.ThreadPoolExecutor(thread_name_prefix="imjoy-rpc-call")
        raised: list[tuple[BaseException, Any]] = []  # what the function raised, and the frames it raised in

        def keeping_traceback() -> Any:
            try:
                return call()
            except BaseException as exc:
                raised.append((exc, exc.__traceback__))
                raise

        running = self._executor.submit(keeping_traceback)
        try:
            try:
                return running.result(timeout=QUICK_SYNC_SECONDS)
            except concurrent.futures.TimeoutError:
                return await asyncio.wrap_future(running)
        except BaseException as exc:
            # An exception handed across threads may arrive without the frames it was raised in (seen with a quick
            # call's future): the caller's error text shows the plugin's own lines, so they are put back.
            if raised and raised[0][0] is exc:
                raise exc.with_traceback(raised[0][1])
            raise

    def _fail(self, exc: BaseException, reject: Callable | None, what: str) -> None:
        text = f"{type(exc).__name__}: {exc}" if isinstance(exc, RPCError) else error_text(exc)
        if self.closed:
            return
        try:
            if reject is not None:
                reject(RemoteError(text))
            else:
                self.send({"type": "error", "message": f"error while {what}: {text}"})
        except Exception:  # noqa: BLE001 - e.g. the result could not be encoded either
            logger.exception("could not report an error while %s", what)

    def _on_disposeObject(self, msg: dict) -> None:
        if self.objects.remove(msg["object_id"]):
            self.send({"type": "disposed"})
        else:
            self.send({"type": "disposed", "error": f"object {msg['object_id']!r} not found"})

    def _on_disposed(self, msg: dict) -> None:
        if self._dispose_waiters:
            fut = self._dispose_waiters.pop(0)
            if not fut.done():
                if msg.get("error"):
                    fut.set_exception(RemoteError(str(msg["error"])))
                else:
                    fut.set_result(None)

    def _on_execute(self, msg: dict) -> None:
        self.send({"type": "executed", "error": "execution is not allowed by this peer"})

    def _on_executed(self, msg: dict) -> None:
        if msg.get("error"):
            self.on_error(str(msg["error"]))

    def _on_log(self, msg: dict) -> None:
        self.on_log(str(msg.get("message")))

    def _on_error(self, msg: dict) -> None:
        self.on_error(str(msg.get("message")))

    def _on_disconnect(self, msg: dict) -> None:
        self.close("the remote peer disconnected")

    # ------------------------------------------------------------------ outgoing calls
    def remote_function(self, kind: str, target_id: Any, key: Any, object_id: Any, with_promise: bool,
                        name: str | None = None) -> RemoteFunction:
        return RemoteFunction(self, kind, target_id, key, object_id, with_promise, name)

    def call_remote(self, fn: RemoteFunction, args: tuple, kwargs: dict) -> Any:
        """Send a call; returns an asyncio future (or a concurrent future from another thread)."""
        if threading.get_ident() != self._thread:
            return self._call_from_thread(fn, args, kwargs)
        return self._call(fn, args, kwargs)

    def _call_from_thread(self, fn: RemoteFunction, args: tuple, kwargs: dict) -> concurrent.futures.Future:
        """A call made in a worker thread (a sync function's api.log...): the loop sends it at its next turn, and
        before the result of the function that made it (`_run` waits for it); the answer comes in the future."""
        answer: concurrent.futures.Future = concurrent.futures.Future()
        with self._thread_calls_lock:
            self._thread_calls_made += 1

        def send() -> None:
            self._thread_calls_sent += 1
            try:
                sent = self._call(fn, args, kwargs)
            except BaseException as exc:  # noqa: BLE001 - the caller's future gets it
                answer.set_exception(exc)
                return
            if sent is None:
                answer.set_result(None)
            else:
                sent.add_done_callback(lambda f: settle_as(answer, f))

        self.loop.call_soon_threadsafe(send)
        return answer

    def _call(self, fn: RemoteFunction, args: tuple | list, kwargs: dict,
              settle: Callable[[bool, Any], None] | None = None) -> asyncio.Future | bool | None:
        arguments = list(args) + ([kwargs] if kwargs else [])
        message: dict[str, Any] = {"type": fn.kind, "target_id": fn.target_id}
        if fn.kind == "method":
            message.update(name=fn.key, object_id=fn.object_id)
        else:
            message["id"] = fn.key
        message.update(args=self.codec.encode(arguments), with_kwargs=bool(kwargs))
        future: asyncio.Future | bool | None = None
        if fn.kind == "method" or fn.with_promise:
            if settle is not None:
                message["promise"], future = self._relay_promise(settle), True
            else:
                future = self.loop.create_future()
                message["promise"] = self._make_promise(future)
        self.send(message)
        return future

    def _relay_promise(self, settle: Callable[[bool, Any], None]) -> list:
        """A promise whose resolve/reject call `settle` at once (one of them, once)."""
        def resolve(value: Any = None, *_: Any) -> None:
            if self._relays.pop(ids[1], None) is not None:
                settle(True, value)

        def reject(error: Any = None, *_: Any) -> None:
            if self._relays.pop(ids[1], None) is not None:
                settle(False, error if isinstance(error, BaseException) else RemoteError(str(error)))

        ids, promise = self._promise_of(resolve, reject)
        self._relays[ids[1]] = reject
        return promise

    def _make_promise(self, future: asyncio.Future) -> list:
        def resolve(value: Any = None, *_: Any) -> None:
            self._pending.discard(future)
            if not future.done():
                future.set_result(value)

        def reject(error: Any = None, *_: Any) -> None:
            self._pending.discard(future)
            if not future.done():
                future.set_exception(error if isinstance(error, BaseException) else RemoteError(str(error)))

        self._pending.add(future)
        return self._promise_of(resolve, reject)[1]

    def _promise_of(self, resolve: Callable, reject: Callable) -> tuple[tuple[str, str], list]:
        """Store our own resolve/reject pair (settled at once, in order, when called back); their ids and the
        `promise` value that names them."""
        resolve._rpc_internal = reject._rpc_internal = True  # type: ignore[attr-defined]
        resolve._rpc_reject = reject  # type: ignore[attr-defined] (not on reject itself: no cycle holding results)
        ids = self.callbacks.put_pair(resolve, reject)
        return ids, [
            {"_rtype": "callback", "_rname": "resolve", "_rtarget_id": self.peer_id, "_rvalue": ids[0]},
            {"_rtype": "callback", "_rname": "reject", "_rtarget_id": self.peer_id, "_rvalue": ids[1]},
        ]

    async def dispose_object(self, obj: Any) -> None:
        """Ask the remote side to free an interface object it exported to us."""
        object_id = obj.get("_rintf") if isinstance(obj, dict) else None
        if object_id is None:
            raise ValueError("only remote interface objects (dicts with _rintf) can be disposed")
        waiter = self.loop.create_future()
        self._dispose_waiters.append(waiter)
        self.send({"type": "disposeObject", "object_id": object_id})
        await waiter

    # ------------------------------------------------------------------ teardown
    @property
    def calls_waiting(self) -> int:
        """Calls this peer made (or relayed) to the remote side whose results have not come yet."""
        return len(self._pending) + len(self._relays)

    def close(self, reason: str = "connection closed") -> None:
        """Fail every pending call with ConnectionClosed and free both stores."""
        if self.closed:
            return
        self.closed = True
        error = ConnectionClosed(reason)
        for future in list(self._pending) + self._dispose_waiters:
            if not future.done():
                future.set_exception(error)
                future.exception()  # mark retrieved: nobody may be waiting
        for relayed_reject in list(self._relays.values()):
            relayed_reject(error)
        if not self._remote_ready.done():
            self._remote_ready.set_exception(error)
            self._remote_ready.exception()
        self._pending.clear()
        self._dispose_waiters.clear()
        self.callbacks.clear()
        self.objects.clear()
        for task in list(self._tasks):
            task.cancel()
        self.on_close(reason)

    @property
    def pending_calls(self) -> int:
        return len(self._pending) + len(self._relays)
