"""Bookkeeping of what a peer has exported: one-shot callbacks and reusable interface objects."""

from __future__ import annotations

import itertools
import secrets
from typing import Any, Callable

_PREFIX = secrets.token_hex(6)  # this process's keys differ from any other's
_counter = itertools.count(1)


def new_id() -> str:
    """A fresh opaque key, unique in this process and across processes (a key of a peer's own stores: only that
    peer's connection can name it, so it need not be unguessable; no system call per key, unlike uuid4)."""
    return f"{_PREFIX}-{next(_counter)}"


class CallbackStore:
    """One-shot callbacks keyed by id; a resolve/reject pair is removed together."""

    def __init__(self) -> None:
        self._callbacks: dict[str, Callable] = {}
        self._pairs: dict[str, str] = {}

    def put(self, fn: Callable) -> str:
        key = new_id()
        self._callbacks[key] = fn
        return key

    def put_pair(self, resolve: Callable, reject: Callable) -> tuple[str, str]:
        """Store a promise's resolve and reject callbacks so that calling one removes both."""
        a, b = self.put(resolve), self.put(reject)
        self._pairs[a], self._pairs[b] = b, a
        return a, b

    def fetch(self, key: Any) -> Callable | None:
        """Remove and return the callback (and drop its pair partner); None when unknown or used."""
        key = str(key)
        fn = self._callbacks.pop(key, None)
        partner = self._pairs.pop(key, None)
        if partner is not None:
            self._pairs.pop(partner, None)
            self._callbacks.pop(partner, None)
        return fn

    def clear(self) -> None:
        self._callbacks.clear()
        self._pairs.clear()

    def __len__(self) -> int:
        return len(self._callbacks)


class ObjectStore:
    """Interface objects whose methods the remote side may call many times, keyed by `_rintf` id."""

    def __init__(self) -> None:
        self._objects: dict[str, Any] = {}

    def put(self, obj: Any, object_id: str | None = None) -> str:
        key = object_id or new_id()
        self._objects[key] = obj
        return key

    def get(self, object_id: Any) -> Any:
        return self._objects[str(object_id)]

    def remove(self, object_id: Any) -> bool:
        return self._objects.pop(str(object_id), None) is not None

    def __contains__(self, object_id: Any) -> bool:
        return str(object_id) in self._objects

    def __len__(self) -> int:
        return len(self._objects)

    def clear(self) -> None:
        self._objects.clear()
