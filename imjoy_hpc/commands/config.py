"""`imjoy-hpc config`: the effective configuration, where each value came from, and whether profiles are valid."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from imjoy_hpc.commands import load_settings

if TYPE_CHECKING:
    from imjoy_hpc.settings import Settings

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


def effective(extra: str | None, show_all: bool = False) -> list[dict[str, Any]]:
    """Every effective leaf under imjoy-hpc (and jobqueue) with the layer that set it."""
    from imjoy_hpc.config import effective_values

    rows = []
    for key, value, src in effective_values(extra):
        if key.startswith("jobqueue.") and not show_all and src.startswith("dask-jobqueue default"):
            continue
        if any(word in key.rsplit(".", 1)[-1].lower() for word in SECRET_WORDS) and value:
            value = "*** (hidden)"
        rows.append({"key": key, "value": value, "source": src})
    return rows


def check_profiles(settings: "Settings", rows: list[dict[str, Any]]) -> list[str]:
    """Errors of every profile that does not resolve, each naming where its keys came from."""
    from imjoy_hpc.cluster.profiles import profile_from_settings

    errors = []
    for name in sorted(settings.profiles):
        try:
            profile_from_settings(settings, name)
        except ValueError as exc:
            where = sorted({r["source"] for r in rows if r["key"].startswith(f"imjoy-hpc.profiles.{name}.")})
            errors.append(f"{exc} (set in: {'; '.join(where) or 'unknown'})")
    default = settings.default_profile
    if default and default not in settings.profiles:
        errors.append(f"default-profile {default!r} is not a configured profile "
                      f"(known: {', '.join(sorted(settings.profiles)) or 'none'})")
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
        want = config.norm(want)
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
