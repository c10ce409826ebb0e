"""What a plugin may ask of its job: the keys of its config's `hpc` field and of load_plugin's options."""

from __future__ import annotations

REQUEST_KEYS = ("profile", "cores", "memory", "gpus", "walltime", "queue")
