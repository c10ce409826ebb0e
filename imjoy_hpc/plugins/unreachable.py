"""Errors of plugins that download something (data, models) say what they could not reach: Python's own network
errors name no address (`URLError: <urlopen error [Errno -2] Name or service not known>`), so the address is
found in the failing call's frames and added to the error's first line."""

from __future__ import annotations

import re
import socket
from typing import Any

_URL = re.compile(r"^[a-z][a-z0-9+.-]*://\S+$", re.I)
_NETWORK_ERRORS = ("URLError", "ConnectionError", "NewConnectionError", "MaxRetryError", "ClientConnectorError",
                   "ConnectTimeout", "ConnectTimeoutError", "ReadTimeout", "gaierror", "HTTPError")
_URL_NAMES = ("url", "fullurl", "full_url", "uri", "req", "request", "source", "path")


def _is_network_error(exc: BaseException) -> bool:
    return isinstance(exc, (ConnectionError, socket.gaierror, socket.timeout)) or any(
        k.__name__ in _NETWORK_ERRORS for k in type(exc).__mro__)


def _as_url(value: Any) -> str | None:
    for candidate in (value, getattr(value, "full_url", None), getattr(value, "url", None)):
        if isinstance(candidate, str) and _URL.match(candidate):
            return candidate
    return None


def _url_in(exc: BaseException) -> str | None:
    """The address the failing call was about: on the exception (requests, urllib3), else in the innermost frame
    that holds one in a variable such as `url` or `req`."""
    for holder in (getattr(exc, "url", None), getattr(exc, "request", None)):
        found = _as_url(holder)
        if found:
            return found
    frames = []
    tb = exc.__traceback__
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    for frame in reversed(frames):
        for name in _URL_NAMES:
            found = _as_url(frame.f_locals.get(name))
            if found:
                return found
    return None


def unreachable_note(exc: BaseException) -> str | None:
    """`could not reach <address>` for a network error (or one caused by it) whose address can be found."""
    seen = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if _is_network_error(current):
            url = _url_in(current) or (_url_in(exc) if current is not exc else None)
            if url:
                return f"could not reach {url}"
        current = current.__cause__ or current.__context__
    return None
