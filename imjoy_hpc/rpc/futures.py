"""Passing one future's outcome on to another, whatever kind each is (asyncio or concurrent.futures)."""

from __future__ import annotations

from typing import Any


def settle_as(target: Any, source: Any) -> None:
    """Settle `target` as `source` (done) ended: cancelled, failed with its exception, or with its result. A target
    already settled (a caller who cancelled it) is left as it is."""
    if target.done():
        return
    if source.cancelled():
        target.cancel()
    elif source.exception() is not None:
        target.set_exception(source.exception())
    else:
        target.set_result(source.result())
