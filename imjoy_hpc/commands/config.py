"""`imjoy-hpc config`: the effective configuration, where each value came from, and whether profiles are valid."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from imjoy_hpc.commands import load_settings

HELP = "print the effective configuration and where each value came from"
SECRET_WORDS = ("token", "secret", "password", "passphrase")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("key", nargs="?", help="only keys starting with this (e.g. profiles.slurm, server.port)")
    parser.add_argument("--config", metavar="FILE", help="extra config file (YAML), layered over the site config")
    parser.add_argument("--json", action="store_true",
                        help='print JSON: {"values": [{key, value, source}], "profile": {...}, "errors": [...]}')
    parser.add_argument("--profile", metavar="NAME", help="also print profile NAME fully resolved (jobqueue "
                                                          "section and built-in values filled in)")
    parser.add_argument("--all", action="store_true", help="include dask-jobqueue's own defaults")


def _norm(key: str) -> str:
    return ".".join(part.replace("_", "-") for part in key.split("."))


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """Nested mappings as {dotted.key: leaf value}; keys use dask's hyphenated spelling."""
    out: dict[str, Any] = {}
    if isinstance(data, dict) and data:
        for k, v in data.items():
            out.update(flatten(v, f"{prefix}.{_norm(str(k))}" if prefix else _norm(str(k))))
    elif prefix:
        out[prefix] = data
    return out


def _yaml(path: Path) -> dict:
    import yaml

    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


def dask_config_files() -> list[Path]:
    """The YAML files dask itself read, lowest priority first (as dask.config.collect_yaml orders them)."""
    import dask.config

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
    import dask.config

    values = flatten(dask.config.collect_env())
    names: dict[str, str] = {}
    for var in os.environ:
        if var.startswith("DASK_") and var != "DASK_CONFIG" and var != "DASK_ROOT_CONFIG":
            names[_norm(var[5:].lower().replace("__", "."))] = var
    return values, names


def sources(extra: str | None) -> list[tuple[str, dict[str, Any]]]:
    """(source description, flattened values) per layer, lowest priority first."""
    from imjoy_hpc import config

    layers: list[tuple[str, dict[str, Any]]] = []
    try:
        import dask_jobqueue  # noqa: F401

        jq = Path(dask_jobqueue.__file__).with_name("jobqueue.yaml")
        layers.append((f"dask-jobqueue default ({jq})", flatten(_yaml(jq))))
    except ImportError:
        pass
    layers.append((f"built-in default ({config.DEFAULTS_FILE})", flatten(_yaml(config.DEFAULTS_FILE))))
    for path in dask_config_files():
        layers.append((f"dask config file {path}", flatten(_yaml(path))))
    env_values, env_names = env_layer()
    for key, value in env_values.items():
        layers.append((f"env {env_names.get(key, 'DASK_*')}", {key: value}))
    site = os.environ.get(config.SITE_CONFIG_ENV)
    if site:
        layers.append((f"${config.SITE_CONFIG_ENV} {Path(site).expanduser()}", flatten(_yaml(Path(site).expanduser()))))
    if extra:
        layers.append((f"--config {Path(extra).expanduser()}", flatten(_yaml(Path(extra).expanduser()))))
    return layers


def effective(extra: str | None, show_all: bool = False) -> list[dict[str, Any]]:
    """Every effective leaf under imjoy-hpc (and jobqueue) with the layer that set it."""
    import dask.config

    origin: dict[str, str] = {}
    for name, values in sources(extra):
        for key in values:
            origin[key] = name
    rows = []
    for top in ("imjoy-hpc", "jobqueue"):
        for key, value in sorted(flatten(dask.config.get(top, default={}), top).items()):
            src = origin.get(key, "dask default")
            if top == "jobqueue" and not show_all and src.startswith("dask-jobqueue default"):
                continue
            if any(word in key.rsplit(".", 1)[-1].lower() for word in SECRET_WORDS) and value:
                value = "*** (hidden)"
            rows.append({"key": key, "value": value, "source": src})
    return rows


def check_profiles(settings: dict, rows: list[dict[str, Any]]) -> list[str]:
    """Errors of every profile that does not resolve, each naming where its keys came from."""
    from imjoy_hpc.cluster.profiles import profile_from_settings

    errors = []
    for name in sorted(settings.get("profiles") or {}):
        try:
            profile_from_settings(settings, name)
        except ValueError as exc:
            where = sorted({r["source"] for r in rows if r["key"].startswith(f"imjoy-hpc.profiles.{name}.")})
            errors.append(f"{exc} (set in: {'; '.join(where) or 'unknown'})")
    default = settings.get("default-profile")
    if default and default not in (settings.get("profiles") or {}):
        errors.append(f"default-profile {default!r} is not a configured profile "
                      f"(known: {', '.join(sorted(settings.get('profiles') or {})) or 'none'})")
    return errors


def _show(value: Any) -> str:
    return json.dumps(value) if not isinstance(value, str) else value


def run(args: argparse.Namespace) -> int:
    from imjoy_hpc import config

    settings = load_settings(args.config)
    if settings is None:
        return 2
    rows = effective(args.config, args.all)
    if args.key:
        want = args.key if args.key.startswith(("imjoy-hpc", "jobqueue")) else f"imjoy-hpc.{args.key}"
        want = _norm(want)
        rows = [r for r in rows if r["key"] == want or r["key"].startswith(want + ".")]
        if not rows:
            print(f"imjoy-hpc: no configuration key {want!r}", file=sys.stderr)
            return 1
    errors = check_profiles(settings, rows)
    resolved = None
    if args.profile:
        from imjoy_hpc.cluster.profiles import profile_from_settings

        try:
            from dataclasses import asdict

            resolved = asdict(profile_from_settings(settings, args.profile))
        except ValueError as exc:
            print(f"imjoy-hpc: {exc}", file=sys.stderr)
            return 1
    if args.json:
        print(json.dumps({"values": rows, "profile": resolved, "errors": errors}, indent=2, default=str))
    else:
        width = max((len(r["key"]) for r in rows), default=0)
        for r in rows:
            print(f"{r['key']:<{width}} = {_show(r['value'])}    # {r['source']}")
        if resolved is not None:
            print(f"\nprofile {args.profile!r} resolved:")
            for k, v in resolved.items():
                print(f"  {k.replace('_', '-')}: {_show(v) if not isinstance(v, dict) else json.dumps(v)}")
        for err in errors:
            print(f"error: {err}", file=sys.stderr)
    return 1 if errors else 0
