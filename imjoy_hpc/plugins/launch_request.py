"""The launch contract: what the gateway hands a plugin's Dask task (`LaunchRequest`, pickled to the worker) and
what the task hands the plugin process on its stdin (`Bootstrap`, as JSON: the one-time secret never appears on a
command line or in an environment).

One typed object per boundary, built in one place (gateway/instances.py `payload`) and read as attributes on the
other side (plugins/launcher.py, plugins/host.py). Values that are settings (timeouts, chunk size, pings) have no
default here: they come from the settings, whose defaults live in imjoy-hpc.yaml. Kept to Python 3.9 (the plugin process
may run another Python than the gateway's)."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any, Optional


@dataclass(frozen=True)
class Bootstrap:
    """What the plugin process needs to reach the plugin door and run the plugin's script."""

    door_url: str
    secret: str            # one-time: the door refuses it a second time
    instance_id: str
    name: str
    script: str
    chunk_bytes: int
    export_timeout: float  # seconds the script has to call api.export(...)
    start_timeout: float   # seconds registration may be retried (a refused one is tried again)
    ping_interval: float   # the link's websocket pings (server.ping-interval, server.ping-timeout): a gateway
    ping_timeout: float    # that stops answering ends the plugin
    tag: Optional[str] = None
    config: dict = field(default_factory=dict)
    filename: Optional[str] = None
    script_line: int = 1   # line of the file where the script's first line is (tracebacks show the file's lines)
    attachments: dict = field(default_factory=dict)
    engine_url: Optional[str] = None  # the front door's URL, as plugins read it in api.ENGINE_URL

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> "Bootstrap":
        """The bootstrap as the gateway wrote it (fields it does not know are a version mismatch: refused)."""
        data = json.loads(text)
        unknown = sorted(set(data) - {f.name for f in dataclasses.fields(cls)})
        if unknown:
            raise ValueError(f"the plugin's bootstrap has fields this imjoy-hpc does not know: {', '.join(unknown)} "
                             "(the gateway and the plugin's environment run different imjoy-hpc versions)")
        return cls(**data)


@dataclass(frozen=True)
class LaunchRequest:
    """What a plugin's task gets: how to prepare its environment, where to log, and its process's bootstrap."""

    instance_id: str
    name: str
    log_file: str
    env_cache: str
    install_timeout: float
    allow_install: bool
    allow_commands: bool
    bootstrap: Bootstrap
    requirements: list = field(default_factory=list)
    env: Any = None        # the plugin's env field (conda, commands), as written
    conda: dict = field(default_factory=dict)  # plain data: the worker parses it (CondaSettings.of)
    scheduler_address: Optional[str] = None  # the plugin's own cluster, for distributed.Client() inside it
    work_dir: Optional[str] = None           # the plugin file's directory (catalog plugins)
    plugin_home: Optional[str] = None        # a directory of its own for plugins given as source text
    warnings: list = field(default_factory=list)
    resolve_as_of: Optional[str] = None      # pip packages as they were on that date
    usage_interval: Optional[float] = None   # seconds between usage samples (default plugins.usage.INTERVAL)

    @property
    def builds_environment(self) -> bool:
        return bool(self.requirements or self.env)
