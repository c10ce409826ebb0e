"""socket.io packets that put a chunked `ndarray` together as its chunks arrive (imjoy-hpc's own client).

python-socketio keeps every binary attachment of an event until the last one is in, then the decoder joins them:
a 64 MB array is held twice, and the 32 chunk buffers freed at the end go back to the system, so the next array
page-faults all of them in again (that cost more than the transfer itself here). `ArrayPacket` reads the event's
header first, gives each large `ndarray` value one numpy buffer of its announced size, and copies each chunk into
it as it arrives (the chunk is freed at once); the value then holds that one buffer, which the codec decodes
without another copy. Chunks that do not fit the announced size are kept as they came, so the codec reports the
mismatch in its own words.
"""

from __future__ import annotations

import math
import mmap
from typing import Any

import numpy as np
from socketio import packet

from imjoy_hpc.rpc.errors import DecodeError
from imjoy_hpc.rpc.ndarray import dtype_from_wire

MIN_BYTES = 1 << 20  # smaller arrays are left to python-socketio's own handling


def _fresh_buffer(size: int) -> np.ndarray:
    """Anonymous memory of its own, its pages mapped in one go: numpy would ask for huge pages for an array this
    large, and the kernel's compaction to find them stalled one transfer in four here (64 MB at 260 MB/s instead of
    700); faulting 4 KiB pages in one by one as chunks are copied costs 36 ms per 64 MB, mapping them up front 25."""
    flags = mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | getattr(mmap, "MAP_POPULATE", 0)
    return np.frombuffer(mmap.mmap(-1, size, flags=flags), dtype=np.uint8)


class _Assembly:
    """One ndarray value being filled from consecutive attachments."""

    __slots__ = ("value", "buffer", "filled", "raw")

    def __init__(self, value: dict, size: int) -> None:
        self.value = value
        self.buffer = _fresh_buffer(size)
        self.filled = 0
        self.raw: list | None = None  # the chunks as they came, once one did not fit

    def add(self, chunk: Any) -> None:
        size = memoryview(chunk).nbytes
        if self.raw is None and isinstance(chunk, (bytes, bytearray)) and self.filled + size <= self.buffer.size:
            self.buffer[self.filled:self.filled + size] = np.frombuffer(chunk, dtype=np.uint8)
            self.filled += size
            return
        if self.raw is None:
            self.raw = [bytes(self.buffer[:self.filled])] if self.filled else []
        self.raw.append(chunk)

    def finish(self) -> None:
        self.value["_rvalue"] = self.raw if self.raw is not None else [memoryview(self.buffer)[:self.filled]]


class ArrayPacket(packet.Packet):
    """python-socketio's packet, with large ndarray values assembled in place as their attachments arrive."""

    _assemblies: dict = {}  # by attachment number (packets this client sends have none)

    def decode(self, encoded_packet: Any) -> int:
        count = super().decode(encoded_packet)
        self._assemblies: dict[int, _Assembly] = {}
        if count:
            self._plan(self.data)
        return count

    def _plan(self, value: Any) -> None:
        """Find the ndarray values whose `_rvalue` is a run of consecutive placeholders."""
        if isinstance(value, list):
            for item in value:
                self._plan(item)
        elif isinstance(value, dict):
            if value.get("_rtype") == "ndarray" and isinstance(value.get("_rvalue"), list):
                self._plan_array(value)
            else:
                for item in value.values():
                    self._plan(item)

    def _plan_array(self, value: dict) -> None:
        chunks = value["_rvalue"]
        nums = [c.get("num") if isinstance(c, dict) and c.get("_placeholder") else None for c in chunks]
        if not nums or None in nums or nums != list(range(nums[0], nums[0] + len(nums))) \
                or any(n in self._assemblies for n in nums):
            return
        shape = value.get("_rshape")
        try:
            if not isinstance(shape, list) or not all(isinstance(n, int) and n >= 0 for n in shape):
                return
            size = math.prod(shape) * dtype_from_wire(value.get("_rdtype")).itemsize
        except DecodeError:
            return  # the codec says what is wrong with it
        if size < MIN_BYTES:
            return
        assembly = _Assembly(value, size)
        for n in nums:
            self._assemblies[n] = assembly

    def add_attachment(self, attachment: Any) -> bool:
        if self.attachment_count <= len(self.attachments):
            raise ValueError("Unexpected binary attachment")
        assembly = self._assemblies.get(len(self.attachments))
        if assembly is not None:
            assembly.add(attachment)
            attachment = None  # not kept: it is in the array's buffer now
        self.attachments.append(attachment)
        if self.attachment_count == len(self.attachments):
            for done in set(self._assemblies.values()):
                done.finish()
            self._assemblies = {}
            self.data = self.reconstruct_binary(self.data, self.attachments)
            return True
        return False
