"""The `imjoy-hpc` settings, parsed once into frozen dataclasses.

Every default lives in imjoy-hpc.yaml: a section given here is laid over those defaults, then each key is checked
against its field's type. A wrong value is a ConfigError naming the layer (file or variable) and the key; an
unknown key is a warning. Profiles and limits stay mappings until one is used: `Settings.profile(name)` parses it
into a `Profile` (over `profile-defaults` and dask-jobqueue's own `jobqueue.<backend>` section) and a profile's
mistakes are errors then, naming the profile. This module and config.py are the only readers of configuration.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import hashlib
import json
import logging
import os
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dask.config

from imjoy_hpc import config
from imjoy_hpc.backends import backend_names
from imjoy_hpc.config import ConfigError
from imjoy_hpc.files import private_dir
from imjoy_hpc.resources import format_walltime, memory_amount, parse_walltime, whole_number

logger = logging.getLogger(__name__)
Origin = Callable[[str], "str | None"]  # dotted key -> the layer that set it (None: not known)
_NOT_SETTING = {"setting": False}  # metadata of fields that are not keys of the section


@dataclass(frozen=True)
class ServerSettings:
    """`imjoy-hpc.server`: the front door."""

    host: str
    port: int
    tcp: bool
    unix_socket: bool
    token_file: str | None
    ping_interval: float
    ping_timeout: float
    allowed_origins: tuple[str, ...]
    zarr_origins: tuple[str, ...]
    allowed_hosts: tuple[str, ...]
    max_message_bytes: int
    preauth_max_bytes: int
    max_pending_connections: int
    registrations_per_second: float
    plugin_register_timeout: float
    max_connections: int | None
    max_foreign_connections: int
    foreign_connections_per_second: float
    chunk_bytes: int
    fetch_array_bytes: int | None
    plugin_host: str | None


@dataclass(frozen=True)
class SessionSettings:
    """`imjoy-hpc.sessions`: how long plugins outlive their client's connection."""

    grace_period: float
    detach_idle_limit: float | None


@dataclass(frozen=True)
class CondaSettings:
    """`imjoy-hpc.plugins.conda`: where conda environments are solved from, and with which tool."""

    channels: tuple[str, ...]
    plugin_channels: bool
    channel_alias: str | None
    command: str | None
    old_python: typing.Literal["raise", "refuse"]

    @classmethod
    def of(cls, value: "CondaSettings | Mapping | None") -> "CondaSettings":
        """`value` as CondaSettings (a mapping is laid over the built-in defaults)."""
        if isinstance(value, CondaSettings):
            return value
        base = config.defaults()[config.NAMESPACE]["plugins"]["conda"]
        return _Parser(None).section(cls, _merge(base, value or {}), f"{config.NAMESPACE}.plugins.conda")


@dataclass(frozen=True)
class PluginSettings:
    """`imjoy-hpc.plugins`: the catalog, environments and start timeouts."""

    directories: tuple[str, ...]
    install_requirements: bool
    allow_requirement_commands: bool
    env_cache: str | None
    start_timeout: float
    install_timeout: float
    conda: CondaSettings
    export_timeout: float


@dataclass(frozen=True)
class BatchSettings:
    """`imjoy-hpc.batch`: headless runs and submitted jobs."""

    call_timeout: float | None
    max_array_size: int
    pbs_array_option: str


def _checked(check: Callable[[Any], Any], **options: Any) -> Any:
    """A field whose value `check` converts (ValueError: the value is wrong, in words naming the key)."""
    return field(metadata={"check": check}, **options)


def _walltime(value: Any) -> str:
    seconds = parse_walltime(value)
    return str(value) if isinstance(value, str) else format_walltime(seconds)


def _queues(value: Any) -> tuple[str, ...]:
    return tuple(str(q) for q in (value if isinstance(value, (list, tuple)) else [value]))


