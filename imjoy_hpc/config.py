"""Configuration through dask.config: built-in defaults, site/user layers, $IMJOY_HPC_CONFIG and --config FILE."""

from __future__ import annotations

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
    defaults = _read_yaml(DEFAULTS_FILE)
    dask.config.update_defaults(defaults)
    for path in config_files(extra):
        dask.config.update(dask.config.config, _read_yaml(path), priority="new")
    return get()


def get(key: str | None = None, default: Any = None) -> Any:
    """A value under the `imjoy-hpc` namespace (the whole section when key is None)."""
    if not dask.config.get(NAMESPACE, default=None):
        dask.config.update_defaults(_read_yaml(DEFAULTS_FILE))
    full = NAMESPACE if key is None else f"{NAMESPACE}.{key}"
    return dask.config.get(full, default=default)


def state_dir() -> Path:
    """The user's private imjoy-hpc directory (created 0700)."""
    path = Path(os.path.expanduser(get("state-dir"))).resolve()
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path
