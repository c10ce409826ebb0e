"""`imjoy-hpc connect [user@]host`: find or start your gateway on the login node and forward a local port to it.

The forward goes to the gateway's Unix socket when it reports one (only you can open it; the TCP door may be off
on login nodes), else to its host:port.
"""

from __future__ import annotations

import argparse
import sys

HELP = "from your laptop: start or find your gateway on a login node over SSH, forward a port, print its URL"
PROG = "imjoy-hpc connect"
PREFERRED_LOCAL_PORT = 9527


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `imjoy-hpc connect`."""
    from imjoy_hpc.ssh.gateway import DEFAULT_START_COMMAND, DEFAULT_STOP_COMMAND, START_TIMEOUT
    from imjoy_hpc.ssh.options import add_ssh_arguments

    add_ssh_arguments(parser)
    parser.add_argument("--local-port", type=int, metavar="L",
                        help=f"local port on 127.0.0.1 (default: {PREFERRED_LOCAL_PORT} or the gateway's TCP port "
                             f"when free, else any free port)")
    parser.add_argument("--open", action="store_true", help="open the URL in your web browser")
    parser.add_argument("--stop", action="store_true", help="stop your gateway on that host and exit")
    parser.add_argument("--remote-command", default=DEFAULT_START_COMMAND, metavar="CMD",
                        help="command run in a login shell (bash -lc) that starts or finds the gateway and prints "
                             "its JSON line (default: %(default)s)")
    parser.add_argument("--remote-stop-command", default=DEFAULT_STOP_COMMAND, metavar="CMD",
                        help="command run in a login shell for --stop (default: %(default)s)")
    parser.add_argument("--start-timeout", type=float, default=START_TIMEOUT, metavar="SECONDS",
                        help="how long the remote command may take (default: %(default)s)")


def _listen(preferred: list[int]):
    """Listen on the first free port among `preferred`, else on any free port."""
    from imjoy_hpc.ssh.errors import LocalPortBusy
    from imjoy_hpc.ssh.forward import bind_local

    for port in preferred:
        try:
            return bind_local(port)
        except LocalPortBusy:
            continue
    return bind_local(0)


def run(args: argparse.Namespace) -> int:
    """Connect, find or start the gateway, forward, print the URL; serve until interrupted."""
    from imjoy_hpc.ssh import gateway
    from imjoy_hpc.ssh.errors import SSHError
    from imjoy_hpc.ssh.forward import LocalForwarder, bind_local, serve_until_interrupted
    from imjoy_hpc.ssh.options import connector_from_args, stderr_notice
    from imjoy_hpc.ssh.keepalive import KeptConnection

    notify = stderr_notice(PROG)
    if args.local_port is not None and not 0 <= args.local_port < 65536:
        print(f"{PROG}: error: --local-port {args.local_port} is out of range: use 1-65535", file=sys.stderr)
        return 2
    listener = None
    session = None
    try:
        if args.local_port is not None and not args.stop:
            listener = bind_local(args.local_port)  # fail on a busy port before any login prompt
        connector = connector_from_args(args)
        host = connector.target.hostname
        if args.stop:
            conn = connector.connect()
            try:
                print(gateway.stop(conn, args.remote_stop_command, host=host), flush=True)
            finally:
                conn.close()
            return 0

        state: dict = {}

        def find(conn):
            """Find or start the gateway; pick the door to forward to (its Unix socket if reachable)."""
            info = gateway.find_or_start(conn, args.remote_command, host=host, timeout=args.start_timeout)
            return info, gateway.reachable_target(conn, info, host=host, notify=notify)

        def refresh(conn) -> None:
            """After a reconnect: find (or restart) the gateway again; follow it if it moved."""
            info, target = find(conn)
            forwarder = state.get("forwarder")
            if forwarder is not None:
                forwarder.set_target(target)
                if info.token != state["info"].token:
                    notify(f"the gateway was restarted; forwarding to {target} now; new URL below")
                    print(_url(forwarder.local_port, info.token), flush=True)
                elif target != state["target"]:
                    notify(f"the gateway moved; forwarding to {target} now")
            state["info"], state["target"] = info, target

        session = KeptConnection(connector, notify=notify, on_reconnect=refresh)
        conn = session.start()
        pinned = conn.pin_final_address()
        info, target = find(conn)
        state["info"], state["target"] = info, target
        if listener is None:
            listener = _listen([PREFERRED_LOCAL_PORT] + ([info.port] if info.port else []))
    except SSHError as exc:
        if listener is not None:
            listener.close()
        if session is not None:
            session.stop()
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    forwarder = LocalForwarder(listener, session, target, notify=notify)
    state["forwarder"] = forwarder
    url = _url(forwarder.local_port, info.token)
    where = connector.describe() + (f" (pinned to {pinned})" if pinned else "")
    notify(f"{'re-attached to your running' if info.reused else 'started your'} gateway on {where}"
           + (f", pid {info.pid}" if info.pid else "")
           + f"; forwarding 127.0.0.1:{forwarder.local_port} -> {target}. Ctrl-C stops the forward (the gateway "
           f"keeps running; `{PROG} --stop {args.destination}` stops it).")
    print(url, flush=True)
    if args.open:
        import webbrowser

        webbrowser.open(url)
    serve_until_interrupted(forwarder)
    if session.failure is not None:
        print(f"{PROG}: error: {session.failure}", file=sys.stderr)
        return 1
    return 0


def _url(port: int, token: str) -> str:
    """The local URL with the token in the fragment (never sent to any server by the browser)."""
    return f"http://127.0.0.1:{port}/#token={token}"
