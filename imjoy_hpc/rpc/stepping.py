"""Running a coroutine at once, up to its first wait, instead of one scheduling round later as a task: most
message handlers never wait, so their work (and the reply they send) is done in the step that read the message."""

from __future__ import annotations

import asyncio
from typing import Any, Callable, Coroutine


def start_now(coro: Coroutine[Any, Any, Any],
              spawn: Callable[[Coroutine[Any, Any, Any]], asyncio.Task] = asyncio.ensure_future) -> asyncio.Task | None:
    """Run `coro` up to its first wait. None when it finished there (an exception it raised propagates);
    otherwise the task (made by `spawn`) that runs the rest."""
    try:
        waiting = coro.send(None)
    except StopIteration:
        return None
    return spawn(_continue(coro, waiting))


async def _continue(coro: Any, waiting: Any) -> Any:
    """The rest of a coroutine whose first steps already ran and which now waits on `waiting` (what it yielded):
    each time that is done, the coroutine goes on (and sees its outcome itself)."""
    while True:
        if waiting is None:  # a bare yield (asyncio.sleep(0))
            await asyncio.sleep(0)
        else:
            waiting._asyncio_future_blocking = False  # taken over, as a task takes what its coroutine yields
            try:
                await waiting
            except asyncio.CancelledError:
                if not waiting.cancelled():  # this task was cancelled, not what the coroutine waits on
                    try:
                        waiting = coro.throw(asyncio.CancelledError())
                    except StopIteration as done:
                        return done.value
                    continue
            except BaseException:  # noqa: BLE001 - the coroutine gets it from `waiting` itself
                pass
        try:
            waiting = coro.send(None)
        except StopIteration as done:
            return done.value
