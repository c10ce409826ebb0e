"""Plugin instances: launch on a profile's cluster, one-time secrets, ownership, kill and cleanup; every change of an
instance's lifecycle state goes through `InstanceManager.apply` (the table is in lifecycle.py)."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import secrets
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from imjoy_hpc.cluster import ClusterEvent, Installed, Installing, JobAccounted, Usage, WalltimeWarning, Warned
from imjoy_hpc.gateway.lifecycle import (ACTIVE, Event, Failed, Placed, Ready, Registered, State, Stopped, Waiting,
                                         ended_reason, from_cluster, next_state)
from imjoy_hpc.gateway.auth import tokens_match
from imjoy_hpc.transport import Connection, RegistrationRefused
from imjoy_hpc.gateway.renewals import RENEW_OPTIONS, Renewal, abandon, renew
from imjoy_hpc.plugins.envs import EnvError
from imjoy_hpc.plugins.launch_request import Bootstrap, LaunchRequest
from imjoy_hpc.plugins.launcher import launch_plugin
from imjoy_hpc.plugins.parser import PluginError, PluginSpec
from imjoy_hpc.plugins.unpinned import resolution_date
from imjoy_hpc.plugins.usage import usage_summary
from imjoy_hpc.resources import REQUEST_KEYS
from imjoy_hpc.rpc import RemoteError, UserFacingError
from imjoy_hpc.settings import to_section

if TYPE_CHECKING:
    from imjoy_hpc.cluster import ClusterManager, Profile
    from imjoy_hpc.settings import PluginSettings

logger = logging.getLogger("imjoy_hpc.gateway")
KEEP_ENDED = 100
PREDICTION_KEYS = ("predicted_start", "start_note", "sooner")
RESOLVE_OPTIONS = ("resolve-as-of", "resolve_as_of", "resolveAsOf")  # load option: pip packages as of a date
__all__ = ["ACTIVE", "InstanceManager", "PluginInstance", "PluginStartError", "State"]


class PluginStartError(UserFacingError, RuntimeError):
    """A plugin failed before its API was ready; the message says why (state, exit code, log tail)."""


def _future() -> asyncio.Future:
    return asyncio.get_running_loop().create_future()


@dataclass
class PluginInstance:
    """One running (or ended) plugin process."""

    id: str
    spec: PluginSpec
    profile: "Profile"
    owner: Connection | None  # its client, whose session it belongs to (None: detached)
    secret: str | None
    log_file: Path
    state: State = State.QUEUED
    job: dict = field(default_factory=dict)
    error: str | None = None
    connection: Connection | None = None  # its process's plugin link, once registered
    api: Any = None
    future: Any = None
    created: float = field(default_factory=time.time)
    logs: deque = field(default_factory=lambda: deque(maxlen=200))
    ready: asyncio.Future = field(default_factory=_future)
    stopping: bool = False
    reported: bool = False            # the plugin process told us itself why it failed (no log tail needed)
    installing: str | None = None     # what its environment build is doing now
    ended_reason: str | None = None   # why it stopped or failed (kept for list_instances and get_plugin)
    ended_at: float | None = None
    detached_since: float | None = None
    install_started: float | None = None
    install_ended: float | None = None
    changed: asyncio.Future = field(default_factory=_future, repr=False)  # resolved (and replaced) at each change
    ended: asyncio.Event = field(default_factory=asyncio.Event, repr=False)
    releasing: asyncio.Task | None = field(default=None, repr=False)  # freeing its slot, once ended
    interface: Any = field(default=None, repr=False)  # ImJoy's API bound to it, when an ImJoy app started it
    warnings: list = field(default_factory=list)  # what was odd about it but did not stop it, once each
    usage: dict | None = None  # what its process tree uses now (while running), then the summary of its life
    renewable: bool = False  # moved into a new job before its walltime (gateway/renewals.py)
    task_key: str = ""  # its process's task in the cluster manager: its id, then each renewal's key
    renewal: Renewal | None = field(default=None, repr=False)  # the replacement process, while being renewed
    renewals: int = 0
    accounting: dict | None = None  # the scheduler's own figures for its job, once the job has ended

    def __post_init__(self) -> None:
        self.task_key = self.task_key or self.id

    def owner_function(self, name: str) -> Any:
        """A function the launching client exported (showProgress, onPluginStatus...), or None."""
        return self.owner.function(name) if self.owner is not None else None

    @property
    def detachable(self) -> bool:
        return "allow-detach" in self.spec.flags

    @property
    def builds_environment(self) -> bool:
        """Whether its task prepares an environment (pip requirements, conda env) before starting the plugin."""
        return bool(self.spec.env) or bool(self.spec.requirements and self.spec.requirements.to_list())

    def info(self) -> dict:
        """What users see of the instance (list_instances, status updates)."""
        return {
            "id": self.id, "name": self.spec.name, "state": self.state.value, "profile": self.profile.name,
            "job_id": self.job.get("job_id"), "node": self.job.get("node"), "reason": self.job.get("reason"),
            "scheduler_state": self.job.get("scheduler_state"), "walltime_left": self.job.get("walltime_left"),
            "error": self.error, "installing": self.installing, "ended_reason": self.ended_reason,
            "ended_at": self.ended_at, "flags": sorted(self.spec.flags), "owner": self.owner.name if self.owner else None,
            "created": self.created, "warnings": list(self.warnings), "asked": self.asked(),
            "usage": {**self.usage, "scheduler": self.accounting} if self.usage and self.accounting else self.usage,
            "renewable": self.renewable, "renewals": self.renewals,
            "renewing": {"job_id": self.renewal.job.get("job_id"), "scheduler_state": self.renewal.job.get(
                "scheduler_state"), "reason": self.renewal.job.get("reason")} if self.renewal else None,
            **self._start_prediction(),
        }

    def asked(self) -> dict:
        """The resources of the job it runs in, as asked (its profile, with the plugin's own request)."""
        p = self.profile
        return {"cores": p.cores, "memory": p.memory, "gpus": p.gpus, "walltime": p.walltime,
                "plugins_per_job": p.slots_per_job}

    def _start_prediction(self) -> dict:
        """While queued: when the scheduler predicts its job starts, or why it cannot say, and smaller requests
        predicted to start sooner (their load options)."""
        waiting = self.state == State.QUEUED
        return {"predicted_start": self.job.get("predicted_start") if waiting else None,
                "start_note": self.job.get("start_note") if waiting else None,
                "sooner": list(self.job.get("sooner") or []) if waiting else []}


class InstanceManager:
    """Starts plugins through the cluster manager and follows them until they end."""

    def __init__(self, cluster: "ClusterManager", *, door_url: str, settings: "PluginSettings", log_dir: Path,
                 env_cache: Path, chunk_bytes: int, ping: tuple[float, float],
                 work_root: Path | None = None) -> None:
        self.cluster = cluster
        self.work_root = work_root  # plugins given as source text work in <work_root>/<plugin name>
        self.door_url = door_url
        self.settings = settings
        self.log_dir = log_dir
        self.env_cache = env_cache
        self.chunk_bytes = chunk_bytes
        self.ping = ping  # the plugin link's ping interval and timeout (server.ping-*)
        self.engine_url: str | None = None  # the front door's URL, as plugins read it in api.ENGINE_URL
        self.instances: dict[str, PluginInstance] = {}
        self.renewal_keys: dict[str, PluginInstance] = {}  # task keys of renewals -> their instance
        self._tasks: set[asyncio.Task] = set()

    # ------------------------------------------------------------------ queries
    def list(self) -> list[dict]:
        """Every instance (running, and the most recent ended ones) as users see it."""
        return [i.info() for i in self.instances.values()]

    def get(self, instance_id: str) -> PluginInstance:
        """The instance with this id; KeyError naming it if there is none."""
        instance = self.instances.get(str(instance_id))
        if instance is None:
            raise KeyError(f"no plugin instance {instance_id!r}")
        return instance

    def jobs(self) -> list[dict]:
        """Batch jobs (or local workers) the cluster manager owns."""
        return self.cluster.list_jobs()

    # ------------------------------------------------------------------ start
    async def load(self, spec: PluginSpec, owner: Connection | None, options: dict | None = None, *,
                   interface: Any = None) -> PluginInstance:
        """Start `spec` (or share a running single-instance one) and return it once its API is ready;
        `interface` (ImJoy's API for the plugin, from an engine) serves the plugin's `api.*` calls."""
        options = dict(options or {})
        if "single-instance" in spec.flags:
            for other in self.instances.values():
                if other.spec.source_hash == spec.source_hash and other.state.active:
                    return await self._wait_ready(other)
        spec, profile = self._placement(spec, options)
        instance_id = f"{_slug(spec.name)}-{uuid.uuid4().hex[:8]}"
        instance = PluginInstance(
            id=instance_id, spec=spec, profile=profile, owner=owner, secret=secrets.token_urlsafe(32),
            log_file=self.log_dir / f"plugin-{instance_id}.log", interface=interface or None,
            renewable=spec.renew or any(_truthy(options.get(k)) for k in RENEW_OPTIONS),
        )
        self.instances[instance_id] = instance
        self.notify(instance)
        try:
            await self.cluster.client(profile)
            payload = self.payload(instance)
            instance.future = await self.cluster.launch(profile, launch_plugin, payload, key=instance_id)
        except Exception as exc:
            await self._end(instance, Failed(f"could not submit the plugin to profile {profile.name!r}: {exc}"))
            raise PluginStartError(instance.error) from None
        self.follow(instance)
        return await self._wait_ready(instance)

    def _placement(self, spec: PluginSpec, options: dict) -> tuple[PluginSpec, "Profile"]:
        """The spec as the load options change it (resolve-as-of) and the profile its resource request gives."""
        request = {**spec.hpc, **{k: options[k] for k in REQUEST_KEYS if options.get(k) is not None}}
        as_of = next((options[k] for k in RESOLVE_OPTIONS if options.get(k)), None)
        if as_of:
            try:
                spec = dataclasses.replace(spec, resolve_as_of=resolution_date(as_of))
            except ValueError as exc:
                raise PluginError(f"load option {exc}") from None
        return spec, self.cluster.resolve(request.pop("profile", None), request)

    async def predict_start(self, spec: PluginSpec, options: dict | None = None) -> dict:
        """When `spec` would start if loaded now with `options` (nothing is submitted): its profile, the predicted
        start or why there is none, and smaller requests predicted to start sooner."""
        _, profile = self._placement(spec, dict(options or {}))
        return {"name": spec.name, "profile": profile.name, **await self.cluster.predict_start(profile)}

    def payload(self, instance: PluginInstance, secret: str | None = None) -> LaunchRequest:
        """What the plugin's task gets (`secret`: a renewal's own, else the instance's)."""
        spec, plugins = instance.spec, self.settings
        try:
            scheduler = self.cluster.scheduler_address(instance.profile)
        except Exception:  # noqa: BLE001
            scheduler = None
        bootstrap = Bootstrap(
            door_url=self.door_url, secret=secret or instance.secret or "", instance_id=instance.id, name=spec.name,
            script=spec.script, tag=spec.tag, config={**spec.config, "_id": instance.id},
            filename=str(spec.source_path or spec.filename), chunk_bytes=self.chunk_bytes,
            script_line=spec.script_line, attachments=spec.attachments, engine_url=self.engine_url,
            export_timeout=plugins.export_timeout, start_timeout=plugins.start_timeout,
            ping_interval=self.ping[0], ping_timeout=self.ping[1],
        )
        return LaunchRequest(
            instance_id=instance.id, name=spec.name, log_file=str(instance.log_file),
            requirements=spec.requirements.to_list() if spec.requirements else [], env=spec.env,
            env_cache=str(self.env_cache), allow_install=plugins.install_requirements,
            allow_commands=plugins.allow_requirement_commands, install_timeout=plugins.install_timeout,
            conda=to_section(plugins.conda), scheduler_address=scheduler,
            work_dir=str(spec.source_path.parent) if spec.source_path else None,
            plugin_home=str(self.work_root / _slug(spec.name)) if self.work_root else None,
            warnings=list(spec.warnings), resolve_as_of=spec.resolve_as_of, bootstrap=bootstrap,
        )

    def _ready_deadline(self, instance: PluginInstance) -> float:
        """When the start counts as failed: `start-timeout` after placement, not counting the environment build,
        which has its own `install-timeout`."""
        start, install = self.settings.start_timeout, self.settings.install_timeout
        if instance.install_started is not None and instance.install_ended is None:
            return instance.install_started + install + start
        if instance.install_ended is not None:
            return instance.install_ended + start
        return instance.created + start

    async def _wait_ready(self, instance: PluginInstance) -> PluginInstance:
        """Wait for the instance's API; the deadline is taken again at every change (an install moves it)."""
        while not instance.ready.done():
            left = self._ready_deadline(instance) - time.time()
            if left <= 0:
                waited = time.time() - instance.created
                where = f" (job {instance.job.get('job_id')}, {instance.job.get('reason') or instance.state})" \
                    if instance.job.get("job_id") else ""
                what = "its environment was not built" if instance.state == State.INSTALLING else "it did not start"
                await self.kill(instance, f"{what} in time: waited {waited:.0f} s{where}")
                raise PluginStartError(f"plugin {instance.spec.name!r} {what} in time: waited {waited:.0f} s"
                                       f"{where}; see its log {instance.log_file}") from None
            await asyncio.wait({instance.ready, instance.changed}, timeout=left, return_when=asyncio.FIRST_COMPLETED)
        instance.ready.result()  # raises why it failed
        return instance

    # ------------------------------------------------------------------ plugin process side
    def secret_known(self, config: dict) -> bool:
        """Whether a registration holds the one-time secret of a starting instance or of its renewal."""
        instance = self.instances.get(str(config.get("instance_id")))
        if instance is None:
            return False
        given = config.get("secret")
        renewal = instance.renewal
        return any([instance.secret is not None and tokens_match(given, instance.secret),
                    renewal is not None and renewal.secret is not None and tokens_match(given, renewal.secret)])

    def claim(self, config: dict) -> tuple[PluginInstance, Renewal | None]:
        """Check a plugin process's one-time secret (it cannot be used twice): its instance, and its renewal when
        it is the replacement process of one."""
        if not self.secret_known(config):
            raise RegistrationRefused("invalid or already used plugin secret")
        instance = self.instances[str(config.get("instance_id"))]
        if not instance.state.active:
            raise RegistrationRefused(f"plugin instance {instance.id} has already ended ({instance.state})")
        job = {k: config.get(k) for k in ("pid", "hostname") if config.get(k)}
        if config.get("job_id"):
            job["job_id"] = str(config["job_id"])
        renewal = instance.renewal
        if renewal is not None and renewal.secret is not None and tokens_match(config.get("secret"), renewal.secret):
            renewal.secret = None
            renewal.job.update(job)
            renewal.job.setdefault("node", job.get("hostname"))
            return instance, renewal
        instance.secret = None
        self.apply(instance, Registered(job))
        return instance, None

    def plugin_connected(self, instance: PluginInstance, connection: Connection,
                         renewal: Renewal | None = None) -> None:
        if renewal is not None:
            renewal.connection = connection
        else:
            instance.connection = connection

    async def plugin_ready(self, instance: PluginInstance, api: Any, renewal: Renewal | None = None) -> None:
        """The plugin exported its API: run its setup() and mark it running (a renewal's: it is ready to take
        over)."""
        if renewal is not None:
            await self._renewal_ready(renewal, api)
            return
        if instance.ready.done() or not instance.state.active:
            instance.api = api  # a re-export: keep the newest API
            return
        try:
            if callable(api.get("setup")):
                await asyncio.wait_for(api.setup(), self.settings.start_timeout)
        except Exception as exc:  # noqa: BLE001
            await self.kill(instance, f"setup() failed: {exc}", state=State.FAILED)
            return
        self.apply(instance, Ready(api))

    def startup_failed(self, instance: PluginInstance, text: str) -> None:
        """The plugin process reports why its script failed (in words first, then its traceback)."""
        instance.error = f"plugin {instance.spec.name!r} failed to start: {text}"
        instance.reported = True

    async def _renewal_ready(self, renewal: Renewal, api: Any) -> None:
        try:
            if callable(api.get("setup")):
                await asyncio.wait_for(api.setup(), self.settings.start_timeout)
        except Exception as exc:  # noqa: BLE001
            if not renewal.ready.done():
                renewal.ready.set_exception(RuntimeError(f"setup() of the replacement failed: {exc}"))
            return
        if not renewal.ready.done():
            renewal.ready.set_result(api)

    def plugin_disconnected(self, instance: PluginInstance, reason: str, connection: Connection | None = None) -> None:
        if connection is not None and instance.connection is not None and connection is not instance.connection:
            renewal = instance.renewal  # a replacement that went away, or the process it replaced
            if renewal is not None and connection is renewal.connection and not renewal.ready.done():
                renewal.ready.set_exception(RuntimeError(f"the replacement process disconnected: {reason}"))
            return
        if instance.state.active:
            self._spawn(self._after_disconnect(instance))
        else:
            self._close_peer(instance)

    async def _after_disconnect(self, instance: PluginInstance) -> None:
        """The plugin's connection dropped: give its task (or the scheduler) a moment to say why, so that
        calls still waiting on the plugin fail with the reason."""
        await _wait_ended(instance, 5)
        if instance.state.active:
            error = instance.error or "the plugin process disconnected"
            await self._end(instance, Stopped(error=error) if instance.stopping else Failed(error))

    # ------------------------------------------------------------------ following
    def follow(self, instance: PluginInstance) -> None:
        """Follow the instance's current task until it ends."""
        self._spawn(self._follow_task(instance))

    async def _follow_task(self, instance: PluginInstance) -> None:
        """Wait for the Dask task (the plugin process's lifetime) and record how it ended (nothing when the
        instance moved into another process meanwhile: a renewal)."""
        future = instance.future
        try:
            result = await future
        except asyncio.CancelledError:
            if instance.future is not future:
                return
            if not instance.stopping:
                await self._end(instance, Failed(instance.error or "the plugin's task was cancelled"))
            return
        except Exception as exc:  # noqa: BLE001 - e.g. KilledWorker, requirement errors
            if instance.future is not future:
                return
            if type(exc).__name__ == "KilledWorker" and not instance.error:
                await _wait_ended(instance, 5)  # the scheduler's word on the job's end is on its way
            if isinstance(exc, EnvError):  # the environment could not be built: its message says why
                detail = f"plugin {instance.spec.name!r} failed to start: {exc}"
            else:
                detail = instance.error or f"{type(exc).__name__}: {exc}"
            await self._end(instance, Stopped(error=detail) if instance.stopping else Failed(detail))
            return
        if instance.future is not future:
            return
        job = {k: result.get(k) for k in ("node", "job_id") if result.get(k)}
        if instance.stopping or result.get("exit_code") == 0:
            await self._end(instance, Stopped(job=job))
        elif instance.reported:
            await self._end(instance, Failed(f"{instance.error}\n(full log: {instance.log_file})", job=job))
        else:
            text = instance.error or f"plugin {instance.spec.name!r} exited with code {result.get('exit_code')}"
            await self._end(instance, Failed(f"{text}\n--- log tail ({instance.log_file}) ---\n"
                                             f"{result.get('log_tail', '')}", job=job))

    def on_cluster_event(self, event: ClusterEvent) -> None:
        """What the cluster reports about a plugin's task (its facts, its environment build, its job's end)."""
        if isinstance(event, JobAccounted):
            for instance in self.instances.values():
                if instance.job.get("job_id") == event.job_id and not instance.state.active:
                    instance.accounting = dict(event.figures)
            return
        instance = self.instances.get(event.key) or self.renewal_keys.get(event.key)
        if instance is None:
            return
        if event.key != instance.task_key:
            self._other_process_event(instance, event)
            return
        if isinstance(event, WalltimeWarning) and instance.renewable and instance.renewal is None \
                and instance.state == State.RUNNING:
            self._spawn(renew(self, instance, float(event.seconds_left or 0)))
        if isinstance(event, Warned):
            self._warn(instance, event.text)
            return
        if isinstance(event, Usage):
            sample = dict(event.sample)
            if sample.pop("final", False):  # the summary of its life, with a suggestion for next time
                instance.usage = usage_summary(instance.asked(), sample, instance.profile.backend != "local")
            elif instance.state.active:
                instance.usage = {**sample, "live": True}
            return
        change = from_cluster(event, plugin=instance.spec.name, builds_environment=instance.builds_environment)
        if change is not None:
            self.apply(instance, change)

    def _other_process_event(self, instance: PluginInstance, event: ClusterEvent) -> None:
        """What the cluster says of a renewal's replacement (its job's facts; its failure ends the renewal), or of
        a process the instance has left (nothing to record)."""
        renewal = instance.renewal
        if renewal is None or event.key != renewal.key:
            return
        if isinstance(event, Warned):
            self._warn(instance, event.text)
            return
        change = from_cluster(event, plugin=instance.spec.name, builds_environment=instance.builds_environment)
        if isinstance(change, (Waiting, Placed)):
            before = dict(renewal.job)
            renewal.job.update(change.job)
            if renewal.job != before:
                self.notify(instance, renewing=True)
        elif isinstance(change, Failed) and not renewal.ready.done():
            renewal.ready.set_exception(RuntimeError(change.error.splitlines()[0]))

    # ------------------------------------------------------------------ the lifecycle
    def apply(self, instance: PluginInstance, event: Event) -> bool:
        """Move the instance as the transition table says, record the event's facts and tell its client.

        The one place an instance's state changes. Returns False (and changes nothing) when the event is not
        legal in the instance's state, e.g. anything that arrives after it ended.
        """
        new = next_state(instance.state, event)
        if new is None:
            logger.debug("plugin %s: %s ignored while %s", instance.id, type(event).__name__, instance.state)
            return False
        notify = new != instance.state
        instance.state = new
        extra: dict[str, Any] = {}
        if isinstance(event, (Waiting, Placed)):
            before = dict(instance.job)
            for key in PREDICTION_KEYS:  # each report says all there is to say about the predicted start
                instance.job.pop(key, None)
            instance.job.update(event.job)
            notify = notify or instance.job != before
        elif isinstance(event, Installing):
            if instance.install_started is None:
                instance.install_started = time.time()
            instance.installing = event.text
            instance.logs.append(f"installing: {event.text}")
            self._tell_owner(instance, "showStatus", f"{instance.spec.name}: {event.text}")
            notify = True
        elif isinstance(event, Installed):
            if instance.install_ended is None:
                instance.install_ended = time.time()
            instance.installing = None
        elif isinstance(event, Registered):
            if instance.install_started is not None and instance.install_ended is None:
                instance.install_ended = time.time()
            instance.installing = None
            instance.job.update(event.job)
            instance.job.setdefault("node", event.job.get("hostname"))
            notify = True
        elif isinstance(event, Ready):
            instance.api = event.api
            if not instance.ready.done():
                instance.ready.set_result(event.api)
            notify = True
        elif isinstance(event, WalltimeWarning):
            minutes = max(0, int(event.seconds_left or 0)) // 60
            if not instance.renewable:  # a renewable one is told about its renewal instead (renewals.py)
                note = self.cluster.walltime_note(instance.profile)
                self.say(instance, f"Plugin {instance.spec.name}: job {event.job_id} reaches its walltime in "
                                   f"{minutes} min; save your work." + (f" {note}; a plugin loaded with "
                                   "hpc.renew: true (or the load option renew) is moved into a new job instead."
                                   if note else ""))
            instance.job["walltime_left"] = event.seconds_left
            extra["warning"] = "walltime"
            notify = True
        elif isinstance(event, (Stopped, Failed)):
            self._record_end(instance, event)
        if notify:
            self.notify(instance, **extra)
        if not new.active:
            self._forget_old()
            instance.releasing = self._spawn(self._release(instance))
        changed, instance.changed = instance.changed, _future()
        changed.set_result(None)
        return True

    def _record_end(self, instance: PluginInstance, event: Stopped | Failed) -> None:
        instance.error = event.error
        instance.job.update(event.job)
        instance.ended_reason = ended_reason(instance.state, event)
        instance.ended_at = time.time()
        if event.error:
            logger.warning("plugin %s %s: %s", instance.id, instance.state, event.error.splitlines()[0])
        if not instance.ready.done():
            instance.ready.set_exception(PluginStartError(event.error or f"plugin {instance.spec.name!r} "
                                                                         f"{instance.state}"))
            instance.ready.exception()
        if instance.connection is not None and not instance.connection.closed:
            self._spawn(instance.connection.disconnect())
        self._close_peer(instance)
        instance.ended.set()

    async def _end(self, instance: PluginInstance, event: Stopped | Failed) -> None:
        """End the instance (if it has not ended) and wait until its slot is free."""
        if self.apply(instance, event) and instance.releasing is not None:
            await asyncio.shield(instance.releasing)

    async def _release(self, instance: PluginInstance) -> None:
        if instance.renewal is not None:
            await abandon(self, instance, instance.renewal)
        try:
            await self.cluster.release(instance.task_key)
        except Exception:  # noqa: BLE001
            logger.exception("releasing plugin %s", instance.id)

    # ------------------------------------------------------------------ ending
    async def kill(self, instance: PluginInstance, reason: str = "killed by request",
                   state: State | str = State.STOPPED) -> None:
        """Stop the plugin process and free its slot; `state` failed records `reason` as its error."""
        if not instance.state.active:
            return
        failed = State(state) == State.FAILED
        instance.stopping = not failed
        if failed:
            instance.error = reason  # what the task's end reports, should it come first
        if instance.connection is not None:
            try:
                await asyncio.wait_for(instance.connection.disconnect(), 5)
            except Exception:  # noqa: BLE001
                pass
        await self._end(instance, Failed(reason) if failed else Stopped(reason=reason))

    def _forget_old(self) -> None:
        """Keep the most recent ended instances for list_instances(), so a long-lived gateway stays small."""
        ended = [i for i in self.instances.values() if not i.state.active]
        for instance in ended[:-KEEP_ENDED]:
            del self.instances[instance.id]
        for key in [k for k, i in self.renewal_keys.items() if i.id not in self.instances]:
            del self.renewal_keys[key]

    @staticmethod
    def _close_peer(instance: PluginInstance) -> None:
        """Fail calls still waiting on the plugin with the reason it ended."""
        if instance.connection is not None:
            instance.connection.close_peer(instance.error or f"plugin {instance.spec.name!r} {instance.state}")

    # ------------------------------------------------------------------ ownership
    def take_over(self, name: str, session: Connection) -> PluginInstance | None:
        """The running plugin with this id, or with this name and started for `session` (or detached), now owned
        by `session`; None when no plugin has this name. A plugin known by this id that is not running is a
        PluginError saying why."""
        for instance in self.instances.values():
            if instance.state != State.RUNNING:
                continue
            mine = instance.owner is None or instance.owner is session
            if name == instance.id or (name == instance.spec.name and mine):
                if instance.owner is None or name == instance.id:
                    self.attach(instance, session)  # re-attach a detached (or another session's) plugin
                return instance
        known = self.instances.get(str(name))
        if known is not None and known.state.active:
            raise PluginError(f"plugin {known.spec.name!r} ({known.id}) is not ready yet: {known.state}")
        if known is not None:
            raise PluginError(f"plugin {known.spec.name!r} ({known.id}) has ended ({known.state}): "
                              f"{known.ended_reason or known.error or 'no reason recorded'}")
        return None

    def client_gone(self, session: Connection, reason: str = "disconnected") -> None:
        """A client session ended (its grace period is over, or it had none): its plugins end, unless they allow
        detaching."""
        for instance in list(self.instances.values()):
            if instance.owner is session and instance.state.active:
                if instance.detachable:
                    instance.owner = None
                    instance.detached_since = time.time()
                else:
                    self._spawn(self.kill(instance, f"its client's session ended: {reason}"))

    def transfer(self, old: Connection, new: Connection) -> None:
        """A client re-attached its session on a new connection: its plugins are its own again."""
        for instance in self.instances.values():
            if instance.owner is old and instance.state.active:
                instance.owner = new
                self.notify(instance, reattached=True)

    def attach(self, instance: PluginInstance, session: Connection) -> None:
        """A client takes a detached plugin (get_plugin by id or name)."""
        instance.owner = session
        instance.detached_since = None

    async def reap_detached(self, idle_limit: float) -> None:
        """Stop detached (allow-detach) plugins nobody has re-attached for `idle_limit` seconds."""
        while True:
            await asyncio.sleep(min(30.0, idle_limit / 2))
            now = time.time()
            for instance in list(self.instances.values()):
                if instance.state.active and instance.owner is None and instance.detached_since is not None \
                        and now - instance.detached_since > idle_limit:
                    await self.kill(instance, f"detached and not re-attached for {idle_limit:.0f} s "
                                              "(imjoy-hpc.sessions.detach-idle-limit)")

    async def close(self) -> None:
        preparing = any(i.state in (State.INSTALLING, State.STARTING) for i in self.instances.values())
        await asyncio.gather(*(self.kill(i, "the gateway is stopping") for i in list(self.instances.values())),
                             return_exceptions=True)
        if preparing:  # give workers a moment to stop environment builds and starting processes (launcher)
            await asyncio.sleep(1.0)
        for task in list(self._tasks):
            task.cancel()

    # ------------------------------------------------------------------ telling the client
    def _warn(self, instance: PluginInstance, text: str) -> None:
        """A warning about the plugin (its task wrote it to the plugin's log): to its client, once."""
        if text in instance.warnings:
            return
        instance.warnings.append(text)
        instance.logs.append(f"warning: {text}")
        logger.info("plugin %s: warning: %s", instance.id, text)
        self._tell_owner(instance, "showStatus", f"{instance.spec.name}: warning: {text}")
        self.notify(instance, warning=text)

    def say(self, instance: PluginInstance, text: str) -> None:
        """A message to the plugin's client (ImJoy's showMessage) and the plugin's log."""
        instance.logs.append(text)
        self._tell_owner(instance, "showMessage", text)

    def notify(self, instance: PluginInstance, **extra: Any) -> None:
        """The instance's status (with `extra`) to its client's onPluginStatus."""
        info = {**instance.info(), **extra}
        for name in ("onPluginStatus", "on_plugin_status"):
            if self._tell_owner(instance, name, info):
                return

    def _tell_owner(self, instance: PluginInstance, function: str, *args: Any) -> bool:
        fn = instance.owner_function(function)
        if fn is None:
            return False

        async def call() -> None:
            try:
                await asyncio.wait_for(fn(*args), 30)
            except (RemoteError, Exception):  # noqa: BLE001 - a client's UI hook failing is its own business
                logger.debug("client hook %s failed", function, exc_info=True)

        self._spawn(call())
        return True

    def _spawn(self, coro: Any) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task


async def _wait_ended(instance: PluginInstance, timeout: float) -> None:
    """Until the instance has ended, for at most `timeout` seconds."""
    try:
        await asyncio.wait_for(instance.ended.wait(), timeout)
    except asyncio.TimeoutError:
        pass


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() in ("true", "yes", "1"))


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-")[:24] or "plugin"
