"""Ordered sending: RPC peers hand over messages synchronously; one writer task emits them in that order."""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable


class Outbox:
    """A queue drained by one task calling `emit(message)`; it stops at the first failure, reported to `on_error`."""

    def __init__(self, emit: Callable[[Any], Awaitable[Any]], on_error: Callable[[BaseException], Any]) -> None:
        self._emit = emit
        self._on_error = on_error
        self._queue: asyncio.Queue = asyncio.Queue()
        self._writer: asyncio.Task | None = None
        self._busy = False

    @property
    def idle(self) -> bool:
        """Nothing queued or being emitted: a message sent another way now stays in order."""
        return not self._busy and self._queue.empty()

    def put(self, message: Any) -> None:
        self._queue.put_nowait(message)
        if self._writer is None:
            self._writer = asyncio.get_running_loop().create_task(self._run())

    def close(self) -> None:
        """Stop after the messages already queued."""
        self._queue.put_nowait(None)

    async def _run(self) -> None:
        while True:
            message = await self._queue.get()
            if message is None:
                return
            self._busy = True
            try:
                await self._emit(message)
            except Exception as exc:  # noqa: BLE001 - a broken socket ends the connection
                self._on_error(exc)
                return
            finally:
                self._busy = False
            del message  # not kept while waiting: it may hold a spooled array's file
