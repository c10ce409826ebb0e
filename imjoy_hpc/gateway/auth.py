"""Tokens and one-time secrets."""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path
from typing import Any

from imjoy_hpc.files import write_atomic
from imjoy_hpc.rpc.proof import tab_key

TOKEN_FILE = "token"


def new_token() -> str:
    """A random token of 256 bits."""
    return secrets.token_urlsafe(32)


def tokens_match(given: object, expected: str) -> bool:
    """Constant-time comparison; anything but a string (or a string that is not valid text) never matches."""
    if not isinstance(given, str):
        return False
    try:
        return hmac.compare_digest(given.encode(), expected.encode())
    except UnicodeEncodeError:  # e.g. a lone surrogate
        return False


def bearer(headers: Any) -> str | None:
    """The credential of an `Authorization: Bearer <credential>` header, or None."""
    header = headers.get("Authorization", "")
    return header[len("Bearer "):] if header.startswith("Bearer ") else None


class GatewayToken:
    """What this gateway process accepts as the token: the token itself, or the tab key derived from it for this
    process (rpc/proof.py `tab_key`), which pages keep in their storage instead of the token."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.process = secrets.token_urlsafe(12)
        self.tab_key = tab_key(token, self.process)

    @property
    def accepted(self) -> tuple[str, str]:
        return self.token, self.tab_key

    def accepts(self, given: object) -> bool:
        """Whether `given` is the token or this process's tab key (both compared, in constant time)."""
        results = [tokens_match(given, secret) for secret in self.accepted]
        return any(results)


class TokenError(ValueError):
    """A token given in a way imjoy-hpc refuses (too short, in a file others can read)."""


def check_token(token: str, where: str) -> str:
    token = token.strip()
    if len(token) < 16:
        raise TokenError(f"the token from {where} must be at least 16 characters long")
    return token


def read_token_file(path: Path) -> str:
    """A token the user pins in a file of their own, readable by them only (0600)."""
    try:
        mode = path.stat().st_mode
        text = path.read_text()
    except OSError as exc:
        raise TokenError(f"cannot read the token file {path}: {exc.strerror}") from None
    if mode & 0o077:
        raise TokenError(f"the token file {path} can be read by other users (mode {mode & 0o777:o}); "
                         f"make it private: chmod 600 {path}")
    return check_token(text, str(path))


def keep_token(state_dir: Path, token: str | None = None) -> str:
    """This start's token (the pinned one, else a new random one), kept in <state_dir>/token (0600) for `--info`
    and `connect`."""
    token = token or new_token()
    write_atomic(state_dir / TOKEN_FILE, token)
    return token