def _positive(what: str) -> Callable[[Any], float]:
    def check(value: Any) -> float:
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{what} must be a number, got {value!r}") from None
        if number <= 0:
            raise ValueError(f"{what} must be positive, got {value!r}")
        return number
    return check


def _count(what: str, *, zero: bool = False) -> Callable[[Any], int]:
    return lambda value: whole_number(value, what, zero=zero)


def _memory(what: str) -> Callable[[Any], str]:
    return lambda value: memory_amount(value, what)


@dataclass(frozen=True)
class Limits:
    """What a plugin request may ask for (None: no limit)."""

    max_walltime: str | None = _checked(_walltime, default=None)
    allowed_queues: tuple[str, ...] | None = _checked(_queues, default=None)
    max_cores: int | None = _checked(_count("max-cores"), default=None)
    max_memory: str | None = _checked(_memory("max-memory"), default=None)
    max_gpus: int | None = _checked(_count("max-gpus", zero=True), default=None)


@dataclass(frozen=True)
class Profile:
    """A profile as configured (`imjoy-hpc.profiles.<name>`, keys in imjoy-hpc.yaml): everything needed to start
    (or reuse) one cluster. Every value comes from the configuration: see `Settings.profile`."""

    name: str = field(metadata=_NOT_SETTING)
    backend: str
    queue: str | None
    account: str | None
    cores: int = _checked(_count("cores"))
    memory: str | None = _checked(_memory("memory"))
    processes: int = _checked(_count("processes"))
    walltime: str | None = _checked(_walltime)
    gpus: int = _checked(_count("gpus", zero=True))
    job_extra_directives: tuple[str, ...]
    job_script_prologue: tuple[str, ...]
    worker_extra_args: tuple[str, ...]
    interface: str | None
    scheduler_options: dict = field(hash=False)
    plugin_slots: int = _checked(_count("plugin-slots"))
    max_jobs: int = _checked(_count("max-jobs"))
    warm: int = _checked(_count("warm", zero=True))
    idle_timeout: float
    walltime_warning: float
    poll_interval: float = _checked(_positive("poll-interval"))
    nanny: bool
    tls: bool
    jobqueue_config: str | None
    parallel_environment: str | None  # Grid Engine: `-pe <name> <cores>`
    memory_resource: str | None  # Grid Engine: complex carrying memory per slot (mem_free, h_vmem, ...)
    limits: Limits = field(metadata=_NOT_SETTING)

    @property
    def slots_per_job(self) -> int:
        """Plugin instances one job can hold (every worker process of the job has plugin-slots)."""
        return self.plugin_slots * self.processes

    @property
    def walltime_seconds(self) -> int | None:
        return None if self.walltime is None else parse_walltime(self.walltime)

    def cluster_key(self) -> str:
        """Identity of the cluster this profile runs on: profiles differing only in limits share a cluster."""
        data = dataclasses.asdict(self)
        data.pop("limits")
        blob = json.dumps(data, sort_keys=True, default=str)
        return f"{self.name}-{hashlib.sha1(blob.encode()).hexdigest()[:8]}"


# Keys dask-jobqueue itself reads from `jobqueue.<config-name>.<key>`; a profile's own key overrides them.
JOBQUEUE_KEYS = ("queue", "account", "cores", "memory", "processes", "walltime", "job-extra-directives",
                 "job-script-prologue", "interface", "worker-extra-args", "scheduler-options")
_NULL_MEANS_NONE = ("walltime", "memory", "queue")  # a profile's `walltime: null` is no walltime, not the default


def jobqueue_section(config_name: str) -> dict[str, Any]:
    """The keys of dask-jobqueue's `jobqueue.<config_name>` section a profile takes, as dask-jobqueue reads them
    (its own defaults included); empty values are left out."""
    import dask_jobqueue  # noqa: F401  (registers its defaults on import)

    section = dask.config.get(f"jobqueue.{config_name}", default=None) or {}
    values = {_yaml_name(str(k)): v for k, v in section.items()}
    return {k: values[k] for k in JOBQUEUE_KEYS if values.get(k) not in (None, [], {})}


