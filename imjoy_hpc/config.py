"""Configuration through dask.config: built-in defaults, site/user layers, $IMJOY_HPC_CONFIG and --config FILE,
and where each effective value came from."""

from __future__ import annotations

import copy
import functools
import os
from pathlib import Path
from typing import Any

import dask.config
import yaml

NAMESPACE = "imjoy-hpc"
DEFAULTS_FILE = Path(__file__).with_name("imjoy-hpc.yaml")
SITE_CONFIG_ENV = "IMJOY_HPC_CONFIG"


class ConfigError(ValueError):
    """An invalid configuration file or value; the message names the file and the key."""


def _read_yaml(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping, got {type(data).__name__}")
    return data


@functools.lru_cache(maxsize=1)
def _defaults() -> dict:
    return _read_yaml(DEFAULTS_FILE)


def defaults() -> dict:
    """The built-in defaults (imjoy-hpc.yaml, the only place they are written down), as a fresh dict."""
    return copy.deepcopy(_defaults())


def site_exports() -> dict[str, str]:
    """The environment a job needs to read the same site config file as this process ($IMJOY_HPC_CONFIG)."""
    site = os.environ.get(SITE_CONFIG_ENV)
    return {SITE_CONFIG_ENV: str(Path(site).expanduser().resolve())} if site else {}


def config_files(extra: str | os.PathLike | None = None) -> list[Path]:
    """Files layered over dask's own search path, lowest priority first."""
    files = []
    site = os.environ.get(SITE_CONFIG_ENV)
    if site:
        files.append(Path(site).expanduser())
    if extra:
        files.append(Path(extra).expanduser())
    return files


def load(extra: str | os.PathLike | None = None) -> dict:
    """Refresh dask.config with our defaults, $IMJOY_HPC_CONFIG and `extra`; return the `imjoy-hpc` section."""
    dask.config.update_defaults(defaults())
    for path in config_files(extra):
        dask.config.update(dask.config.config, _read_yaml(path), priority="new")
    return get()


def get(key: str | None = None, default: Any = None) -> Any:
    """A value under the `imjoy-hpc` namespace (the whole section when key is None)."""
    if not dask.config.get(NAMESPACE, default=None):
        dask.config.update_defaults(defaults())
    full = NAMESPACE if key is None else f"{NAMESPACE}.{key}"
    return dask.config.get(full, default=default)




# ---------------------------------------------------------------------------------------------- where values came from
def norm(key: str) -> str:
    """A dotted key in dask's hyphenated spelling."""
    return ".".join(part.replace("_", "-") for part in key.split("."))


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """Nested mappings as {dotted.key: leaf value}; keys use dask's hyphenated spelling."""
    out: dict[str, Any] = {}
    if isinstance(data, dict) and data:
        for k, v in data.items():
            out.update(flatten(v, f"{prefix}.{norm(str(k))}" if prefix else norm(str(k))))
    elif prefix:
        out[prefix] = data
    return out


def _yaml_or_empty(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


def dask_config_files() -> list[Path]:
    """The YAML files dask itself read, lowest priority first (as dask.config.collect_yaml orders them)."""
    files: list[Path] = []
    for entry in dask.config.paths:
        path = Path(entry)
        if path.is_dir():
            files += sorted(p for p in path.iterdir() if p.suffix.lower() in (".yaml", ".yml", ".json"))
        elif path.is_file():
            files.append(path)
    return files


def env_layer() -> tuple[dict[str, Any], dict[str, str]]:
    """Values from DASK_* environment variables and, for each key, the variable's name."""
    values = flatten(dask.config.collect_env())
    names: dict[str, str] = {}
    for var in os.environ:
        if var.startswith("DASK_") and var not in ("DASK_CONFIG", "DASK_ROOT_CONFIG"):
            names[norm(var[5:].lower().replace("__", "."))] = var
    return values, names


def layers(extra: str | os.PathLike | None = None) -> list[tuple[str, dict[str, Any]]]:
    """(source description, flattened values) per configuration layer, lowest priority first."""
    out: list[tuple[str, dict[str, Any]]] = []
    try:
        import dask_jobqueue

        jq = Path(dask_jobqueue.__file__).with_name("jobqueue.yaml")
        out.append((f"dask-jobqueue default ({jq})", flatten(_yaml_or_empty(jq))))
    except ImportError:
        pass
    out.append((f"built-in default ({DEFAULTS_FILE})", flatten(_yaml_or_empty(DEFAULTS_FILE))))
    for path in dask_config_files():
        out.append((f"dask config file {path}", flatten(_yaml_or_empty(path))))
    env_values, env_names = env_layer()
    for key, value in env_values.items():
        out.append((f"env {env_names.get(key, 'DASK_*')}", {key: value}))
    site = os.environ.get(SITE_CONFIG_ENV)
    if site:
        out.append((f"${SITE_CONFIG_ENV} {Path(site).expanduser()}", flatten(_yaml_or_empty(Path(site).expanduser()))))
    if extra:
        out.append((f"--config {Path(extra).expanduser()}", flatten(_yaml_or_empty(Path(extra).expanduser()))))
    return out


def origin(key: str, extra: str | os.PathLike | None = None) -> str | None:
    """The layer that set the effective value of dotted `key` (or of a key under it), e.g. "--config FILE"."""
    key = norm(key)
    found = None
    for name, values in layers(extra):
        if any(k == key or k.startswith(key + ".") for k in values):
            found = name
    return found


def effective_values(extra: str | os.PathLike | None = None) -> list[tuple[str, Any, str]]:
    """Every effective leaf under imjoy-hpc and jobqueue: (dotted key, value, the layer that set it)."""
    origin = {key: name for name, values in layers(extra) for key in values}  # later layers win
    return [(key, value, origin.get(key, "dask default")) for top in (NAMESPACE, "jobqueue")
            for key, value in sorted(flatten(dask.config.get(top, default={}), top).items())]
