"""Renewable plugins: a plugin that opts in (`hpc.renew: true`, or the load option `renew`) is moved into a new job
before its job reaches its walltime.

At the walltime warning a replacement process is started under the same instance id in another job (the pool
starts no new plugin in a job about to end), with a one-time secret of its own. Once its API is ready (setup() has
run), the old process's state is handed over (`getState()` there, `setState(state)` here, when the plugin exports
them), the instance is served by the new process, and the old one is stopped and its slot freed. Clients keep their
proxies: the functions they hold call whichever process serves the instance now (`CurrentFunction`); calls in
flight on the old process finish there or fail in words when it stops. A renewal that cannot finish in time is
abandoned (the replacement stopped, the user told why), and the plugin ends with its job as any other.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from imjoy_hpc.plugins.launcher import launch_plugin
from imjoy_hpc.resources import parse_walltime
from imjoy_hpc.rpc import Relayed, RemoteError

if TYPE_CHECKING:
    from imjoy_hpc.transport import Connection
    from imjoy_hpc.gateway.instances import InstanceManager, PluginInstance

logger = logging.getLogger("imjoy_hpc.gateway")
RENEW_OPTIONS = ("renew",)  # load option that makes a plugin renewable (as its hpc.renew does)
HANDOVER_SECONDS = 30.0  # what getState()/setState() may take
MARGIN_SECONDS = 15.0  # the handover must be done this long before the old job's walltime


def _future() -> asyncio.Future:
    return asyncio.get_running_loop().create_future()


@dataclass
class Renewal:
    """The replacement process of a renewal, until it takes over."""

    key: str  # its task's key in the cluster manager
    secret: str | None  # its one-time registration secret
    future: Any = None  # its Dask task
    connection: "Connection | None" = None  # its link, once registered
    job: dict = field(default_factory=dict)  # its job's facts
    ready: asyncio.Future = field(default_factory=_future)  # its API, once setup() has run


class CurrentFunction(Relayed):
    """A function of a plugin's API as clients hold it: calls go to the process that serves the instance now."""

    __slots__ = ("instance", "name", "__name__")

    def __init__(self, instance: "PluginInstance", name: str) -> None:
        self.instance, self.name, self.__name__ = instance, name, name

    def _now(self) -> Any:
        fn = (self.instance.api or {}).get(self.name)
        if not callable(fn):
            raise RemoteError(f"plugin {self.instance.spec.name!r} ({self.instance.id}) has no function "
                              f"{self.name}() any more")
        return fn

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._now()(*args, **kwargs)

    def relay(self, args: list, kwargs: dict, settle: Callable[[bool, Any], None]) -> bool:
        return self._now().relay(args, kwargs, settle)  # a plugin's functions are its peer's RemoteFunctions


def stable_api(instance: "PluginInstance") -> dict:
    """The plugin's API for clients: its functions follow the instance into a new process when it is renewed."""
    api = dict(instance.api or {})
    if instance.renewable:
        for name, value in api.items():
            if callable(value) and not name.startswith("_"):
                api[name] = CurrentFunction(instance, name)
    return api


