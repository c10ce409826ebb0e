"""Batch runs: a plugin headless in this process (`imjoy-hpc run`) or inside a batch job of the profile's
scheduler (`imjoy-hpc submit`), results written atomically to an output directory, and submitted jobs followed
(`imjoy-hpc jobs`).

Modules: args (JSON arguments), results (output directory), progress (terminal display), allocation (the
job we run in), runner (the headless run on an embedded gateway), jobscript (batch scripts), submitter
(through the profile's backend), records (the user's list of submitted jobs), status (job states from the
scheduler and the output summaries). What is scheduler-specific lives in imjoy_hpc.backends.
"""

from __future__ import annotations


class BatchError(ValueError):
    """Bad input to a batch command (arguments, plugin, output directory, profile); the message says what."""
