"""`imjoy-hpc tunnel [user@]host`: a local port forward over SSH, like `ssh -N -L L:127.0.0.1:R host`."""

from __future__ import annotations

import argparse
import sys

HELP = "forward a local port to a port on (or reachable from) a remote host over SSH, like `ssh -N -L`"
PROG = "imjoy-hpc tunnel"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `imjoy-hpc tunnel`."""
    from imjoy_hpc.ssh.options import add_ssh_arguments

    add_ssh_arguments(parser)
    parser.add_argument("--remote-port", type=int, required=True, metavar="R", help="port to reach on the remote side")
    parser.add_argument("--remote-host", default="127.0.0.1", metavar="HOST",
                        help="host to reach, as seen from the SSH server (default: 127.0.0.1, the server itself)")
    parser.add_argument("--local-port", type=int, metavar="L",
                        help="local port on 127.0.0.1 (default: the remote port; 0 picks a free one)")


def _port(value: int | None, what: str, allow_zero: bool = False) -> int | None:
    if value is None or (allow_zero and value == 0) or 0 < value < 65536:
        return value
    raise ValueError(f"{what} {value} is out of range: use 1-65535")


def run(args: argparse.Namespace) -> int:
    """Set up the forward and serve it until interrupted."""
    from imjoy_hpc.ssh.errors import SSHError
    from imjoy_hpc.ssh.forward import LocalForwarder, bind_local, serve_until_interrupted
    from imjoy_hpc.ssh.options import connector_from_args, stderr_notice
    from imjoy_hpc.ssh.session import Session

    notify = stderr_notice(PROG)
    try:
        remote_port = _port(args.remote_port, "--remote-port")
        local_port = _port(args.local_port, "--local-port", allow_zero=True)
    except ValueError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    local_port = remote_port if local_port is None else local_port
    listener = None
    try:
        listener = bind_local(local_port)  # before logging in: a busy port fails before any prompt
        connector = connector_from_args(args)
        session = Session(connector, notify=notify)
        session.start()
    except SSHError as exc:
        if listener is not None:
            listener.close()
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    forwarder = LocalForwarder(listener, session, args.remote_host, remote_port, notify=notify)
    print(f"Forwarding 127.0.0.1:{forwarder.local_port} -> {args.remote_host}:{remote_port} on "
          f"{connector.describe()} (Ctrl-C to stop)", flush=True)
    serve_until_interrupted(forwarder)
    if session.failure is not None:
        print(f"{PROG}: error: {session.failure}", file=sys.stderr)
        return 1
    return 0