async def renew(manager: "InstanceManager", instance: "PluginInstance", seconds_left: float) -> None:
    """Move `instance` into a new job before its walltime (see the module's docstring)."""
    walltime = parse_walltime(instance.profile.walltime) if instance.profile.walltime else None
    lead = instance.profile.walltime_warning
    if walltime is not None and walltime <= lead + MARGIN_SECONDS:
        manager.say(instance, f"Plugin {instance.spec.name}: not renewed: a new job's walltime "
                              f"({instance.profile.walltime}) would end within the walltime-warning ({lead:.0f} s)")
        return
    number = instance.renewals + 1
    renewal = Renewal(key=f"{instance.id}.renewal-{number}", secret=secrets.token_urlsafe(32))
    instance.renewal = renewal
    manager.renewal_keys[renewal.key] = instance
    name, old_job = instance.spec.name, instance.job.get("job_id")
    deadline = time.monotonic() + max(10.0, seconds_left - MARGIN_SECONDS)
    logger.info("plugin %s: job %s reaches its walltime in %.0f s: renewing it into a new job", instance.id, old_job,
                seconds_left)
    manager.say(instance, f"Plugin {name}: job {old_job} reaches its walltime in {int(seconds_left) // 60} min "
                          f"{int(seconds_left) % 60} s; renewing it into a new job")
    manager.notify(instance, renewing=True)
    try:
        renewal.future = await manager.cluster.launch(instance.profile, launch_plugin,
                                                      manager.payload(instance, secret=renewal.secret),
                                                      key=renewal.key)
        api = await _ready_in_time(renewal, deadline)
        if not instance.state.active or instance.renewal is not renewal:
            raise RuntimeError(f"plugin {name!r} ended meanwhile")
        await _hand_over_state(instance.api or {}, api)
    except Exception as exc:  # noqa: BLE001 - every failure is told, the plugin keeps running in its job
        why = f"{type(exc).__name__}: {exc}" if not isinstance(exc, (RemoteError, RuntimeError)) else str(exc)
        logger.warning("plugin %s: renewing it failed: %s", instance.id, why)
        await abandon(manager, instance, renewal)
        manager.say(instance, f"Plugin {name}: renewing it failed ({why.splitlines()[0] if why else 'no reason'}); "
                              f"it ends with job {old_job}")
        manager.notify(instance, renewal_failed=why)
        return
    old_key, old_connection = instance.task_key, instance.connection
    instance.task_key, instance.connection, instance.api, instance.future = (renewal.key, renewal.connection, api,
                                                                             renewal.future)
    instance.job = dict(renewal.job)
    instance.renewal, instance.renewals = None, number
    instance.logs.append(f"renewed into job {instance.job.get('job_id')} (was job {old_job})")
    logger.info("plugin %s renewed into job %s (was job %s)", instance.id, instance.job.get("job_id"), old_job)
    manager.follow(instance)
    manager.say(instance, f"Plugin {name}: renewed into job {instance.job.get('job_id')}")
    manager.notify(instance, renewed=True)
    await _calls_finished(old_connection, min(HANDOVER_SECONDS, max(0.0, deadline + MARGIN_SECONDS - time.monotonic())))
    await _stop_old(manager, old_key, old_connection)


async def _ready_in_time(renewal: Renewal, deadline: float) -> Any:
    """The replacement's API once ready; its task ending first, or the deadline passing, fails in words."""
    ended = asyncio.ensure_future(_settled(renewal.future))
    try:
        done, _ = await asyncio.wait({renewal.ready, ended}, timeout=max(0.0, deadline - time.monotonic()),
                                     return_when=asyncio.FIRST_COMPLETED)
    finally:
        ended.cancel()
    if renewal.ready in done:
        return renewal.ready.result()
    if done:
        raise RuntimeError(f"the replacement process ended before it was ready: {ended.result()}")
    where = f" (job {renewal.job.get('job_id')}: {renewal.job.get('reason') or renewal.job.get('scheduler_state')})" \
        if renewal.job.get("job_id") else ""
    raise RuntimeError(f"the replacement did not start before the walltime{where}")


async def _settled(future: Any) -> str:
    try:
        result = await future
    except BaseException as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {exc}"
    return f"exit code {result.get('exit_code') if isinstance(result, dict) else result}"


async def _hand_over_state(old_api: Any, new_api: Any) -> None:
    """The old process's state into the new one, when the plugin exports getState/setState."""
    get_state, set_state = old_api.get("getState"), new_api.get("setState")
    if callable(get_state) and callable(set_state):
        state = await asyncio.wait_for(get_state(), HANDOVER_SECONDS)
        await asyncio.wait_for(set_state(state), HANDOVER_SECONDS)


async def _calls_finished(connection: "Connection | None", timeout: float) -> None:
    """Until the calls that went to the old process before the handover have their results (new calls go to the
    new one), for at most `timeout` seconds."""
    end = time.monotonic() + timeout
    while connection is not None and connection.peer is not None and connection.peer.calls_waiting \
            and time.monotonic() < end:
        await asyncio.sleep(0.1)


async def abandon(manager: "InstanceManager", instance: "PluginInstance", renewal: Renewal) -> None:
    """Stop a replacement that will not take over."""
    if instance.renewal is renewal:
        instance.renewal = None
    if not renewal.ready.done():
        renewal.ready.cancel()
    await _stop_old(manager, renewal.key, renewal.connection)


async def _stop_old(manager: "InstanceManager", key: str, connection: "Connection | None") -> None:
    """Stop a process that no longer serves its instance and free its slot."""
    if connection is not None:
        try:
            await asyncio.wait_for(connection.disconnect(), 5)
        except Exception:  # noqa: BLE001 - gone already
            pass
    try:
        await manager.cluster.release(key)
    except Exception:  # noqa: BLE001
        logger.exception("releasing the old process %s", key)
