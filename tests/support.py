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


def expected_render(width: int, height: int):
    """The image examples/image.imjoy.html's render() makes, computed pixel by pixel from its documented formula."""
    import numpy as np

    img = np.zeros((height, width, 3), np.uint8)
    for y in range(height):
        for x in range(width):
            img[y, x] = (x * 255 // (width - 1), y * 255 // (height - 1), ((x // 8 + y // 8) % 2) * 255)
    return img


def stop_process(proc, timeout: float = 10) -> int:
    """SIGTERM a process we started, SIGKILL it if it is still there after `timeout` seconds; its exit status."""
    import subprocess

    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=timeout)
    return proc.returncode
