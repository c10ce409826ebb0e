"""In-memory links between RPC peers that behave like the socket.io wire (JSON values plus raw bytes)."""

from __future__ import annotations

import asyncio
import json
from typing import Any, Callable


def wire_copy(value: Any) -> Any:
    """Copy a message as socket.io would carry it; anything JSON cannot carry (besides bytes) raises TypeError."""
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise TypeError(f"non-string keys in {value!r}")
        return {k: wire_copy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [wire_copy(v) for v in value]
    if isinstance(value, bytes):
        return bytes(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        json.dumps(value)  # NaN etc. are fine for python-socketio's json too
        return value
    raise TypeError(f"{type(value).__name__} cannot travel on the wire: {value!r}")


class Wire:
    """Delivers messages from one side to a handler on the next loop turn, logging every message."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.handler: Callable[[dict], Any] | None = None
        self.log: list[dict] = []
        self.errors: list[Exception] = []

    def send(self, message: dict) -> None:
        copy = wire_copy(message)
        self.log.append(copy)
        asyncio.get_running_loop().call_soon(self._deliver, copy)

    def _deliver(self, message: dict) -> None:
        try:
            self.handler(message)
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            self.errors.append(exc)


async def settle(rounds: int = 20) -> None:
    """Let queued deliveries run."""
    for _ in range(rounds):
        await asyncio.sleep(0)
