"""Plugins that predate today's packages: requirements without a version pin resolve to the newest release, whose
API the plugin may not know (`from skimage.morphology import watershed`). When an ImportError or AttributeError
comes from such a package, the plugin's error ends with a hint to resolve as of an earlier date."""

from __future__ import annotations

import os
import re
import sys
from typing import Iterable

VARIABLE = "IMJOY_HPC_UNPINNED"  # the distributions installed without a pin, comma-separated (plugin process)
_BARE = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*$")
_MODULE_IN_MESSAGE = re.compile(r"module '([\w.]+)' has no attribute|from '([\w.]+)'|No module named '([\w.]+)'")


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def unpinned_names(specs: Iterable[str]) -> list[str]:
    """The distribution names of pip specs that name no version (`scikit-image`, not `scikit-image==0.18`)."""
    return [_normal(m.group(1)) for m in map(_BARE.match, specs) if m]


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


def unpinned_hint(exc: BaseException) -> str | None:
    """The hint for an ImportError/AttributeError raised in a package installed without a pin, else None."""
    if not isinstance(exc, (ImportError, AttributeError)):
        return None
    unpinned = {n for n in os.environ.get(VARIABLE, "").split(",") if n}
    if not unpinned:
        return None
    modules = _modules_raising(exc)
    if not modules:
        return None
    from importlib import metadata

    by_module = metadata.packages_distributions() if sys.version_info >= (3, 10) else {}
    hits = sorted({_normal(d) for m in modules for d in by_module.get(m, [m])} & unpinned)
    if not hits:
        return None
    versions = []
    for name in hits:
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(name)
    return (f"hint: {', '.join(versions)} was installed without a version pin (its newest release); the plugin may "
            "predate that release's API. Resolve its packages as of an earlier date: `resolve-as-of: 2021-06-01` "
            "in the plugin's hpc section or in the load options, or pin the version in its requirements.")


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
