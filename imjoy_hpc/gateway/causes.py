"""Errors caused by clients, logged once per cause with a counter: a hostile or broken client cannot flood the
gateway's log (no tracebacks, no line per message)."""

from __future__ import annotations

import logging
import time

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
