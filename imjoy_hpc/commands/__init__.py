"""Sub-commands of the `imjoy-hpc` command line; each module defines HELP, add_arguments(parser) and run(args)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from imjoy_hpc.settings import Settings


def load_settings(extra_file: str | None, command: str = "imjoy-hpc") -> "Settings | None":
    """The effective `imjoy-hpc` settings (warnings about unknown keys printed), or None after telling the user
    why the configuration is invalid; messages start with `command`. Every command loads its settings here."""
    from imjoy_hpc.config import ConfigError
    from imjoy_hpc.settings import Settings

    try:
        settings = Settings.load(extra_file)
    except ConfigError as exc:
        print(f"{command}: {exc}", file=sys.stderr)
        return None
    for warning in settings.warnings:
        print(f"{command}: warning: {warning}", file=sys.stderr)
    return settings
