"""The `imjoy-hpc` command line: one sub-command per module in imjoy_hpc.commands."""

from __future__ import annotations

import argparse
import importlib
import sys

from imjoy_hpc import __version__

# name -> module under imjoy_hpc.commands; each module defines HELP, add_arguments(parser) and run(args) -> int.
COMMANDS = {
    "serve": "serve",
    "config": "config",
    "tunnel": "tunnel",
    "connect": "connect",
    "run": "run",
    "submit": "submit",
    "jobs": "jobs",
}


def _load(module: str):
    return importlib.import_module(f"imjoy_hpc.commands.{module}")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every available sub-command."""
    parser = argparse.ArgumentParser(prog="imjoy-hpc", description="Run ImJoy plugins on HPC clusters.")
    parser.add_argument("--version", action="version", version=f"imjoy-hpc {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module_name in COMMANDS.items():
        try:
            module = _load(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == f"imjoy_hpc.commands.{module_name}":
                continue  # command not built yet
            raise
        p = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    try:
        return int(args._run(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