@dataclass(frozen=True)
class Settings:
    """The whole `imjoy-hpc` section."""

    state_dir: str
    server: ServerSettings
    sessions: SessionSettings
    plugins: PluginSettings
    default_profile: str
    profile_defaults: dict[str, Any]
    profiles: dict[str, Any]
    limits: dict[str, Any]
    batch: BatchSettings
    warnings: tuple[str, ...] = field(default=(), repr=False, compare=False, metadata=_NOT_SETTING)

    @classmethod
    def parse(cls, section: Mapping | None, *, origin: Origin | None = None) -> "Settings":
        """Check `section` (laid over the built-in defaults); `origin` names the layer of a key in errors."""
        if section is not None and not isinstance(section, Mapping):
            raise ConfigError(_message(origin, config.NAMESPACE, f"expected a mapping, got {_show(section)}"))
        parser = _Parser(origin)
        merged = _merge(config.defaults()[config.NAMESPACE], section or {})
        parsed = parser.section(cls, merged, config.NAMESPACE)
        keys = [_yaml_name(f.name) for f in dataclasses.fields(Profile) if f.metadata.get("setting", True)]
        profile_defaults = {}
        for name, value in parsed.profile_defaults.items():  # values are checked with a profile's, when one is used
            if _yaml_name(str(name)) in keys:
                profile_defaults[_yaml_name(str(name))] = value
            else:
                parser.unknown(f"{config.NAMESPACE}.profile-defaults.{name}", _yaml_name(str(name)), keys)
        return dataclasses.replace(parsed, profile_defaults=profile_defaults, warnings=tuple(parser.warnings))

    @classmethod
    def load(cls, extra: str | os.PathLike | None = None) -> "Settings":
        """The effective settings of every configuration layer (see config.load) plus `extra`."""
        section = config.load(extra)
        return cls.parse(section, origin=lambda key: config.origin(key, extra))

    @classmethod
    def of(cls, value: "Settings | Mapping | None") -> "Settings":
        """`value` as Settings: a mapping is parsed, and its warnings logged."""
        if isinstance(value, Settings):
            return value
        settings = cls.parse(value)
        for warning in settings.warnings:
            logger.warning("%s", warning)
        return settings

    @classmethod
    def current(cls) -> "Settings":
        """The settings of this process's dask config as it stands (no file read again)."""
        return cls.of(config.get())

    def state_path(self) -> Path:
        """The user's private imjoy-hpc directory (created 0700)."""
        path = private_dir(Path(os.path.expanduser(self.state_dir)).resolve())
        os.chmod(path, 0o700)  # also when it was there already
        return path

    def with_profile(self, name: str, profile: Mapping) -> "Settings":
        """The same settings with profile `name` configured as `profile` (a mapping of profile keys)."""
        return dataclasses.replace(self, profiles={**self.profiles, name: dict(profile)})

    def with_state_dir(self, path: str | os.PathLike) -> "Settings":
        """The same settings with another state directory."""
        return dataclasses.replace(self, state_dir=str(path))

    def profile(self, name: str) -> "Profile":
        """Profile `name` as configured: its own keys over the `jobqueue.<backend>` section (a scheduler's profile)
        over `profile-defaults`; its own limits over the site's. ValueError for an unknown name, ConfigError naming
        the profile and the key for a wrong value."""
        if name not in self.profiles:
            known = ", ".join(sorted(self.profiles)) or "none configured"
            raise ValueError(f"unknown profile {name!r} (known profiles: {known})")
        where = f"profile {name!r}"
        given = self.profiles[name] or {}
        if not isinstance(given, Mapping):
            raise ConfigError(f"{where}: must be a mapping, got {given!r}")
        given = {_yaml_name(str(k)): v for k, v in given.items()}
        own_limits = given.pop("limits", None)
        backend = given.get("backend", "local")
        if backend not in backend_names():
            raise ConfigError(f"{where}: unknown backend {backend!r} (known: {', '.join(backend_names())})")
        layers = dict(self.profile_defaults)
        if backend == "local":
            layers.update(walltime=None, memory=None)  # the embedded cluster: no limits unless the profile sets one
        else:
            layers.update(jobqueue_section(str(given.get("jobqueue-config") or backend)))
        layers.update({k: v for k, v in given.items() if v is not None or k in _NULL_MEANS_NONE})
        profile = _ProfileParser(where, "key").section(Profile, layers, "", name=name, limits=Limits())
        site = _ProfileParser("imjoy-hpc.limits", "limit").limits(self.limits)
        own = _ProfileParser(f"{where} limits", "limit").limits(own_limits)
        return dataclasses.replace(profile, limits=Limits(**{**site, **own}))

    def profile_backends(self) -> list[str]:
        """The backends the configured profiles use (local when a profile names none)."""
        return sorted({str(p.get("backend") or "local") for p in self.profiles.values() if isinstance(p, Mapping)})


