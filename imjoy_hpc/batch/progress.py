"""What a headless plugin shows: a progress bar on a terminal (rich), plain lines otherwise (job logs).

Plain lines on stderr, one per event:
    imjoy-hpc: plugin <name>: <state> [(<detail>)]
    progress: <n>%
    status: <text>
    log: <text>        error: <text>        message: <text>        alert: <text>
"""

from __future__ import annotations

import sys
import time
from typing import Any, Awaitable, Callable, TextIO


def _text(args: tuple) -> str:
    return " ".join(str(a) for a in args)


class Reporter:
    """Receives a plugin's UI calls (as a HeadlessClient's handlers) and shows them; keeps a log of them."""

    def __init__(self, plugin_name: str, *, stream: TextIO | None = None, fancy: bool | None = None) -> None:
        self.plugin_name = plugin_name
        self.stream = stream if stream is not None else sys.stderr
        self.fancy = self.stream.isatty() if fancy is None else fancy
        self.lines: list[str] = []  # "HH:MM:SS kind: text" of every log/status/message call, for plugin.log
        self.last_progress: float | None = None
        self.last_state: str | None = None
        self._bar: Any = None
        self._task: Any = None

    # ------------------------------------------------------------------ display
    def start(self) -> None:
        if not self.fancy:
            return
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

        console = Console(file=self.stream, highlight=False)
        self._bar = Progress(TextColumn("{task.description}", markup=False), BarColumn(), TaskProgressColumn(),
                             TimeElapsedColumn(), console=console, transient=False, refresh_per_second=8)
        self._bar.start()
        self._task = self._bar.add_task(f"{self.plugin_name}: starting", total=None)

    def stop(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def _print(self, line: str) -> None:
        if self._bar is not None:
            self._bar.console.print(line, markup=False, highlight=False)
        else:
            print(line, file=self.stream, flush=True)

    def _remember(self, kind: str, text: str) -> None:
        self.lines.append(f"{time.strftime('%H:%M:%S')} {kind}: {text}")

    # ------------------------------------------------------------------ events
    def progress(self, value: Any) -> None:
        try:
            pct = min(100.0, max(0.0, float(value)))
        except (TypeError, ValueError):
            return
        if pct == self.last_progress:
            return
        self.last_progress = pct
        if self._bar is not None:
            self._bar.update(self._task, total=100, completed=pct)
        else:
            self._print(f"progress: {pct:g}%")

    def status(self, text: Any) -> None:
        text = str(text)
        self._remember("status", text)
        if self._bar is not None:
            self._bar.update(self._task, description=f"{self.plugin_name}: {text}")
        else:
            self._print(f"status: {text}")

    def message(self, kind: str, text: str) -> None:
        self._remember(kind, text)
        self._print(f"{kind}: {text}")

    def plugin_state(self, info: Any) -> None:
        info = dict(info or {})
        state = str(info.get("state") or "")
        if not state or state == self.last_state:
            return
        self.last_state = state
        detail = []
        if info.get("job_id"):
            detail.append(f"job {info['job_id']}")
        if info.get("node") and state != "queued":
            detail.append(f"on {info['node']}")
        if info.get("reason") and state == "queued":
            detail.append(str(info["reason"]))
        if info.get("error"):
            detail.append(str(info["error"]).splitlines()[0])
        text = state + (f" ({', '.join(detail)})" if detail else "")
        self._remember("state", text)
        line = f"imjoy-hpc: plugin {self.plugin_name}: {text}"
        if self._bar is not None:
            self._bar.update(self._task, description=f"{self.plugin_name}: {state}")
        else:
            self._print(line)

    def note(self, text: str) -> None:
        """A line of our own (not from the plugin)."""
        self._print(f"imjoy-hpc: {text}")

    # ------------------------------------------------------------------ HeadlessClient handlers
    def handlers(self) -> dict[str, Callable[..., Awaitable[Any]]]:
        """Async functions for the plugin UI calls (showProgress, showStatus, log, ...)."""

        async def show_progress(value: Any = None, *_: Any) -> None:
            self.progress(value)

        async def show_status(*args: Any) -> None:
            self.status(_text(args))

        def kind(name: str) -> Callable[..., Awaitable[None]]:
            async def show(*args: Any) -> None:
                self.message(name, _text(args))

            return show

        async def on_status(info: Any = None, *_: Any) -> None:
            self.plugin_state(info)

        async def confirm(*args: Any) -> bool:
            self.message("confirm", f"{_text(args)} (headless run: answered no)")
            return False

        async def prompt(*args: Any) -> None:
            self.message("prompt", f"{_text(args)} (headless run: no answer)")
            return None

        return {
            "showProgress": show_progress, "showStatus": show_status,
            "showMessage": kind("message"), "showSnackbar": kind("message"), "alert": kind("alert"),
            "log": kind("log"), "info": kind("log"), "error": kind("error"),
            "onPluginStatus": on_status, "confirm": confirm, "prompt": prompt,
        }
