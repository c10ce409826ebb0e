"""What published ImJoy Python plugins expect of `api` beyond the RPC itself: promise-style results
(`api.showStatus("x").then(cb)`, as the legacy engine's results allowed) and ops (`api.register`) recorded by the
plugin itself, so `run(ctx)` gets `ctx._op` as ImJoy passes it, with or without an ImJoy app attached."""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import threading
from typing import Any, Callable

from imjoy_hpc.rpc import DotDict
from imjoy_hpc.rpc.futures import settle_as


class _Then:
    """`then(on_done, on_error)` / `catch(on_error)` on a future, as JavaScript promises (and ImJoy's legacy Python
    engine) allowed. Each returns a new future of the same kind holding what the callback returned."""

    def then(self, on_done: Callable | None = None, on_error: Callable | None = None) -> Any:
        chained = self._new()

        def settle(done: Any) -> None:
            try:
                if done.cancelled():
                    chained.cancel()
                    return
                error = done.exception()
                if error is not None:
                    if on_error is None:
                        chained.set_exception(error)
                        return
                    value = on_error(error)
                else:
                    value = on_done(done.result()) if on_done is not None else done.result()
            except Exception as exc:  # noqa: BLE001 - a callback's failure is the chained future's outcome
                chained.set_exception(exc)
                return
            if inspect.isawaitable(value):
                _settle_later(chained, value)
            else:
                chained.set_result(value)

        self.add_done_callback(settle)
        return chained

    def catch(self, on_error: Callable) -> Any:
        return self.then(None, on_error)


class LoopThenable(_Then, asyncio.Future):
    """An asyncio future (awaited in async plugins) with `then`/`catch`."""

    def _new(self) -> "LoopThenable":
        return LoopThenable(loop=self.get_loop())


class ThreadThenable(_Then, concurrent.futures.Future):
    """A concurrent future (a sync plugin's `.result()`) with `then`/`catch`."""

    def _new(self) -> "ThreadThenable":
        return ThreadThenable()


def _settle_later(target: Any, awaitable: Any) -> None:
    """Settle `target` with what a callback's coroutine returns (run on the running loop)."""
    async def wait() -> None:
        try:
            value = await awaitable
        except Exception as exc:  # noqa: BLE001
            target.set_exception(exc)
        else:
            target.set_result(value)

    asyncio.ensure_future(wait())


def thenable(value: Any) -> Any:
    """`value` as a future with `then`/`catch` when it is a future; anything else as it is."""
    if isinstance(value, _Then):
        return value
    if isinstance(value, asyncio.Future):
        out: Any = LoopThenable(loop=value.get_loop())
        value.add_done_callback(lambda done: settle_as(out, done))
        return out
    if isinstance(value, concurrent.futures.Future):
        out = ThreadThenable()
        value.add_done_callback(lambda done: settle_as(out, done))
        return out
    return value


def kill_process_tree(process: Any = None, grace: float = 3.0) -> None:
    """The legacy engine's `api.utils.kill(p)`: stop process `p` (a pid or an object with `.pid`, e.g. a Popen)
    and its children, TERM first, KILL after `grace` seconds. Without an argument, the plugin's own process."""
    import os

    import psutil

    pid = getattr(process, "pid", process)
    if pid is None or int(pid) == os.getpid():
        os._exit(0)
    try:
        parent = psutil.Process(int(pid))
        victims = parent.children(recursive=True) + [parent]
    except psutil.NoSuchProcess:
        return
    for victim in victims:
        try:
            victim.terminate()
        except psutil.NoSuchProcess:
            pass
    _, alive = psutil.wait_procs(victims, timeout=grace)
    for victim in alive:
        try:
            victim.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(alive, timeout=grace)


def camel_case(name: str) -> str:
    """`register_service` -> `registerService` (ImJoy's names; Python plugins may use either)."""
    head, *rest = name.split("_")
    return head + "".join(w[:1].upper() + w[1:] for w in rest)


def thenable_function(fn: Callable) -> Callable:
    """`fn` whose returned future has `then`/`catch`."""
    def call(*args: Any, **kwargs: Any) -> Any:
        return thenable(fn(*args, **kwargs))

    call.__name__ = getattr(fn, "__name__", "call")
    call.__doc__ = getattr(fn, "__doc__", None)
    return call


def resolved(value: Any, loop: asyncio.AbstractEventLoop, loop_thread: int) -> Any:
    """An already-resolved future with `then`/`catch`: awaitable on the loop, `.result()`-able from threads."""
    future: Any = LoopThenable(loop=loop) if threading.get_ident() == loop_thread else ThreadThenable()
    future.set_result(value)
    return future


class Ops:
    """The ops a plugin registered with `api.register({"name": ..., "ui": ..., "run": fn})`, by name."""

    def __init__(self, plugin_name: str | None) -> None:
        self.plugin_name = plugin_name or "plugin"
        self.registered: dict[str, dict] = {}

    def register(self, config: Any) -> str:
        """Record an op; its name (ImJoy's registration is keyed by name, a later one replaces it)."""
        if not isinstance(config, dict) or not isinstance(config.get("name"), str) or not config["name"].strip():
            raise ValueError('api.register needs an op config with a "name", e.g. '
                             'api.register({"name": "Blur", "ui": "...", "run": self.blur})')
        self.registered[config["name"].strip()] = dict(config)
        return config["name"].strip()

    def unregister(self, config: Any) -> None:
        name = config.get("name") if isinstance(config, dict) else config
        self.registered.pop(str(name or "").strip(), None)

    def describe(self) -> list[dict]:
        """The registered ops as plain data (name, ui, inputs, outputs...; no functions)."""
        return [{k: v for k, v in op.items() if not callable(v)} for op in self.registered.values()]

    def wrap_run(self, run: Callable, loop: asyncio.AbstractEventLoop) -> Callable:
        """The plugin's `run`, made to take ImJoy's `ctx`: `ctx._op` names the op (the plugin's own name for its
        main op), and an op registered with its own `run` function is run by it. Stays async if `run` is."""
        def target(ctx: Any) -> tuple[Callable, Any]:
            ctx = DotDict(ctx) if isinstance(ctx, dict) and not isinstance(ctx, DotDict) else ctx
            if ctx is None:
                ctx = DotDict()
            if isinstance(ctx, dict):
                ctx.setdefault("_op", self.plugin_name)
                ctx.setdefault("config", DotDict())
                op = self.registered.get(ctx["_op"]) if isinstance(ctx["_op"], str) else None
                if op is not None and callable(op.get("run")):
                    return op["run"], ctx
            return run, ctx

        if inspect.iscoroutinefunction(run):
            async def dispatch(ctx: Any = None, *args: Any, **kwargs: Any) -> Any:
                fn, ctx = target(ctx)
                value = fn(ctx, *args, **kwargs)
                return await value if inspect.isawaitable(value) else value
        else:
            def dispatch(ctx: Any = None, *args: Any, **kwargs: Any) -> Any:  # type: ignore[misc]
                fn, ctx = target(ctx)
                value = fn(ctx, *args, **kwargs)
                if inspect.iscoroutine(value):  # an async op's run, called from the sync run's thread
                    return asyncio.run_coroutine_threadsafe(value, loop).result()
                return value

        dispatch.__name__ = getattr(run, "__name__", "run")
        dispatch.__doc__ = getattr(run, "__doc__", None)
        return dispatch
