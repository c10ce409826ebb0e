"""The `imjoy-hpc` settings, parsed once into frozen dataclasses.

Every default lives in imjoy-hpc.yaml: a section given here is laid over those defaults, then each key is checked
against its field's type. A wrong value is a ConfigError naming the layer (file or variable) and the key; an
unknown key is a warning. Profiles and limits stay mappings: cluster/profiles.py parses them into `Profile`s.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import logging
import os
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from imjoy_hpc import config
from imjoy_hpc.config import ConfigError

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


@dataclass(frozen=True)
class Settings:
    """The whole `imjoy-hpc` section."""

    state_dir: str
    server: ServerSettings
    sessions: SessionSettings
    plugins: PluginSettings
    default_profile: str
    profiles: dict[str, Any]
    limits: dict[str, Any]
    batch: BatchSettings
    # The section as given (before the defaults were laid under it), for the cluster layer's own parsing.
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False, metadata=_NOT_SETTING)
    warnings: tuple[str, ...] = field(default=(), repr=False, compare=False, metadata=_NOT_SETTING)

    @classmethod
    def parse(cls, section: Mapping | None, *, origin: Origin | None = None) -> "Settings":
        """Check `section` (laid over the built-in defaults); `origin` names the layer of a key in errors."""
        if section is not None and not isinstance(section, Mapping):
            raise ConfigError(_message(origin, config.NAMESPACE, f"expected a mapping, got {_show(section)}"))
        raw = copy.deepcopy(dict(section or {}))
        parser = _Parser(origin)
        merged = _merge(config.defaults()[config.NAMESPACE], raw)
        parsed = parser.section(cls, merged, config.NAMESPACE)
        return dataclasses.replace(parsed, raw=raw, warnings=tuple(parser.warnings))

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

    def with_state_dir(self, path: str | os.PathLike) -> "Settings":
        """The same settings with another state directory."""
        return dataclasses.replace(self, state_dir=str(path), raw={**self.raw, "state-dir": str(path)})

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

    def section(self, cls: type, data: Any, key: str) -> Any:
        if not isinstance(data, Mapping):
            raise self.error(key, f"expected a mapping of settings, got {_show(data)}")
        hints = typing.get_type_hints(cls)
        names = {_yaml_name(f.name): f for f in dataclasses.fields(cls) if f.metadata.get("setting", True)}
        given = {_yaml_name(str(k)): v for k, v in data.items()}
        for name in given:
            if name not in names:
                close = difflib.get_close_matches(name, names, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(names)})"
                self.warnings.append(_message(self.origin, f"{key}.{name}", f"unknown key, ignored{hint}"))
        values = {}
        for name, f in names.items():
            if name not in given:  # the built-in defaults hold every key: only a layer setting null loses some
                raise self.error(f"{key}.{name}", "missing")
            values[f.name] = self.value(hints[f.name], given[name], f"{key}.{name}")
        return cls(**values)

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
