"""`imjoy-hpc serve`: run the gateway (foreground, or --detach for a background one that survives logout)."""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys

from imjoy_hpc.commands import load_settings

HELP = "run the gateway (web page + ImJoy RPC) on this machine"
TOKEN_ENV = "IMJOY_HPC_TOKEN"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="address of the browser-facing door (default 127.0.0.1; 0.0.0.0 exposes it)")
    parser.add_argument("--port", type=int, help="port of the browser-facing door (default 9527; 0 = any free port)")
    parser.add_argument("--token", help=f"access token (better: set ${TOKEN_ENV}; default: a random token kept "
                                        "in a 0600 file in the state directory)")
    parser.add_argument("--config", metavar="FILE", help="extra config file (YAML), layered over the site config")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--detach", action="store_true",
                      help="run in the background (or re-attach to the running one) and print its details as JSON")
    mode.add_argument("--info", action="store_true", help="print the running gateway's details as JSON")
    mode.add_argument("--stop", action="store_true", help="stop the running gateway, its plugins and its jobs")
    parser.add_argument("--log-level", default="INFO", help="logging level (default INFO)")


def _public(info: dict, reused: bool) -> dict:
    return {k: info.get(k) for k in ("pid", "host", "port", "url", "token")} | {"reused": reused}


def run(args: argparse.Namespace) -> int:
    from imjoy_hpc import config
    from imjoy_hpc.gateway import daemon

    settings = load_settings(args.config)
    if settings is None:
        return 2
    state_dir = config.state_dir()
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
        env = dict(os.environ)
        if args.token:
            env[TOKEN_ENV] = args.token
        try:
            info = daemon.start_detached(state_dir, argv, env)
        except RuntimeError as exc:
            print(f"imjoy-hpc: {exc}", file=sys.stderr)
            return 1
        print(json.dumps(_public(info, False)))
        return 0
    return _serve(args, settings, state_dir)


def _foreground_argv(args: argparse.Namespace) -> list[str]:
    """The options of this command for the background gateway; the token goes by environment, never argv."""
    argv = ["--log-level", args.log_level]
    for flag, value in (("--host", args.host), ("--port", args.port), ("--config", args.config)):
        if value is not None:
            argv += [flag, os.path.abspath(value) if flag == "--config" else str(value)]
    return argv


def _serve(args: argparse.Namespace, settings: dict, state_dir) -> int:
    import asyncio
    import logging
    import signal

    from imjoy_hpc.gateway import daemon
    from imjoy_hpc.gateway.app import Gateway
    from imjoy_hpc.gateway.auth import load_or_create_token
    from imjoy_hpc.tuning import tune_malloc

    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    tune_malloc()
    running = daemon.read_state(state_dir)
    if running is not None and running["pid"] != os.getpid():
        print(f"imjoy-hpc: a gateway is already running for this user (pid {running['pid']}, {running['url']}); "
              "use `imjoy-hpc serve --info` or `--stop`", file=sys.stderr)
        return 1
    try:
        token = load_or_create_token(state_dir, args.token or os.environ.get(TOKEN_ENV))
    except ValueError as exc:
        print(f"imjoy-hpc: {exc}", file=sys.stderr)
        return 2

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
        daemon.write_state(state_dir, {"pid": os.getpid(), "host": gateway.host, "port": gateway.port,
                                       "url": gateway.url, "token": token, "session": gateway.session_id,
                                       "plugin_door": f"{gateway.plugin_host}:{gateway.door_port}"})
        login = socket.getfqdn()
        print(f"imjoy-hpc gateway ready at {gateway.url}", flush=True)
        print(f"token: {token}", flush=True)
        print(f"open:  {gateway.url}#token={token}", flush=True)
        print(f"from your laptop: ssh -N -L {gateway.port}:127.0.0.1:{gateway.port} {os.environ.get('USER', 'you')}"
              f"@{login}   (or: imjoy-hpc connect {login})", flush=True)
        await stop.wait()
        print("imjoy-hpc: stopping plugins and jobs...", flush=True)
        try:
            await asyncio.wait_for(gateway.stop(), 120)
        finally:
            daemon.clear_state(state_dir, os.getpid())
        print("imjoy-hpc: stopped", flush=True)
        return 0

    return asyncio.run(main())
