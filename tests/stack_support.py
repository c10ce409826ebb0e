"""A uint16 stack on disk that a plugin serves by reference (`remote_array(np.memmap(...))`): the plugin, the
planes' known contents and the sparse file holding them. Used by tests/test_remote_array.py and
benchmarks/bench_zarr.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np

STACK = """<config lang="json">{"name": "Big Stack", "type": "native-python"}</config>
<script lang="python">
import numpy as np
from imjoy import api
from imjoy_hpc.plugins.remote_array import remote_array

class Stack:
    def open(self, path, shape):
        return remote_array(np.memmap(path, dtype="uint16", mode="r", shape=tuple(shape)))

api.export(Stack())
</script>"""


def plane(z: int, shape: tuple[int, int]) -> np.ndarray:
    """Plane `z` of the stack (`shape` is one plane's), different in every plane and every pixel of a row."""
    return ((np.arange(shape[0] * shape[1], dtype=np.uint32) * (z + 1)) % 65521).astype(np.uint16).reshape(shape)


def write_stack(path: Path, shape: tuple[int, ...], planes: list[int]) -> None:
    """A sparse file of the whole stack where only `planes` hold data (the others read as zeros)."""
    with open(path, "wb") as f:
        f.truncate(int(np.prod(shape)) * 2)
    stack = np.memmap(path, dtype=np.uint16, mode="r+", shape=tuple(shape))
    for z in planes:
        stack[z] = plane(z, tuple(shape[1:]))
    stack.flush()
    del stack
