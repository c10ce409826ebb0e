"""Keep one SSH connection alive: notice a drop, reconnect with exponential backoff, report what happens."""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable

from imjoy_hpc.ssh.client import Connection, Connector
from imjoy_hpc.ssh.errors import SSHError

log = logging.getLogger(__name__)

BACKOFF_FIRST = 0.5
BACKOFF_MAX = 30.0
GIVE_UP_AFTER = 600.0  # seconds of failed reconnects before the kept connection ends


class KeptConnection:
    """A self-healing SSH connection. `current()` hands out a live Connection, waiting while it reconnects."""

    def __init__(
        self,
        connector: Connector,
        notify: Callable[[str], None] = lambda message: None,
        on_reconnect: Callable[[Connection], None] | None = None,
        give_up_after: float = GIVE_UP_AFTER,
    ) -> None:
        self.connector = connector
        self.notify = notify
        self.on_reconnect = on_reconnect
        self.give_up_after = give_up_after
        self.failure: BaseException | None = None  # set when reconnecting was given up
        self._conn: Connection | None = None
        self._cond = threading.Condition()
        self._stopped = threading.Event()
        self._broken = threading.Event()
        self._thread: threading.Thread | None = None
        self.reconnects = 0

    def start(self) -> Connection:
        """Connect once (errors propagate to the caller) and start watching the connection."""
        conn = self.connector.connect()
        with self._cond:
            self._conn = conn
        self._thread = threading.Thread(target=self._watch, name="ssh-keepalive", daemon=True)
        self._thread.start()
        return conn

    @property
    def ended(self) -> bool:
        """True after stop() or after reconnecting was given up."""
        return self._stopped.is_set()

    def current(self, timeout: float) -> Connection | None:
        """A live connection, waiting up to `timeout` s for a reconnect; None if there is none."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not self._stopped.is_set():
                conn = self._conn
                if conn is not None and conn.is_active():
                    return conn
                if conn is not None:
                    self._broken.set()
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(min(left, 0.5))
        return None

    def report_broken(self, conn: Connection) -> None:
        """A user of `conn` saw it fail: reconnect now instead of at the next check."""
        if conn is self._conn:
            self._broken.set()

    def stop(self) -> None:
        """Close the connection and stop reconnecting."""
        self._stopped.set()
        self._broken.set()
        with self._cond:
            conn, self._conn = self._conn, None
            self._cond.notify_all()
        if conn is not None:
            conn.close()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=10)

    def _watch(self) -> None:
        while not self._stopped.is_set():
            conn = self._conn
            self._broken.wait(0.25)
            if self._stopped.is_set():
                return
            if conn is not None and conn.is_active() and not self._broken.is_set():
                continue
            self._broken.clear()
            if conn is not None and conn.is_active():
                continue  # a false alarm: the connection is fine
            if conn is not None:
                conn.close()
            self.notify(f"connection to {self.connector.describe()} lost; reconnecting")
            new = self._reconnect()
            if new is None:
                return
            with self._cond:
                self._conn = new
                self._cond.notify_all()

    def _reconnect(self) -> Connection | None:
        delay, started, attempt = BACKOFF_FIRST, time.monotonic(), 0
        while not self._stopped.is_set():
            attempt += 1
            try:
                conn = self.connector.connect()
                try:
                    if self.on_reconnect is not None:
                        self.on_reconnect(conn)
                except BaseException:
                    conn.close()
                    raise
            except SSHError as exc:
                if exc.fatal:
                    return self._give_up(exc, f"reconnecting failed: {exc}")
                if time.monotonic() - started + delay > self.give_up_after:
                    return self._give_up(exc, f"could not reconnect for {self.give_up_after:.0f} s: {exc}")
                self.notify(f"reconnect attempt {attempt} failed ({exc}); retrying in {delay:.1f} s")
            except Exception as exc:  # paramiko/socket errors not mapped above: retry like network trouble
                if time.monotonic() - started + delay > self.give_up_after:
                    return self._give_up(exc, f"could not reconnect for {self.give_up_after:.0f} s: {exc}")
                self.notify(f"reconnect attempt {attempt} failed ({exc}); retrying in {delay:.1f} s")
            else:
                self.reconnects += 1
                self.notify(f"reconnected to {self.connector.describe()}")
                return conn
            if self._stopped.wait(delay):
                return None
            delay = min(delay * 2, BACKOFF_MAX)
        return None

    def _give_up(self, exc: BaseException, message: str) -> None:
        self.failure = exc
        self.notify(message)
        self._stopped.set()
        with self._cond:
            self._cond.notify_all()
        return None
