"""Sub-commands of the `imjoy-hpc` command line; each module defines HELP, add_arguments(parser) and run(args)."""

from __future__ import annotations

import sys


def load_settings(extra_file: str | None) -> dict | None:
    """The effective `imjoy-hpc` settings, or None after telling the user why the configuration is invalid."""
    from imjoy_hpc import config

    try:
        return config.load(extra_file)
    except config.ConfigError as exc:
        print(f"imjoy-hpc: {exc}", file=sys.stderr)
        return None