def to_section(settings: Any) -> dict[str, Any]:
    """A settings object as the plain mapping it was parsed from (YAML key names, lists): what crosses to another
    process (a worker), which parses it with its own copy of this module."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(settings):
        if not f.metadata.get("setting", True):
            continue
        value = getattr(settings, f.name)
        if dataclasses.is_dataclass(value):
            value = to_section(value)
        elif isinstance(value, tuple):
            value = list(value)
        out[_yaml_name(f.name)] = copy.deepcopy(value)
    return out


# --------------------------------------------------------------------------------------------------- parsing
def _merge(base: Mapping, over: Mapping) -> dict:
    """`over` laid over `base` as dask.config layers them: mappings merge, anything else replaces."""
    out = copy.deepcopy(dict(base))
    for key, value in over.items():
        name = _yaml_name(str(key))
        if isinstance(value, Mapping) and isinstance(out.get(name), Mapping):
            out[name] = _merge(out[name], value)
        else:
            out[name] = copy.deepcopy(value)
    return out


def _yaml_name(name: str) -> str:
    return name.replace("_", "-")


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return f"a list {list(value)!r}"[:80]
    return repr(value)[:80]


def _message(origin: Origin | None, key: str, problem: str) -> str:
    where = origin(key) if origin is not None else None
    return f"{where}: {key}: {problem}" if where else f"{key}: {problem}"


_TRUE, _FALSE = ("true", "yes", "on", "1"), ("false", "no", "off", "0")


class _Parser:
    """Converts a merged section to its dataclass, field by field, collecting warnings."""

    def __init__(self, origin: Origin | None) -> None:
        self.origin = origin
        self.warnings: list[str] = []

    def error(self, key: str, problem: str) -> ConfigError:
        return ConfigError(_message(self.origin, key, problem))

    def section(self, cls: type, data: Any, key: str, **fixed: Any) -> Any:
        """`data` as a `cls`; `fixed` gives the fields that are not settings."""
        if not isinstance(data, Mapping):
            raise self.error(key, f"expected a mapping of settings, got {_show(data)}")
        hints = typing.get_type_hints(cls)
        names = {_yaml_name(f.name): f for f in dataclasses.fields(cls) if f.metadata.get("setting", True)}
        given = {_yaml_name(str(k)): v for k, v in data.items()}
        for name in given:
            if name not in names:
                self.unknown(f"{key}.{name}".lstrip("."), name, list(names))
        values = dict(fixed)
        for name, f in names.items():
            where = f"{key}.{name}".lstrip(".")
            if name not in given:  # the built-in defaults hold every key: only a layer setting null loses some
                raise self.error(where, "missing")
            check = f.metadata.get("check")
            if check is not None and given[name] is not None:
                try:
                    values[f.name] = check(given[name])
                except ValueError as exc:
                    raise self.wrong(where, str(exc)) from None
            else:
                values[f.name] = self.value(hints[f.name], given[name], where)
        return cls(**values)

    def unknown(self, key: str, name: str, names: list[str]) -> None:
        close = difflib.get_close_matches(name, names, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(names)})"
        self.warnings.append(_message(self.origin, key, f"unknown key, ignored{hint}"))

    def wrong(self, key: str, words: str) -> ConfigError:
        """A value its field's check refused; `words` name the key already."""
        return ConfigError(_message(self.origin, key, words))

    def value(self, tp: Any, value: Any, key: str) -> Any:
        origin, args = typing.get_origin(tp), typing.get_args(tp)
        if origin in (typing.Union, types.UnionType):
            if value is None:
                return None
            return self.value(next(a for a in args if a is not type(None)), value, key)
        if dataclasses.is_dataclass(tp):
            return self.section(tp, value, key)
        if origin is typing.Literal:
            choice = value.strip().lower() if isinstance(value, str) else value
            if choice in args:
                return choice
            raise self.error(key, f"expected one of {', '.join(map(str, args))}, got {_show(value)}")
        if tp is bool:
            return self.boolean(value, key)
        if tp in (int, float):
            return self.number(tp, value, key)
        if tp is str:
            if isinstance(value, str):
                return value
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return str(value)
            raise self.error(key, f"expected a text, got {_show(value)}")
        if origin is tuple:
            if value is None:
                return ()
            if not isinstance(value, (list, tuple)):
                raise self.error(key, f"expected a list, got {_show(value)}")
            return tuple(self.value(args[0], item, f"{key}[{i}]") for i, item in enumerate(value))
        if origin is dict or tp is dict:
            if value is None:
                return {}
            if not isinstance(value, Mapping):
                raise self.error(key, f"expected a mapping, got {_show(value)}")
            return copy.deepcopy(dict(value))
        raise TypeError(f"no parser for settings of type {tp!r} ({key})")

    def boolean(self, value: Any, key: str) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
            return value.strip().lower() in _TRUE
        raise self.error(key, f"expected true or false, got {_show(value)}")

    def number(self, tp: type, value: Any, key: str) -> int | float:
        what = "a whole number" if tp is int else "a number"
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise self.error(key, f"expected {what}, got {_show(value)}")
        try:
            number = float(value)
        except ValueError:
            raise self.error(key, f"expected {what}, got {_show(value)}") from None
        if number != number or number < 0:
            raise self.error(key, f"expected {what} >= 0, got {_show(value)}")
        if tp is int:
            if not number.is_integer():
                raise self.error(key, f"expected {what}, got {_show(value)}")
            return int(number)
        return number


class _ProfileParser(_Parser):
    """Parses one profile or one set of limits: an unknown key is an error, and every message starts with `where`
    (the profile), as a profile is parsed when it is used, not when the settings are loaded."""

    def __init__(self, where: str, noun: str) -> None:
        super().__init__(None)
        self.where, self.noun = where, noun

    def error(self, key: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.where}: {key}: {problem}")

    def wrong(self, key: str, words: str) -> ConfigError:
        return ConfigError(f"{self.where}: {words}")

    def unknown(self, key: str, name: str, names: list[str]) -> None:
        raise ConfigError(f"{self.where}: unknown {self.noun} {name!r} (known: {', '.join(names)})")

    def limits(self, given: Any) -> dict[str, Any]:
        """The limits `given` sets (a mapping of LIMIT keys), as Limits fields."""
        if given is None:
            return {}
        if not isinstance(given, Mapping):
            raise ConfigError(f"{self.where}: limits must be a mapping, got {given!r}")
        full = {_yaml_name(f.name): None for f in dataclasses.fields(Limits)}
        parsed = self.section(Limits, {**full, **given}, "")
        return {k: v for k, v in dataclasses.asdict(parsed).items() if v is not None}
