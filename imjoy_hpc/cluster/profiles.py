"""Profiles: named cluster shapes from the `imjoy-hpc.profiles` config, refined by plugin requests within limits."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import dask.config
from dask.utils import parse_bytes

from imjoy_hpc.backends import backend_names
from imjoy_hpc.config import ConfigError
from imjoy_hpc.resources import REQUEST_KEYS, format_walltime, memory_amount, parse_walltime, whole_number
from imjoy_hpc.rpc.errors import UserFacingError


class ResourceLimitError(UserFacingError, ValueError):
    """A plugin request outside the limits of its profile; the message names the limit and the value."""


# Profile keys as written in the config (hyphenated) -> Profile attribute.
PROFILE_KEYS = {
    "backend": "backend",
    "queue": "queue",
    "account": "account",
    "cores": "cores",
    "memory": "memory",
    "processes": "processes",
    "walltime": "walltime",
    "gpus": "gpus",
    "job-extra-directives": "job_extra_directives",
    "job-script-prologue": "job_script_prologue",
    "worker-extra-args": "worker_extra_args",
    "interface": "interface",
    "scheduler-options": "scheduler_options",
    "plugin-slots": "plugin_slots",
    "max-jobs": "max_jobs",
    "warm": "warm",
    "idle-timeout": "idle_timeout",
    "walltime-warning": "walltime_warning",
    "poll-interval": "poll_interval",
    "nanny": "nanny",
    "tls": "tls",
    "jobqueue-config": "jobqueue_config",
    "limits": "limits",
    "parallel-environment": "parallel_environment",
    "memory-resource": "memory_resource",
}
LIMIT_KEYS = ("max-walltime", "allowed-queues", "max-cores", "max-memory", "max-gpus")
# Keys dask-jobqueue itself reads from `jobqueue.<config-name>.<key>`; a profile key overrides them.
JOBQUEUE_KEYS = ("queue", "account", "cores", "memory", "processes", "walltime", "job-extra-directives",
                 "job-script-prologue", "interface", "worker-extra-args", "scheduler-options")


@dataclass(frozen=True)
class Limits:
    """What a plugin request may ask for (None: no limit)."""

    max_walltime: str | None = None
    allowed_queues: tuple[str, ...] | None = None
    max_cores: int | None = None
    max_memory: str | None = None
    max_gpus: int | None = None


@dataclass(frozen=True)
class Profile:
    """A fully resolved profile: everything needed to start (or reuse) one cluster."""

    name: str
    backend: str
    queue: str | None = None
    account: str | None = None
    cores: int = 1
    memory: str | None = "2GiB"
    processes: int = 1
    walltime: str | None = "01:00:00"
    gpus: int = 0
    job_extra_directives: tuple[str, ...] = ()
    job_script_prologue: tuple[str, ...] = ()
    worker_extra_args: tuple[str, ...] = ()
    interface: str | None = None
    scheduler_options: dict = field(default_factory=dict, hash=False)
    plugin_slots: int = 4
    max_jobs: int = 4
    warm: int = 0
    idle_timeout: float = 300.0
    walltime_warning: float = 300.0
    poll_interval: float = 5.0
    nanny: bool = False
    tls: bool = True
    jobqueue_config: str | None = None
    limits: Limits = field(default_factory=Limits)
    parallel_environment: str | None = None  # Grid Engine: `-pe <name> <cores>`
    memory_resource: str | None = None  # Grid Engine: complex carrying memory per slot (mem_free, h_vmem, ...)

    @property
    def slots_per_job(self) -> int:
        """Plugin instances one job can hold (every worker process of the job has plugin-slots)."""
        return self.plugin_slots * self.processes

    @property
    def walltime_seconds(self) -> int | None:
        return None if self.walltime is None else parse_walltime(self.walltime)

    def cluster_key(self) -> str:
        """Identity of the cluster this profile runs on: profiles differing only in limits share a cluster."""
        data = asdict(self)
        data.pop("limits")
        blob = json.dumps(data, sort_keys=True, default=str)
        return f"{self.name}-{hashlib.sha1(blob.encode()).hexdigest()[:8]}"


def _str_list(value: Any, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise ValueError(f"{what} must be a list of strings, got {value!r}")
    return tuple(str(v) for v in value)


def _known(settings: dict) -> list[str]:
    return sorted((settings.get("profiles") or {}).keys())


def _jobqueue_value(config_name: str, key: str) -> Any:
    # dask-jobqueue registers its defaults on import; read them exactly as it will.
    import dask_jobqueue  # noqa: F401

    return dask.config.get(f"jobqueue.{config_name}.{key}", default=None)


def _limits(raw: Any, where: str) -> Limits:
    if raw is None:
        return Limits()
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: limits must be a mapping, got {raw!r}")
    norm = {str(k).replace("_", "-"): v for k, v in raw.items()}
    unknown = sorted(set(norm) - set(LIMIT_KEYS))
    if unknown:
        raise ConfigError(f"{where}: unknown limit {unknown[0]!r} (known: {', '.join(LIMIT_KEYS)})")
    try:
        wall = norm.get("max-walltime")
        if wall is not None:
            parse_walltime(wall)
        queues = norm.get("allowed-queues")
        if queues is not None:
            queues = tuple(str(q) for q in (queues if isinstance(queues, (list, tuple)) else [queues]))
        cores = norm.get("max-cores")
        mem = norm.get("max-memory")
        gpus = norm.get("max-gpus")
        return Limits(
            max_walltime=None if wall is None else str(wall),
            allowed_queues=queues,
            max_cores=None if cores is None else whole_number(cores, "max-cores"),
            max_memory=None if mem is None else memory_amount(mem, "max-memory"),
            max_gpus=None if gpus is None else whole_number(gpus, "max-gpus", zero=True),
        )
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def profile_from_settings(settings: dict, name: str) -> Profile:
    """Resolve profile `name` of the imjoy-hpc settings (jobqueue config fills keys the profile leaves out)."""
    profiles = settings.get("profiles") or {}
    if name not in profiles:
        known = ", ".join(_known(settings)) or "none configured"
        raise ValueError(f"unknown profile {name!r} (known profiles: {known})")
    raw = profiles[name] or {}
    where = f"profile {name!r}"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: must be a mapping, got {raw!r}")
    norm = {str(k).replace("_", "-"): v for k, v in raw.items()}
    unknown = sorted(set(norm) - set(PROFILE_KEYS))
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(PROFILE_KEYS)})")
    backend = norm.get("backend", "local")
    if backend not in backend_names():
        raise ConfigError(f"{where}: unknown backend {backend!r} (known: {', '.join(backend_names())})")

    values: dict[str, Any] = {}
    if backend != "local":
        config_name = norm.get("jobqueue-config") or backend
        for key in JOBQUEUE_KEYS:
            if key not in norm:
                v = _jobqueue_value(config_name, key)
                if v is not None and v != [] and v != {}:
                    values[key] = v
    values.update({k: v for k, v in norm.items() if v is not None or k in ("walltime", "memory", "queue")})

    try:
        kw: dict[str, Any] = {"name": name, "backend": backend}
        for key in ("queue", "account", "interface", "jobqueue-config", "parallel-environment", "memory-resource"):
            if values.get(key) is not None:
                kw[PROFILE_KEYS[key]] = str(values[key])
        for key in ("cores", "processes", "plugin-slots", "max-jobs"):
            if key in values:
                kw[PROFILE_KEYS[key]] = whole_number(values[key], key)
        for key in ("gpus", "warm"):
            if key in values:
                kw[PROFILE_KEYS[key]] = whole_number(values[key], key, zero=True)
        if "memory" in values:
            kw["memory"] = None if values["memory"] is None else memory_amount(values["memory"], "memory")
        if "walltime" in values:
            w = values["walltime"]
            if w is not None:
                parse_walltime(w)
                w = str(w) if isinstance(w, str) else format_walltime(parse_walltime(w))
            kw["walltime"] = w
        for key in ("idle-timeout", "walltime-warning", "poll-interval"):
            if key in values:
                v = float(values[key])
                if v < 0 or (key == "poll-interval" and v <= 0):
                    raise ValueError(f"{key} must be positive, got {values[key]!r}")
                kw[PROFILE_KEYS[key]] = v
        for key in ("job-extra-directives", "job-script-prologue", "worker-extra-args"):
            if key in values:
                kw[PROFILE_KEYS[key]] = _str_list(values[key], key)
        for key in ("nanny", "tls"):
            if key in values:
                if not isinstance(values[key], bool):
                    raise ValueError(f"{key} must be true or false, got {values[key]!r}")
                kw[key] = values[key]
        if "scheduler-options" in values:
            if not isinstance(values["scheduler-options"], dict):
                raise ValueError(f"scheduler-options must be a mapping, got {values['scheduler-options']!r}")
            kw["scheduler_options"] = dict(values["scheduler-options"])
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from None

    site = _limits(settings.get("limits"), "imjoy-hpc.limits")
    own = _limits(norm.get("limits"), f"{where} limits")
    merged = {k: v for k, v in asdict(site).items() if v is not None}
    merged.update({k: v for k, v in asdict(own).items() if v is not None})
    kw["limits"] = Limits(**merged)
    if backend == "local":
        kw.setdefault("walltime", None)
        kw.setdefault("memory", None)
    profile = Profile(**kw)
    check_limits(profile)
    return profile


def refine(profile: Profile, request: dict | None) -> Profile:
    """The profile with a plugin's request applied; raises ResourceLimitError when it exceeds the limits.

    A request for cores, memory or gpus shapes the job for that plugin alone (plugin-slots becomes 1);
    walltime and queue keep the profile's slots.
    """
    if not request:
        return profile
    if not isinstance(request, dict):
        raise ValueError(f"a resource request must be a mapping, got {request!r}")
    unknown = sorted(set(request) - set(REQUEST_KEYS))
    if unknown:
        raise ValueError(f"unknown resource request {unknown[0]!r} (allowed: {', '.join(REQUEST_KEYS)})")
    changes: dict[str, Any] = {}
    if request.get("cores") is not None:
        changes["cores"] = whole_number(request["cores"], "cores")
    if request.get("memory") is not None:
        changes["memory"] = memory_amount(request["memory"], "memory")
    if request.get("gpus") is not None:
        changes["gpus"] = whole_number(request["gpus"], "gpus", zero=True)
    if request.get("walltime") is not None:
        parse_walltime(request["walltime"])
        w = request["walltime"]
        changes["walltime"] = w if isinstance(w, str) else format_walltime(parse_walltime(w))
    if request.get("queue") is not None:
        changes["queue"] = str(request["queue"])
    shaped = {k: v for k, v in changes.items() if k in ("cores", "memory", "gpus") and v != getattr(profile, k)}
    if shaped:
        changes["plugin_slots"] = 1
        if "cores" in changes and changes["cores"] < profile.processes:
            changes["processes"] = 1
    refined = replace(profile, **changes)
    check_limits(refined)
    return refined


def check_limits(p: Profile) -> None:
    """Raise ResourceLimitError naming the first limit `p` exceeds."""
    lim = p.limits
    where = f"profile {p.name!r}"
    if lim.max_walltime is not None:
        if p.walltime is None and p.backend != "local":
            raise ResourceLimitError(f"walltime unlimited exceeds the limit {lim.max_walltime} of {where}")
        if p.walltime is not None and parse_walltime(p.walltime) > parse_walltime(lim.max_walltime):
            raise ResourceLimitError(f"walltime {p.walltime} exceeds the limit {lim.max_walltime} of {where}")
    if lim.allowed_queues is not None and p.queue is not None and p.queue not in lim.allowed_queues:
        allowed = ", ".join(lim.allowed_queues) or "none"
        raise ResourceLimitError(f"queue {p.queue!r} is not allowed by {where} (allowed queues: {allowed})")
    if lim.max_cores is not None and p.cores > lim.max_cores:
        raise ResourceLimitError(f"cores {p.cores} exceeds the limit {lim.max_cores} of {where}")
    if lim.max_memory is not None and p.memory is not None and parse_bytes(p.memory) > parse_bytes(lim.max_memory):
        raise ResourceLimitError(f"memory {p.memory} exceeds the limit {lim.max_memory} of {where}")
    if lim.max_gpus is not None and p.gpus > lim.max_gpus:
        raise ResourceLimitError(f"gpus {p.gpus} exceeds the limit {lim.max_gpus} of {where}")


def resolve(settings: dict, profile: str | None = None, request: dict | None = None) -> Profile:
    """Profile `profile` (else request['profile'], else settings['default-profile']) refined by `request`."""
    name = profile or (request or {}).get("profile") or settings.get("default-profile") or "local"
    return refine(profile_from_settings(settings, str(name)), request)
