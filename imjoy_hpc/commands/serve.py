"""`imjoy-hpc serve`: run the gateway (foreground, or --detach for a background one that survives logout)."""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
from typing import TYPE_CHECKING

from imjoy_hpc.commands import load_settings

if TYPE_CHECKING:
    from imjoy_hpc.settings import Settings

HELP = "run the gateway (web page + ImJoy RPC) on this machine"
TOKEN_ENV = "IMJOY_HPC_TOKEN"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="address of the browser-facing door (default 127.0.0.1; 0.0.0.0 exposes it)")
    parser.add_argument("--port", type=int, help="port of the browser-facing door (default 9527; 0 = any free port)")
    parser.add_argument("--token", help=f"refused: a command line is readable by every user of the machine; use "
                                        f"--token-file or ${TOKEN_ENV}")
    parser.add_argument("--token-file", metavar="FILE",
                        help="pin the access token: read it from FILE (yours, mode 0600). Default: a new random "
                             f"token at every start (or ${TOKEN_ENV}, which the gateway removes from its "
                             "environment), kept in a 0600 file in the state directory")
    parser.add_argument("--token-fd", type=int, help=argparse.SUPPRESS)  # internal: the token on a pipe
    parser.add_argument("--config", metavar="FILE", help="extra config file (YAML), layered over the site config")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--detach", action="store_true",
                      help="run in the background (or re-attach to the running one) and print its details as JSON")
    mode.add_argument("--info", action="store_true", help="print the running gateway's details as JSON")
    mode.add_argument("--stop", action="store_true", help="stop the running gateway, its plugins and its jobs")
    parser.add_argument("--log-level", default="INFO", help="logging level (default INFO)")


def _public(info: dict, reused: bool) -> dict:
    return {k: info.get(k) for k in ("pid", "host", "port", "url", "token", "socket")} | {"reused": reused}


TOKEN_ON_COMMAND_LINE = ("imjoy-hpc: --token puts the token on the command line, where every user of this machine "
                         "can read it (ps, /proc/PID/cmdline); pin it in a file of yours with --token-file FILE "
                         f"(mode 0600), or give it in ${TOKEN_ENV}")


def _token_pipe(token: str) -> int:
    """A pipe holding the token, its read end inheritable: how the token reaches a process we start."""
    read, write = os.pipe()
    os.write(write, token.encode())
    os.close(write)
    os.set_inheritable(read, True)
    return read


def _given_token(args: argparse.Namespace, env_token: str | None, settings: "Settings") -> str | None:
    """The token the user pinned (pipe, $IMJOY_HPC_TOKEN, --token-file, server.token-file), or None."""
    from pathlib import Path

    from imjoy_hpc.gateway.auth import check_token, read_token_file

    if args.token_fd is not None:
        with os.fdopen(args.token_fd, "r") as pipe:
            return check_token(pipe.read(), "the token pipe")
    if env_token:
        return check_token(env_token, f"${TOKEN_ENV}")
    path = args.token_file or settings.server.token_file
    return read_token_file(Path(os.path.expanduser(path))) if path else None


def run(args: argparse.Namespace) -> int:
    from imjoy_hpc.gateway import daemon
    from imjoy_hpc.gateway.auth import TokenError

    env_token = os.environ.pop(TOKEN_ENV, None)  # nothing we start may inherit it
    if args.token:
        print(TOKEN_ON_COMMAND_LINE, file=sys.stderr)
        return 2
    settings = load_settings(args.config)
    if settings is None:
        return 2
    state_dir = settings.state_path()
    if args.info or args.stop:
        try:
            info = daemon.stop(state_dir) if args.stop else daemon.read_state(state_dir)
        except RuntimeError as exc:
            print(f"imjoy-hpc: {exc}", file=sys.stderr)
            return 1
        if info is None:
            print("imjoy-hpc: no gateway is running for this user", file=sys.stderr)
            return 1
        print(f"stopped the gateway (pid {info['pid']})" if args.stop else json.dumps(_public(info, True)))
        return 0
    if args.detach:
        running = daemon.read_state(state_dir)
        if running is not None:
            print(json.dumps(_public(running, True)))
            return 0
        argv = _foreground_argv(args)
        try:
            token = _given_token(args, env_token, settings)
            info = daemon.start_detached(state_dir, argv + (["--token-fd", "0"] if token else []), dict(os.environ),
                                         stdin_text=token)
        except (RuntimeError, TokenError) as exc:
            print(f"imjoy-hpc: {exc}", file=sys.stderr)
            return 1
        print(json.dumps(_public(info, False)))
        return 0
    if env_token and _in_initial_environment(TOKEN_ENV):
        # The kernel keeps a process's initial environment readable in /proc/PID/environ: start again without
        # it, the token on a pipe (same PID, nothing else changes).
        fd = _token_pipe(env_token)
        os.execv(sys.executable, [sys.executable, "-m", "imjoy_hpc", *sys.argv[1:], "--token-fd", str(fd)])
    try:
        token = _given_token(args, env_token, settings)
    except TokenError as exc:
        print(f"imjoy-hpc: {exc}", file=sys.stderr)
        return 2
    return _serve(args, settings, state_dir, token)


