"""Errors of the SSH layer. Every message says what failed and what the user can do; none holds a secret."""

from __future__ import annotations


class SSHError(Exception):
    """Base class: a failure the command reports as one clear message (no traceback)."""

    fatal = True  # False: worth retrying after a dropped connection (network trouble)


class ConfigError(SSHError):
    """An unreadable or invalid ssh config, or a bad host/jump specification."""


class HostUnreachable(SSHError):
    """The host name does not resolve, or nothing answers on its SSH port, or a jump host cannot reach it."""

    fatal = False


class AuthenticationFailed(SSHError):
    """No offered method was accepted; the message lists what was tried and what the server allows."""

    def __init__(self, target: str, tried: list[str], allowed: list[str], detail: str = "") -> None:
        self.target, self.tried, self.allowed = target, list(tried), list(allowed)
        tried_text = "; ".join(tried) if tried else "nothing (no usable key, agent or prompt)"
        allowed_text = ", ".join(allowed) if allowed else "unknown"
        message = f"authentication to {target} failed. Tried: {tried_text}. The server accepts: {allowed_text}."
        if detail:
            message += f" {detail}"
        super().__init__(message)


class HostKeyError(SSHError):
    """The server's host key is not known or does not match known_hosts."""


class HostKeyUnknown(HostKeyError):
    """The host is not in known_hosts and the user did not accept its key."""


class HostKeyChanged(HostKeyError):
    """known_hosts holds a different key of the same type for this host: possibly an attack."""


class LocalPortBusy(SSHError):
    """The local port for the forward is already taken."""


class RemoteCommandNotFound(SSHError):
    """The remote login shell has no `imjoy-hpc` (module not loaded, package not installed)."""


class GatewayStartFailed(SSHError):
    """The remote gateway command failed or printed no usable JSON line."""


class GatewayUnreachable(SSHError):
    """The gateway reported its doors, but the SSH server cannot open a channel to any of them."""

    fatal = False  # after a reconnect, the next attempt runs the start command again (which restarts it)
