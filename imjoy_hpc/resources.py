"""What a plugin may ask of its job, and the one check of each value: the keys of a plugin config's `hpc` field and
of load_plugin's options, cores/gpus counts, memory amounts and walltimes (plugin files, profiles and requests
alike)."""

from __future__ import annotations

import re
from typing import Any

REQUEST_KEYS = ("profile", "cores", "memory", "gpus", "walltime", "queue")


_WALLTIME = re.compile(r"^(?:(?P<d>\d+)-)?(?P<a>\d+)(?::(?P<b>\d+))?(?::(?P<c>\d+))?$")


def parse_walltime(value: Any) -> int:
    """Seconds of a walltime in the schedulers' formats: [D-]HH:MM:SS, [D-]HH:MM, MM:SS, D-HH, or minutes."""
    if isinstance(value, bool):
        raise ValueError(f"walltime {value!r} is not a walltime like 01:30:00")
    if isinstance(value, (int, float)):
        return int(value) * 60
    m = _WALLTIME.match(str(value).strip())
    if not m:
        raise ValueError(f"walltime {value!r} is not a walltime like 01:30:00 or 2-00:00:00")
    days = int(m["d"] or 0)
    a, b, c = m["a"], m["b"], m["c"]
    if m["d"] is not None:  # D-HH[:MM[:SS]]
        secs = int(a) * 3600 + int(b or 0) * 60 + int(c or 0)
    elif c is not None:  # HH:MM:SS
        secs = int(a) * 3600 + int(b) * 60 + int(c)
    elif b is not None:  # MM:SS
        secs = int(a) * 60 + int(b)
    else:  # minutes
        secs = int(a) * 60
    return days * 86400 + secs


def format_walltime(seconds: int) -> str:
    """HH:MM:SS (hours may exceed 24), understood by SLURM and PBS."""
    seconds = int(seconds)
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def whole_number(value: Any, what: str, *, zero: bool = False) -> int:
    """A count >= 1 (>= 0 with `zero`), given as a number or its digits; ValueError naming `what` otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError(f"{what} must be an integer, got {value!r}")
    try:
        n = int(value)
    except ValueError:
        raise ValueError(f"{what} must be an integer, got {value!r}") from None
    if n < (0 if zero else 1):
        raise ValueError(f"{what} must be {'>= 0' if zero else '>= 1'}, got {value!r}")
    return n


def memory_amount(value: Any, what: str) -> str:
    """An amount of memory > 0 as dask-jobqueue takes it ("4GB"; a number is bytes); ValueError naming `what`."""
    from dask.utils import format_bytes, parse_bytes  # here: plugin processes import this module without dask

    if isinstance(value, bool):
        raise ValueError(f"{what} must be an amount like '4GB', got {value!r}")
    if isinstance(value, (int, float)):
        if value <= 0:
            raise ValueError(f"{what} must be positive, got {value!r}")
        return format_bytes(int(value)).replace(" ", "")
    try:
        n = parse_bytes(str(value))
    except (ValueError, TypeError):
        raise ValueError(f"{what} must be an amount like '4GB', got {value!r}") from None
    if n <= 0:
        raise ValueError(f"{what} must be positive, got {value!r}")
    return str(value).replace(" ", "")
