"""Progress: a plain-Python ImJoy plugin that reports progress and status while it computes.

Plain `.py` plugins carry their metadata in one top-level literal dict, IMJOY_CONFIG (read without running
the file). The method below is written in the classic synchronous style of ImJoy Python plugins.
"""

import time

from imjoy import api

IMJOY_CONFIG = {
    "name": "Progress",
    "type": "native-python",
    "version": "0.2.0",
    "description": "Counts in steps, showing progress and status",
    "tags": [],
    "flags": [],
    "requirements": [],
}


class ImJoyPlugin:
    def setup(self):
        api.log("Progress plugin is ready")

    def compute(self, steps=5):
        """Return the sum of squares of 0..steps-1, reporting progress after each step."""
        steps = int(steps)
        if steps < 1:
            raise ValueError(f"steps must be >= 1, got {steps}")
        total = 0
        for i in range(steps):
            total += i * i
            time.sleep(0.05)
            api.showProgress(int(100 * (i + 1) / steps))
            api.showStatus(f"step {i + 1}/{steps}")
        return total

    def run(self, ctx=None):
        steps = 5
        config = getattr(ctx, "config", None) if ctx is not None else None
        if config is not None and "steps" in config:
            steps = config["steps"]
        return self.compute(steps)


api.export(ImJoyPlugin())
