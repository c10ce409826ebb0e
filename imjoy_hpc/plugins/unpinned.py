"""Plugins that predate today's packages: requirements without a version pin, and the packages they pull in,
resolve to the newest release, whose API the plugin may not know (`from skimage.morphology import watershed`).
When an ImportError or AttributeError comes from a package the plugin did not pin to a version, the plugin's error
ends with a hint to resolve as of an earlier date."""

from __future__ import annotations

import os
import re
import sys
from typing import Iterable

VARIABLE = "IMJOY_HPC_PINNED"  # set in a plugin process whose pip packages were installed for it: the ones it
                               # pinned (==), comma-separated; every other package there may be newer than it knows
_PINNED = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*===?\s*[^,;]+$")
# When each Python came out: resolving as of an earlier date builds packages from source (no wheels yet).
_PYTHON_RELEASED = {(3, 9): "2020-10-05", (3, 10): "2021-10-04", (3, 11): "2022-10-24", (3, 12): "2023-10-02",
                    (3, 13): "2024-10-07", (3, 14): "2025-10-07"}
_MODULE_IN_MESSAGE = re.compile(r"module '([\w.]+)' has no attribute|from '([\w.]+)'|No module named '([\w.]+)'")


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned_names(specs: Iterable[str]) -> list[str]:
    """The distribution names of pip specs pinned to one version (`scikit-image==0.18.3`)."""
    return [_normal(m.group(1)) for m in map(_PINNED.match, specs) if m]


def _failing_module(exc: BaseException) -> str | None:
    if isinstance(exc, ImportError) and exc.name:
        return exc.name
    match = _MODULE_IN_MESSAGE.search(str(exc))
    if match:
        return next(g for g in match.groups() if g)
    obj = getattr(exc, "obj", None)  # AttributeError on Python 3.10+
    return getattr(obj, "__name__", None) if obj is not None else None


def _modules_raising(exc: BaseException) -> set[str]:
    """Top-level modules the error came from: the module it names, and the packages whose files raised it."""
    found = set()
    module = _failing_module(exc)
    if module:
        found.add(module.split(".")[0])
    tb = exc.__traceback__
    while tb is not None:
        path = tb.tb_frame.f_code.co_filename
        for marker in (os.sep + "site-packages" + os.sep, os.sep + "dist-packages" + os.sep):
            if marker in path:
                found.add(path.split(marker, 1)[1].split(os.sep, 1)[0].removesuffix(".py"))
        tb = tb.tb_next
    return found


def _suggested_date() -> str:
    """A resolve-as-of date this Python has wheels for (a few months after its release)."""
    released = _PYTHON_RELEASED.get(sys.version_info[:2])
    if released is None:
        return "2021-06-01"
    year, month = int(released[:4]), int(released[5:7]) + 3
    return f"{year + (month - 1) // 12}-{(month - 1) % 12 + 1:02d}-01"


def unpinned_hint(exc: BaseException) -> str | None:
    """The hint for an ImportError/AttributeError raised in (or about) a package the plugin did not pin to a
    version, in a process whose pip packages were installed for it; else None."""
    if not isinstance(exc, (ImportError, AttributeError)):
        return None
    pinned = os.environ.get(VARIABLE)
    if pinned is None:
        return None
    modules = _modules_raising(exc)
    if not modules:
        return None
    from importlib import metadata

    by_module = metadata.packages_distributions() if sys.version_info >= (3, 10) else {}
    names = {_normal(d) for m in modules for d in by_module.get(m, [m])}
    hits = sorted(names - {n for n in pinned.split(",") if n})
    versions = []
    for name in hits:
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        if os.path.realpath(str(dist.locate_file(""))).startswith(os.path.realpath(sys.prefix) + os.sep):
            versions.append(f"{name} {dist.version}")  # installed for the plugin, not the runtime's own
    if not versions:
        return None
    python = ".".join(map(str, sys.version_info[:2]))
    return (f"hint: {', '.join(versions)} {'is' if len(versions) == 1 else 'are'} the newest release (the plugin "
            "pins no version of it); the plugin may predate that release's API. Resolve its packages as of an "
            f"earlier date: `resolve-as-of: {_suggested_date()}` in the plugin's hpc section or in the load "
            f"options (an earlier date than Python {python}'s first months means building packages from "
            "source), or pin the version in its requirements.")


def resolution_date(value: object) -> str:
    """A `resolve-as-of` value checked: a date (YYYY-MM-DD) or an RFC 3339 time, as uv's exclude-newer takes it."""
    import datetime

    text = str(value).strip() if isinstance(value, (str, datetime.date)) else ""
    try:
        if len(text) == 10:
            datetime.date.fromisoformat(text)
        else:
            datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"resolve-as-of must be a date like 2021-06-01, got {value!r}") from None
    return text
