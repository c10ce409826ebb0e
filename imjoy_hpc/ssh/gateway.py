"""Find or start the user's gateway on the login node over an SSH connection.

The remote command (`imjoy-hpc serve --detach` in a login shell by default) prints one JSON line:
{"pid", "host", "port", "socket", "url", "token", "reused"}. "socket" is the absolute path of the gateway's Unix
socket (or null) and is preferred; "port" may be null when the TCP door is off. The token travels only over the
channel's stdout: it is never put in a remote command line, and never shown in an error message.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Callable

import paramiko

from imjoy_hpc.ssh.client import Connection, login_shell_command
from imjoy_hpc.ssh.errors import (
    GatewayStartFailed,
    GatewayUnreachable,
    HostUnreachable,
    RemoteCommandNotFound,
    SSHError,
)
from imjoy_hpc.ssh.target import SocketTarget, Target, TcpTarget

MODULE_LOAD = 'if command -v module >/dev/null 2>&1 || [ -n "$LMOD_CMD" ]; then module load imjoy; fi; '
DEFAULT_START_COMMAND = MODULE_LOAD + "imjoy-hpc serve --detach"
DEFAULT_STOP_COMMAND = MODULE_LOAD + "imjoy-hpc serve --stop"
START_TIMEOUT = 180.0
PROBE_TIMEOUT = 15.0
TAIL_LINES = 25
_NOT_FOUND = re.compile(r"(?:^|[\s:])([\w./-]+): (?:command )?not found", re.MULTILINE)


@dataclass(frozen=True)
class GatewayInfo:
    """The gateway's doors on the login node (TCP host:port and/or Unix socket) and its token (kept out of repr)."""

    host: str
    port: int | None
    token: str = field(repr=False)
    pid: int | None = None
    url: str = ""
    reused: bool = False
    socket: str | None = None

    @property
    def targets(self) -> list[Target]:
        """Where a forward can go, best first: the Unix socket, then host:port."""
        found: list[Target] = [SocketTarget(self.socket)] if self.socket else []
        if self.port is not None:
            found.append(TcpTarget(self.host, self.port))
        return found


def _tail(data: bytes, lines: int = TAIL_LINES) -> str:
    text = data.decode(errors="replace").rstrip()
    return "\n".join(text.splitlines()[-lines:])


def parse_gateway_line(stdout: bytes) -> GatewayInfo | None:
    """The last JSON object line of `stdout` that describes a gateway (login shells may print other lines)."""
    for line in reversed(stdout.decode(errors="replace").splitlines()):
        line = line.strip()
        if not (line.startswith("{") and line.endswith("}")):
            continue
        try:
            data = json.loads(line)
        except ValueError:
            continue
        if not isinstance(data, dict):
            continue
        port, sock, token = data.get("port"), data.get("socket"), data.get("token")
        if not (isinstance(port, int) and not isinstance(port, bool) and 0 < port < 65536):
            port = None
        if not (isinstance(sock, str) and sock.startswith("/")):
            sock = None
        if (port is None and sock is None) or not isinstance(token, str) or not token:
            continue
        pid = data.get("pid")
        return GatewayInfo(host=str(data.get("host") or "127.0.0.1"), port=port, token=token,
                           pid=pid if isinstance(pid, int) else None, url=str(data.get("url") or ""),
                           reused=bool(data.get("reused", False)), socket=sock)
    return None


def _check_not_found(status: int, stderr: bytes, host: str, command: str) -> None:
    missing = _NOT_FOUND.findall(stderr.decode(errors="replace"))
    if status != 127 and not any(m.endswith("imjoy-hpc") for m in missing):
        return
    what = missing[-1] if missing else "a command"
    if what.endswith("bash"):
        hint = "bash is needed on the login node to run the remote command in a login shell."
    else:
        hint = ("Load the site's module (`module load imjoy`; ask your admins if there is none), or install it "
                "for yourself on the login node with `pip install --user imjoy-hpc` and make sure ~/.local/bin is on "
                "your PATH in a login shell; or pass the full command with --remote-command.")
    raise RemoteCommandNotFound(f"{what} was not found on {host} (remote command: {command}). {hint}\n"
                                f"Remote stderr:\n{_tail(stderr)}")


def find_or_start(conn: Connection, command: str = DEFAULT_START_COMMAND, host: str = "the login node",
                  timeout: float = START_TIMEOUT) -> GatewayInfo:
    """Run the start command in a login shell on the target host and return the gateway it reports."""
    result = conn.run(login_shell_command(command), timeout=timeout)
    _check_not_found(result.exit_status, result.stderr, host, command)
    if result.exit_status != 0:
        raise GatewayStartFailed(f"the gateway on {host} failed to start (remote command: {command}; exit status "
                                 f"{result.exit_status}). Its output:\n{_tail(result.stderr) or '(nothing on stderr)'}")
    info = parse_gateway_line(result.stdout)
    if info is None:
        raise GatewayStartFailed(f"the remote command on {host} ({command}) exited 0 but printed no gateway JSON line "
                                 f"with a port or socket and a token; is the remote imjoy-hpc too old? stderr:\n"
                                 f"{_tail(result.stderr) or '(empty)'}")
    return info


def reachable_target(conn: Connection, info: GatewayInfo, host: str = "the login node",
                     notify: Callable[[str], None] = lambda message: None,
                     timeout: float = PROBE_TIMEOUT) -> Target:
    """The first of the gateway's doors (Unix socket first) the SSH server opens a channel to; say if one failed."""
    refusals = []
    for target in info.targets:
        try:
            target.open(conn, ("127.0.0.1", 0), timeout=timeout).close()
        except paramiko.ChannelException as exc:
            refusals.append(target.refused(host, exc))
            continue
        except (paramiko.SSHException, EOFError, OSError) as exc:
            raise HostUnreachable(f"the SSH connection to {host} failed while checking the gateway's door: "
                                  f"{exc}") from None
        if refusals:
            notify(f"{'; '.join(refusals)}; forwarding to {target} instead")
        return target
    pid = f" (pid {info.pid})" if info.pid else ""
    raise GatewayUnreachable(f"the gateway on {host}{pid} is out of reach: "
                             + ("; ".join(refusals) or "it reported neither a port nor a socket"))


def stop(conn: Connection, command: str = DEFAULT_STOP_COMMAND, host: str = "the login node",
         timeout: float = 60.0) -> str:
    """Run the stop command in a login shell on the target host; return what it printed."""
    result = conn.run(login_shell_command(command), timeout=timeout)
    _check_not_found(result.exit_status, result.stderr, host, command)
    if result.exit_status != 0:
        raise SSHError(f"stopping the gateway on {host} failed (remote command: {command}; exit status "
                       f"{result.exit_status}):\n{_tail(result.stderr) or '(nothing on stderr)'}")
    return _tail(result.stdout) or "gateway stopped"
