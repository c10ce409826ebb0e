"""Headless Chromium for the web-page tests, driven by Playwright.

Debian's Chromium is used (`/usr/bin/chromium`, or `chromium-headless-shell`); Playwright never downloads a
browser here. Under CI=true a missing browser or Playwright fails the test (tests/support.require).
"""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from support import require, require_command

if TYPE_CHECKING:
    from playwright.sync_api import Page

# Flags for a root user on a machine with no GPU, a small /dev/shm and no internet.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]
LAUNCH_TIMEOUT_MS = 60_000
ACTION_TIMEOUT_MS = 15_000
NAVIGATION_TIMEOUT_MS = 30_000


def chromium_executable() -> str:
    """Path of Debian's Chromium (or its headless shell); fails under CI / skips locally if absent."""
    for command in ("chromium", "chromium-headless-shell"):
        path = shutil.which(command)
        if path:
            return path
    return require_command("chromium", "apt-get install chromium")


def require_playwright() -> None:
    """Playwright for Python must be importable (its browsers are not needed)."""
    require(
        importlib.util.find_spec("playwright") is not None,
        "the Python package playwright",
        "pip install playwright (or pip install -e '.[test]')",
    )


def forget_workspaces(request: pytest.FixtureRequest) -> None:
    """The workspace page loads the plugins its gateway remembers (workspaces in the state directory): a test's page
    starts as a new user's, without the workspaces earlier tests on a shared (module-scoped) gateway left."""
    for value in list(request.node.funcargs.values()):
        state_dir = getattr(value, "state_dir", None)
        if isinstance(state_dir, Path) and hasattr(value, "token"):
            shutil.rmtree(state_dir / "workspaces", ignore_errors=True)


@pytest.fixture
def browser_page(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A page in a fresh headless Chromium (own user-data-dir), on gateways with no remembered workspaces; console
    output is printed for failures."""
    forget_workspaces(request)
    executable = chromium_executable()
    require_playwright()
    from playwright.sync_api import sync_playwright

    console: list[str] = []
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=executable,
            headless=True,
            args=CHROMIUM_ARGS,
            timeout=LAUNCH_TIMEOUT_MS,
            viewport={"width": 1200, "height": 900},
        )
        try:
            context.set_default_timeout(ACTION_TIMEOUT_MS)
            context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
            page = context.pages[0] if context.pages else context.new_page()
            page.on("console", lambda message: console.append(f"console.{message.type}: {message.text}"))
            page.on("pageerror", lambda error: console.append(f"page error: {error}"))
            yield page
        finally:
            context.close()
            if console:
                print("\n".join(["browser console:"] + console[-200:]))
