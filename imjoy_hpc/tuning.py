"""Allocator tuning for processes that move large arrays (the gateway and plugin processes).

glibc serves allocations above 128 KiB with fresh mmap()s and returns them on free, so every multi-MB chunk costs
page faults on first touch: array throughput halves (shared/PERFORMANCE.md: 480 vs 1,380 MB/s for 64 MB
websocket messages). Raising the mmap threshold to its maximum (32 MiB) keeps chunk-sized buffers in the heap
for reuse; the trim threshold bounds what a process keeps after a transfer.
"""

from __future__ import annotations

import ctypes
import ctypes.util

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 2**20
TRIM_THRESHOLD = 128 * 2**20


def tune_malloc() -> bool:
    """Apply the tuning to this process (glibc only); True when it took effect."""
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        libc = ctypes.CDLL(name)
        return bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(libc.mallopt(M_TRIM_THRESHOLD,
                                                                                         TRIM_THRESHOLD))
    except (OSError, AttributeError):
        return False
