"""Shared test helpers: real components are required under CI and skipped (with a how-to) locally."""

from __future__ import annotations

import os
import shutil
import socket

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"


def require(ok: bool, what: str, how: str) -> None:
    """Fail under CI, skip locally, when a real component is missing."""
    if ok:
        return
    message = f"{what} is not available; {how}"
    if IN_CI:
        pytest.fail(f"CI=true and {message}")
    pytest.skip(message)


def require_command(command: str, how: str) -> str:
    """Path of `command`, or fail/skip with `how` to get it."""
    path = shutil.which(command)
    require(path is not None, f"command {command!r}", how)
    return path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