def _in_initial_environment(name: str) -> bool:
    try:
        with open("/proc/self/environ", "rb") as f:
            return any(item.startswith(name.encode() + b"=") for item in f.read().split(b"\0"))
    except OSError:
        return False


def _foreground_argv(args: argparse.Namespace) -> list[str]:
    """The options of this command for the background gateway; the token goes by environment, never argv."""
    argv = ["--log-level", args.log_level]
    for flag, value in (("--host", args.host), ("--port", args.port), ("--config", args.config),
                        ("--token-file", args.token_file)):
        if value is not None:
            argv += [flag, os.path.abspath(value) if flag in ("--config", "--token-file") else str(value)]
    return argv


def _serve(args: argparse.Namespace, settings: "Settings", state_dir, given_token: str | None) -> int:
    import asyncio
    import logging
    import signal

    from imjoy_hpc.gateway import daemon
    from imjoy_hpc.gateway.app import Gateway
    from imjoy_hpc.gateway.auth import keep_token
    from imjoy_hpc.tuning import tune_malloc

    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    tune_malloc()
    running = daemon.read_state(state_dir)
    if running is not None and running["pid"] != os.getpid():
        print(f"imjoy-hpc: a gateway is already running for this user (pid {running['pid']}, {running['url']}); "
              "use `imjoy-hpc serve --info` or `--stop`", file=sys.stderr)
        return 1
    token = keep_token(state_dir, given_token)  # unpinned: a new token per start, a captured one is worthless

    async def main() -> int:
        try:
            gateway = Gateway(settings, token=token, state_dir=state_dir, host=args.host, port=args.port)
        except ValueError as exc:
            print(f"imjoy-hpc: {exc}", file=sys.stderr)
            return 2
        try:
            await gateway.start()
        except OSError as exc:
            print(f"imjoy-hpc: cannot listen on {gateway.host}:{gateway.port}: {exc.strerror or exc}",
                  file=sys.stderr)
            await gateway.stop()
            return 1
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        socket_path = str(gateway.socket_path) if gateway.socket_path else None
        daemon.write_state(state_dir, {"pid": os.getpid(), "host": gateway.host if gateway.tcp else None,
                                       "port": gateway.port if gateway.tcp else None, "socket": socket_path,
                                       "url": gateway.url, "token": token, "session": gateway.run_id,
                                       "plugin_door": f"{gateway.plugin_host}:{gateway.door_port}"})
        login, user = socket.getfqdn(), os.environ.get("USER", "you")
        print(f"imjoy-hpc gateway ready at {gateway.url}" + ("" if gateway.tcp else f" (Unix socket {socket_path})"),
              flush=True)
        print(f"token: {token}", flush=True)
        print(f"open:  {gateway.url}#token={token}", flush=True)
        target = socket_path if socket_path else f"127.0.0.1:{gateway.port}"
        print(f"from your laptop: ssh -N -L {gateway.port}:{target} {user}@{login}   (or: imjoy-hpc connect {login})",
              flush=True)
        await stop.wait()
        print("imjoy-hpc: stopping plugins and jobs...", flush=True)
        try:
            await asyncio.wait_for(gateway.stop(), 120)
        finally:
            daemon.clear_state(state_dir, os.getpid())
        print("imjoy-hpc: stopped", flush=True)
        return 0

    return asyncio.run(main())
