"""Tokens and one-time secrets."""

from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path

TOKEN_FILE = "token"


def new_token() -> str:
    """A random token of 256 bits."""
    return secrets.token_urlsafe(32)


def tokens_match(given: object, expected: str) -> bool:
    """Constant-time comparison; anything but a string never matches."""
    return isinstance(given, str) and hmac.compare_digest(given.encode(), expected.encode())


def write_private(path: Path, text: str) -> None:
    """Write a file readable by its owner only (0600 from the start, never world-readable in between)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def load_or_create_token(state_dir: Path, explicit: str | None = None) -> str:
    """The gateway token: `explicit` when given, else the one kept in <state_dir>/token (created 0600)."""
    if explicit:
        if len(explicit) < 16:
            raise ValueError("the token must be at least 16 characters long")
        return explicit
    path = state_dir / TOKEN_FILE
    if path.exists():
        token = path.read_text().strip()
        if len(token) >= 16 and (path.stat().st_mode & 0o077) == 0:
            return token
    token = new_token()
    write_private(path, token)
    return token
