"""A plugin that checks every element of an array sent to it, and the arrays it expects, made in Python or in a
page: float32 values whose bits are i * 2654435761 mod 2**32 (a chunk lost, repeated or moved changes them)."""

from __future__ import annotations

import numpy as np
from imjoy_plugins import python_plugin

NAME = "Array Checker"
MULTIPLIER = 2654435761
# check(x) -> [element count, shape, dtype, elements that differ from the pattern]
CHECKER = python_plugin(NAME, "return 'ready'", header="""
import numpy as np


def differing(x):
    bits = np.asarray(x).reshape(-1).view(np.uint32)
    wrong, step = 0, 1 << 22
    for start in range(0, bits.size, step):
        index = np.arange(start, min(start + step, bits.size), dtype=np.uint64)
        expected = ((index * 2654435761) % (1 << 32)).astype(np.uint32)
        wrong += int(np.count_nonzero(bits[start:start + step] != expected))
    return wrong
""").replace("    async def setup(self):", """    def check(self, x):
        x = np.asarray(x)
        return [int(x.size), list(x.shape), str(x.dtype), differing(x)]

    async def setup(self):""")

# In a page with ImJoy: call check() of the plugin `name` with a float32 array of `n` elements, as an ImJoy app
# passes one ({_rtype: "ndarray", ...}); the answer, or "error: <why>".
CALL_CHECK = """async ([name, n]) => {
    const bits = new Uint32Array(n);
    for (let i = 0; i < n; i++) bits[i] = Math.imul(i, 2654435761) >>> 0;
    const plugin = imjoy.pm.plugin_names[name];
    const x = {_rtype: "ndarray", _rvalue: bits.buffer, _rshape: [n], _rdtype: "float32"};
    try { return await plugin.api.check(x); } catch (e) { return "error: " + String(e && e.message || e); }
}"""


def pattern(n: int) -> np.ndarray:
    """The float32 array check() expects, of `n` elements."""
    bits = np.empty(n, dtype=np.uint32)
    step = 1 << 22
    for start in range(0, n, step):
        index = np.arange(start, min(start + step, n), dtype=np.uint64)
        bits[start:start + step] = (index * MULTIPLIER) % (1 << 32)
    return bits.view(np.float32)
