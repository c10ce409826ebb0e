"""Errors caused by clients, logged once per cause with a counter: a hostile or broken client cannot flood the
gateway's log (no tracebacks, no line per message)."""

from __future__ import annotations

import logging
import re
import time
import typing

SUMMARY_EVERY = 60.0  # seconds between "N more" lines of one cause


class CauseLog:
    """Logs the first occurrence of each cause, then how many more there were, at most once a minute."""

    def __init__(self, logger: logging.Logger, every: float = SUMMARY_EVERY, max_causes: int = 256) -> None:
        self.logger, self.every, self.max_causes = logger, every, max_causes
        self._causes: dict[str, list] = {}  # cause -> [count since last line, time of last line]

    def note(self, cause: str, detail: str = "", level: int = logging.WARNING) -> None:
        """One more occurrence of `cause` (a short text without per-client values); `detail` goes with the first."""
        now = time.monotonic()
        entry = self._causes.get(cause)
        if entry is None:
            if len(self._causes) >= self.max_causes:
                self._causes.pop(next(iter(self._causes)))
            self._causes[cause] = [0, now]
            self.logger.log(level, "%s%s (further ones are counted, not logged)", cause, f": {detail}" if detail else "")
            return
        entry[0] += 1
        if now - entry[1] >= self.every:
            self.logger.log(level, "%s: %d more in the last %.0f s", cause, entry[0], now - entry[1])
            entry[0], entry[1] = 0, now


class _Counted(logging.Filter):
    """Turns a library's per-connection log records into one line per cause (the record's message template, which
    holds no per-connection values) with a counter."""

    def __init__(self, causes: CauseLog, source: str, keep: "typing.Callable[[logging.LogRecord], bool]") -> None:
        super().__init__()
        self.causes, self.source, self.keep = causes, source, keep

    def filter(self, record: logging.LogRecord) -> bool:
        if self.keep(record):
            return True
        template = re.sub(r"%[-#0 +]*\d*(?:\.\d+)?[a-zA-Z]", "...", str(record.msg))  # the values left out
        if self.source == "tornado.access":  # "%d %s %.2fms": the status is the cause
            status = record.args[0] if isinstance(record.args, tuple) and record.args else 0
            if isinstance(status, int) and status < 400:
                return False  # a served request is no event
            template = f"HTTP {status} answers"
        self.causes.note(f"{self.source}: {template}", level=min(record.levelno, logging.WARNING))
        return False


_installed: set[str] = set()


def count_library_logs(causes: CauseLog) -> None:
    """Per-connection lines of tornado (requests, malformed or slow bodies) and of Dask's comm listeners (junk
    connections to a TLS port, handshakes cut short) go through `causes`: one line per cause with a counter."""
    rules = {
        "tornado.access": lambda r: r.levelno >= logging.ERROR,
        "tornado.general": lambda r: r.levelno >= logging.ERROR,
        "distributed.comm.tcp": lambda r: "handshake" not in str(r.msg) and "dangling" not in str(r.msg),
    }
    for name, keep in rules.items():
        if name not in _installed:
            _installed.add(name)
            logging.getLogger(name).addFilter(_Counted(causes, name, keep))
