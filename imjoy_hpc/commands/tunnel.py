"""`imjoy-hpc tunnel [user@]host`: a local port forward over SSH, like `ssh -N -L L:127.0.0.1:R host`.

`--remote-socket PATH` forwards to a Unix socket on the SSH server instead, like `ssh -N -L L:PATH host`.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from imjoy_hpc.ssh.target import Target

HELP = ("forward a local port to a port on (or reachable from) a remote host, or to a Unix socket there, over SSH, "
        "like `ssh -N -L`")
PROG = "imjoy-hpc tunnel"
DEFAULT_REMOTE_HOST = "127.0.0.1"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `imjoy-hpc tunnel`."""
    from imjoy_hpc.ssh.options import add_ssh_arguments

    add_ssh_arguments(parser)
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--remote-port", type=int, metavar="R", help="port to reach on the remote side")
    where.add_argument("--remote-socket", metavar="PATH",
                       help="absolute path of a Unix socket on the SSH server to reach instead of a port "
                            "(e.g. your gateway's ~/.imjoy-hpc/gateway.sock there); needs --local-port")
    parser.add_argument("--remote-host", metavar="HOST",
                        help=f"host to reach with --remote-port, as seen from the SSH server (default: "
                             f"{DEFAULT_REMOTE_HOST}, the server itself)")
    parser.add_argument("--local-port", type=int, metavar="L",
                        help="local port on 127.0.0.1 (default: the remote port; 0 picks a free one)")


def _port(value: int | None, what: str, allow_zero: bool = False) -> int | None:
    if value is None or (allow_zero and value == 0) or 0 < value < 65536:
        return value
    raise ValueError(f"{what} {value} is out of range: use 1-65535")


def _target(args: argparse.Namespace) -> Target:
    """The TcpTarget or SocketTarget the options name (ValueError for a bad combination)."""
    from imjoy_hpc.ssh.target import SocketTarget, TcpTarget

    if args.remote_socket is None:
        return TcpTarget(args.remote_host or DEFAULT_REMOTE_HOST, _port(args.remote_port, "--remote-port"))
    if args.remote_host is not None:
        raise ValueError("--remote-host goes with --remote-port, not with --remote-socket")
    if not args.remote_socket.startswith("/"):
        raise ValueError(f"--remote-socket {args.remote_socket} is not an absolute path: give the full path on the "
                         f"remote host (e.g. /home/alice/.imjoy-hpc/gateway.sock; a ~ would be expanded here, "
                         f"not there)")
    if args.local_port is None:
        raise ValueError("--remote-socket needs --local-port L (0 picks a free one)")
    return SocketTarget(args.remote_socket)


def run(args: argparse.Namespace) -> int:
    """Set up the forward and serve it until interrupted."""
    from imjoy_hpc.ssh.errors import SSHError
    from imjoy_hpc.ssh.forward import LocalForwarder, bind_local, serve_until_interrupted
    from imjoy_hpc.ssh.options import connector_from_args, stderr_notice
    from imjoy_hpc.ssh.keepalive import KeptConnection

    notify = stderr_notice(PROG)
    try:
        target = _target(args)
        local_port = _port(args.local_port, "--local-port", allow_zero=True)
    except ValueError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    local_port = target.port if local_port is None else local_port
    listener = None
    try:
        listener = bind_local(local_port)  # before logging in: a busy port fails before any prompt
        connector = connector_from_args(args)
        session = KeptConnection(connector, notify=notify)
        session.start()
    except SSHError as exc:
        if listener is not None:
            listener.close()
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    forwarder = LocalForwarder(listener, session, target, notify=notify)
    print(f"Forwarding 127.0.0.1:{forwarder.local_port} -> {target} on {connector.describe()} (Ctrl-C to stop)",
          flush=True)
    serve_until_interrupted(forwarder)
    if session.failure is not None:
        print(f"{PROG}: error: {session.failure}", file=sys.stderr)
        return 1
    return 0
