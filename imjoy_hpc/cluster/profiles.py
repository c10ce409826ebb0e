"""Profiles: named cluster shapes from the `imjoy-hpc.profiles` config (parsed by settings.py), refined by plugin
requests within limits."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from dask.utils import parse_bytes

from imjoy_hpc.resources import REQUEST_KEYS, format_walltime, memory_amount, parse_walltime, whole_number
from imjoy_hpc.rpc.errors import UserFacingError
from imjoy_hpc.settings import Limits, Profile, Settings

__all__ = ["Limits", "Profile", "ResourceLimitError", "check_limits", "profile_from_settings", "refine", "resolve"]


class ResourceLimitError(UserFacingError, ValueError):
    """A plugin request outside the limits of its profile; the message names the limit and the value."""


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


def profile_from_settings(settings: Settings | Mapping, name: str) -> Profile:
    """Profile `name` of the settings (see Settings.profile), its own values within its limits."""
    profile = Settings.of(settings).profile(name)
    check_limits(profile)
    return profile


def resolve(settings: Settings | Mapping, profile: str | None = None, request: dict | None = None) -> Profile:
    """Profile `profile` (else request['profile'], else the default profile) refined by `request`."""
    settings = Settings.of(settings)
    name = profile or (request or {}).get("profile") or settings.default_profile
    return refine(profile_from_settings(settings, str(name)), request)
