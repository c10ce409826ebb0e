"""Plugin instances: launch on a profile's cluster, lifecycle states, one-time secrets, kill and cleanup."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from imjoy_hpc.cluster.profiles import REQUEST_KEYS
from imjoy_hpc.gateway.sockets import RegistrationRefused, Session
from imjoy_hpc.plugins.envs import EnvError
from imjoy_hpc.plugins.launcher import launch_plugin
from imjoy_hpc.plugins.parser import PluginSpec
from imjoy_hpc.rpc import RemoteError, UserFacingError

if TYPE_CHECKING:
    from imjoy_hpc.cluster import ClusterManager, Profile

logger = logging.getLogger("imjoy_hpc.gateway")
ACTIVE = ("queued", "installing", "starting", "running")
KEEP_ENDED = 100


class PluginStartError(UserFacingError, RuntimeError):
    """A plugin failed before its API was ready; the message says why (state, exit code, log tail)."""


@dataclass
class PluginInstance:
    """One running (or ended) plugin process."""

    id: str
    spec: PluginSpec
    profile: "Profile"
    owner: Session | None
    secret: str | None
    log_file: Path
    state: str = "queued"
    job: dict = field(default_factory=dict)
    error: str | None = None
    session: Session | None = None
    api: Any = None
    future: Any = None
    created: float = field(default_factory=time.time)
    logs: deque = field(default_factory=lambda: deque(maxlen=200))
    ready: asyncio.Future = field(default_factory=lambda: asyncio.get_running_loop().create_future())
    stopping: bool = False
    reported: bool = False            # the plugin process told us itself why it failed (no log tail needed)
    installing: str | None = None     # what its environment build is doing now
    ended_reason: str | None = None   # why it stopped or failed (kept for list_instances and get_plugin)
    ended_at: float | None = None
    detached_since: float | None = None
    install_started: float | None = None
    install_ended: float | None = None

    def owner_function(self, name: str) -> Any:
        """A function the launching client exported (showProgress, onPluginStatus...), or None."""
        owner = self.owner
        connected = owner is not None and owner.peer is not None and not owner.closed \
            and getattr(owner, "suspended_at", None) is None
        remote = owner.peer.remote if connected else None
        fn = remote.get(name) if remote else None
        return fn if callable(fn) else None

    @property
    def detachable(self) -> bool:
        return "allow-detach" in self.spec.flags

    def info(self) -> dict:
        """What users see of the instance (list_instances, status updates)."""
        return {
            "id": self.id, "name": self.spec.name, "state": self.state, "profile": self.profile.name,
            "job_id": self.job.get("job_id"), "node": self.job.get("node"), "reason": self.job.get("reason"),
            "scheduler_state": self.job.get("scheduler_state"), "walltime_left": self.job.get("walltime_left"),
            "error": self.error, "installing": self.installing, "ended_reason": self.ended_reason,
            "ended_at": self.ended_at, "flags": sorted(self.spec.flags), "owner": self.owner.name if self.owner else None,
            "created": self.created,
        }


class InstanceManager:
    """Starts plugins through the cluster manager and follows them until they end."""

    def __init__(self, cluster: "ClusterManager", *, door_url: str, settings: dict, log_dir: Path,
                 env_cache: Path, chunk_bytes: int) -> None:
        self.cluster = cluster
        self.door_url = door_url
        self.settings = settings
        self.log_dir = log_dir
        self.env_cache = env_cache
        self.chunk_bytes = chunk_bytes
        self.engine_url: str | None = None  # the front door's URL, as plugins read it in api.ENGINE_URL
        self.instances: dict[str, PluginInstance] = {}
        self._tasks: set[asyncio.Task] = set()

    # ------------------------------------------------------------------ start
    async def load(self, spec: PluginSpec, owner: Session | None, options: dict | None = None) -> PluginInstance:
        """Start `spec` (or share a running single-instance one) and return it once its API is ready."""
        options = dict(options or {})
        if "single-instance" in spec.flags:
            for other in self.instances.values():
                if other.spec.source_hash == spec.source_hash and other.state in ACTIVE:
                    return await self._wait_ready(other)
        request = {**spec.hpc, **{k: options[k] for k in REQUEST_KEYS if options.get(k) is not None}}
        profile = self.cluster.resolve(request.pop("profile", None), request)
        instance_id = f"{_slug(spec.name)}-{uuid.uuid4().hex[:8]}"
        instance = PluginInstance(
            id=instance_id, spec=spec, profile=profile, owner=owner, secret=secrets.token_urlsafe(32),
            log_file=self.log_dir / f"plugin-{instance_id}.log",
        )
        self.instances[instance_id] = instance
        self._notify(instance)
        try:
            await self.cluster.client(profile)
            payload = self._payload(instance)
            instance.future = await self.cluster.launch(profile, launch_plugin, payload, key=instance_id)
        except Exception as exc:
            await self._end(instance, "failed", f"could not submit the plugin to profile {profile.name!r}: {exc}")
            raise PluginStartError(instance.error) from None
        self._spawn(self._follow_task(instance))
        self._spawn(self._poll_status(instance))
        return await self._wait_ready(instance)

    def _payload(self, instance: PluginInstance) -> dict:
        spec = instance.spec
        plugin_settings = self.settings.get("plugins", {})
        try:
            scheduler = self.cluster.scheduler_address(instance.profile)
        except Exception:  # noqa: BLE001
            scheduler = None
        return {
            "instance_id": instance.id,
            "name": spec.name,
            "log_file": str(instance.log_file),
            "requirements": spec.requirements.to_list() if spec.requirements else [],
            "env": spec.env,
            "env_cache": str(self.env_cache),
            "allow_install": bool(plugin_settings.get("install-requirements", True)),
            "allow_commands": bool(plugin_settings.get("allow-requirement-commands", False)),
            "install_timeout": float(plugin_settings.get("install-timeout", 1800)),
            "conda": dict(plugin_settings.get("conda") or {}),
            "scheduler_address": scheduler,
            "work_dir": str(spec.source_path.parent) if spec.source_path else None,
            "bootstrap": {
                "door_url": self.door_url, "secret": instance.secret, "instance_id": instance.id,
                "name": spec.name, "script": spec.script, "tag": spec.tag,
                "config": {**spec.config, "_id": instance.id},
                "filename": str(spec.source_path or spec.filename), "chunk_bytes": self.chunk_bytes,
                "script_line": spec.script_line, "attachments": spec.attachments,
                "engine_url": self.engine_url,
                "export_timeout": float(self.settings.get("plugins", {}).get("export-timeout", 30)),
            },
        }

    def _ready_deadline(self, instance: PluginInstance) -> float:
        """When the start counts as failed: `start-timeout` after placement, not counting the environment build,
        which has its own `install-timeout`."""
        plugins = self.settings.get("plugins", {})
        start, install = float(plugins.get("start-timeout", 120)), float(plugins.get("install-timeout", 1800))
        if instance.install_started is not None and instance.install_ended is None:
            return instance.install_started + install + start
        if instance.install_ended is not None:
            return instance.install_ended + start
        return instance.created + start

    async def _wait_ready(self, instance: PluginInstance) -> PluginInstance:
        while not instance.ready.done():
            left = self._ready_deadline(instance) - time.time()
            if left <= 0:
                waited = time.time() - instance.created
                where = f" (job {instance.job.get('job_id')}, {instance.job.get('reason') or instance.state})" \
                    if instance.job.get("job_id") else ""
                what = "its environment was not built" if instance.state == "installing" else "it did not start"
                await self.kill(instance, f"{what} in time: waited {waited:.0f} s{where}")
                raise PluginStartError(f"plugin {instance.spec.name!r} {what} in time: waited {waited:.0f} s"
                                       f"{where}; see its log {instance.log_file}") from None
            try:
                await asyncio.wait_for(asyncio.shield(instance.ready), min(left, 1.0))
            except asyncio.TimeoutError:
                continue
        instance.ready.result()  # raises why it failed
        return instance

    # ------------------------------------------------------------------ plugin process side
    def claim(self, config: dict) -> PluginInstance:
        """Check a plugin process's one-time secret; it cannot be used twice."""
        instance = self.instances.get(str(config.get("instance_id")))
        from imjoy_hpc.gateway.auth import tokens_match

        if instance is None or instance.secret is None or not tokens_match(config.get("secret"), instance.secret):
            raise RegistrationRefused("invalid or already used plugin secret")
        if instance.state not in ACTIVE:
            raise RegistrationRefused(f"plugin instance {instance.id} has already ended ({instance.state})")
        instance.secret = None
        if instance.install_started is not None and instance.install_ended is None:
            instance.install_ended = time.time()
            instance.installing = None
        instance.state = "starting"
        instance.job.update({k: config.get(k) for k in ("pid", "hostname") if config.get(k)})
        if config.get("job_id"):
            instance.job["job_id"] = str(config["job_id"])
        instance.job.setdefault("node", config.get("hostname"))
        self._notify(instance)
        return instance

    def plugin_connected(self, instance: PluginInstance, session: Session) -> None:
        instance.session = session

    async def plugin_ready(self, instance: PluginInstance, api: Any) -> None:
        """The plugin exported its API: run its setup() and mark it running."""
        if instance.ready.done() or instance.state not in ACTIVE:
            instance.api = api  # a re-export: keep the newest API
            return
        try:
            if callable(api.get("setup")):
                await asyncio.wait_for(api.setup(), float(self.settings.get("plugins", {}).get("start-timeout", 120)))
        except Exception as exc:  # noqa: BLE001
            await self.kill(instance, f"setup() failed: {exc}", state="failed")
            return
        instance.api = api
        instance.state = "running"
        self._notify(instance)
        if not instance.ready.done():
            instance.ready.set_result(api)

    def startup_failed(self, instance: PluginInstance, text: str) -> None:
        """The plugin process reports why its script failed (in words first, then its traceback)."""
        instance.error = f"plugin {instance.spec.name!r} failed to start: {text}"
        instance.reported = True

    def plugin_disconnected(self, instance: PluginInstance, reason: str) -> None:
        if instance.state in ACTIVE:
            self._spawn(self._after_disconnect(instance))
        else:
            self._close_peer(instance)

    async def _after_disconnect(self, instance: PluginInstance) -> None:
        """The plugin's connection dropped: give its task (or the scheduler) a moment to say why, so that
        calls still waiting on the plugin fail with the reason."""
        deadline = asyncio.get_running_loop().time() + 5
        while instance.state in ACTIVE and asyncio.get_running_loop().time() < deadline:
            if instance.future is not None and instance.future.done():
                await _wait_future(instance.future)
                await asyncio.sleep(0.1)  # let _follow_task record the exit
                break
            await asyncio.sleep(0.1)
        if instance.state in ACTIVE:
            await self._end(instance, "stopped" if instance.stopping else "failed",
                            instance.error or "the plugin process disconnected")

    # ------------------------------------------------------------------ following
    async def _follow_task(self, instance: PluginInstance) -> None:
        """Wait for the Dask task (the plugin process's lifetime) and record how it ended."""
        try:
            result = await instance.future
        except asyncio.CancelledError:
            if instance.state in ACTIVE and not instance.stopping:
                await self._end(instance, "failed", instance.error or "the plugin's task was cancelled")
            return
        except Exception as exc:  # noqa: BLE001 - e.g. KilledWorker, requirement errors
            if type(exc).__name__ == "KilledWorker":  # the scheduler's word on the job's end is on its way
                await self._wait_for_error(instance, 5)
            if instance.state in ACTIVE:
                if isinstance(exc, EnvError):  # the environment could not be built: its message says why
                    detail = f"plugin {instance.spec.name!r} failed to start: {exc}"
                else:
                    detail = instance.error or f"{type(exc).__name__}: {exc}"
                await self._end(instance, "stopped" if instance.stopping else "failed", detail)
            return
        instance.job.update({k: result.get(k) for k in ("node", "job_id") if result.get(k)})
        if instance.state in ACTIVE:
            if instance.stopping or result.get("exit_code") == 0:
                await self._end(instance, "stopped", None)
            else:
                if instance.reported:
                    await self._end(instance, "failed", f"{instance.error}\n(full log: {instance.log_file})")
                    return
                text = instance.error or f"plugin {instance.spec.name!r} exited with code {result.get('exit_code')}"
                await self._end(instance, "failed", f"{text}\n--- log tail ({instance.log_file}) ---\n"
                                                    f"{result.get('log_tail', '')}")

    @staticmethod
    async def _wait_for_error(instance: PluginInstance, timeout: float) -> None:
        for _ in range(int(timeout * 10)):
            if instance.error or instance.state not in ACTIVE:
                return
            await asyncio.sleep(0.1)

    async def _poll_status(self, instance: PluginInstance) -> None:
        """While the plugin waits for a job, report the scheduler's state and pending reason."""
        while instance.state in ("queued", "installing", "starting") and not instance.ready.done():
            try:
                status = self.cluster.status(instance.id)
            except Exception:  # noqa: BLE001
                status = None
            if status:
                before = dict(instance.job)
                instance.job.update({k: v for k, v in status.items() if v is not None and k != "state"})
                if instance.state == "queued" and status.get("state") in ("starting", "running"):
                    instance.state = "starting"
                if instance.job != before or instance.state == "starting":
                    self._notify(instance)
            await asyncio.sleep(1.0)

    def on_cluster_event(self, event: dict) -> None:
        """Events from the cluster manager: a worker's job died, or its walltime is nearly over."""
        instance = self.instances.get(str(event.get("key")))
        if instance is None or instance.state not in ACTIVE:
            return
        if event.get("type") == "worker-lost":
            parts = [f"the job {event.get('job_id')} running plugin {instance.spec.name!r} ended"]
            if event.get("scheduler_state"):
                parts.append(f"state {event['scheduler_state']}")
            if event.get("reason"):
                parts.append(str(event["reason"]))
            if event.get("exit_code") is not None:
                parts.append(f"exit code {event['exit_code']}")
            text = ", ".join(parts)
            if event.get("stderr_tail"):
                text += f"\n--- job stderr ---\n{event['stderr_tail']}"
            instance.error = text
            instance.job["scheduler_state"] = event.get("scheduler_state")
            self._spawn(self._end(instance, "failed", text))
        elif event.get("type") == "submit-failed":
            text = f"the scheduler refused the job for plugin {instance.spec.name!r}: {event.get('reason')}"
            instance.error = text
            self._spawn(self._end(instance, "failed", text))
        elif event.get("type") == "installing":
            self._installing(instance, str(event.get("text") or "installing"))
        elif event.get("type") == "installed":
            instance.install_ended = time.time()
            instance.installing = None
            if instance.state == "installing":
                instance.state = "starting"
                self._notify(instance)
        elif event.get("type") == "walltime-warning":
            minutes = max(0, int(event.get("seconds_left") or 0)) // 60
            self._tell_owner(instance, "showMessage",
                             f"Plugin {instance.spec.name}: job {event.get('job_id')} reaches its walltime in "
                             f"{minutes} min; save your work.")
            instance.job["walltime_left"] = event.get("seconds_left")
            self._notify(instance, warning="walltime")

    def _installing(self, instance: PluginInstance, text: str) -> None:
        """The plugin's environment is being built: state `installing`, and its client is told what happens."""
        if instance.state not in ("queued", "starting", "installing") or instance.install_ended is not None:
            return
        if instance.install_started is None:
            instance.install_started = time.time()
        instance.state = "installing"
        instance.installing = text
        instance.logs.append(f"installing: {text}")
        self._tell_owner(instance, "showStatus", f"{instance.spec.name}: {text}")
        self._notify(instance)

    # ------------------------------------------------------------------ ending
    async def kill(self, instance: PluginInstance, reason: str = "killed by request", state: str = "stopped") -> None:
        """Stop the plugin process and free its slot."""
        if instance.state not in ACTIVE:
            return
        instance.stopping = state == "stopped"
        if state == "failed":
            instance.error = reason
        if instance.session is not None:
            try:
                await asyncio.wait_for(instance.session.disconnect(), 5)
            except Exception:  # noqa: BLE001
                pass
        await self._end(instance, state, reason if state == "failed" else None, reason=reason)

    async def _end(self, instance: PluginInstance, state: str, error: str | None, reason: str | None = None) -> None:
        if instance.state not in ACTIVE:
            return
        instance.state = state
        instance.error = error
        instance.ended_reason = (error or reason or ("its process ended" if state == "stopped" else state)) \
            .splitlines()[0]
        instance.ended_at = time.time()
        if error:
            logger.warning("plugin %s %s: %s", instance.id, state, error.splitlines()[0])
        if not instance.ready.done():
            instance.ready.set_exception(PluginStartError(error or f"plugin {instance.spec.name!r} {state}"))
            instance.ready.exception()
        if instance.session is not None and not instance.session.closed:
            self._spawn(instance.session.disconnect())
        self._close_peer(instance)
        self._notify(instance)
        self._forget_old()
        try:
            await self.cluster.release(instance.id)
        except Exception:  # noqa: BLE001
            logger.exception("releasing plugin %s", instance.id)

    def _forget_old(self) -> None:
        """Keep the most recent ended instances for list_instances(), so a long-lived gateway stays small."""
        ended = [i for i in self.instances.values() if i.state not in ACTIVE]
        for instance in ended[:-KEEP_ENDED]:
            del self.instances[instance.id]

    @staticmethod
    def _close_peer(instance: PluginInstance) -> None:
        """Fail calls still waiting on the plugin with the reason it ended."""
        peer = instance.session.peer if instance.session is not None else None
        if peer is not None and not peer.closed:
            peer.close(instance.error or f"plugin {instance.spec.name!r} {instance.state}")

    def client_gone(self, session: Session, reason: str = "disconnected") -> None:
        """A client session ended (its grace period is over, or it had none): its plugins end, unless they allow
        detaching."""
        for instance in list(self.instances.values()):
            if instance.owner is session and instance.state in ACTIVE:
                if instance.detachable:
                    instance.owner = None
                    instance.detached_since = time.time()
                else:
                    self._spawn(self.kill(instance, f"its client's session ended: {reason}"))

    def transfer(self, old: Session, new: Session) -> None:
        """A client re-attached its session on a new connection: its plugins are its own again."""
        for instance in self.instances.values():
            if instance.owner is old and instance.state in ACTIVE:
                instance.owner = new
                self._notify(instance, reattached=True)

    def attach(self, instance: PluginInstance, session: Session) -> None:
        """A client takes a detached plugin (get_plugin by id or name)."""
        instance.owner = session
        instance.detached_since = None

    async def reap_detached(self, idle_limit: float) -> None:
        """Stop detached (allow-detach) plugins nobody has re-attached for `idle_limit` seconds."""
        while True:
            await asyncio.sleep(min(30.0, idle_limit / 2))
            now = time.time()
            for instance in list(self.instances.values()):
                if instance.state in ACTIVE and instance.owner is None and instance.detached_since is not None \
                        and now - instance.detached_since > idle_limit:
                    await self.kill(instance, f"detached and not re-attached for {idle_limit:.0f} s "
                                              "(imjoy-hpc.sessions.detach-idle-limit)")

    async def close(self) -> None:
        preparing = any(i.state in ("installing", "starting") for i in self.instances.values())
        await asyncio.gather(*(self.kill(i, "the gateway is stopping") for i in list(self.instances.values())),
                             return_exceptions=True)
        if preparing:  # give workers a moment to stop environment builds and starting processes (launcher._watch)
            await asyncio.sleep(1.0)
        for task in list(self._tasks):
            task.cancel()

    # ------------------------------------------------------------------ helpers
    def _notify(self, instance: PluginInstance, **extra: Any) -> None:
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


async def _wait_future(future: Any) -> Any:
    try:
        return await future
    except BaseException:  # noqa: BLE001
        return None


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-")[:24] or "plugin"
