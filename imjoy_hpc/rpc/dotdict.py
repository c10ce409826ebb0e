"""Dictionaries with attribute access, as imjoy-rpc gives them to plugins (`ctx.config.threshold`)."""

from __future__ import annotations

from typing import Any


class DotDict(dict):
    """A dict whose keys can also be read and written as attributes."""

    __slots__ = ()

    def __getattr__(self, key: str) -> Any:
        try:
            return self[key]
        except KeyError:
            if key.startswith("_"):  # keep hasattr() honest for protocol hooks such as _rpc_encode
                raise AttributeError(key) from None
            return None

    def __setattr__(self, key: str, value: Any) -> None:
        self[key] = value

    def __delattr__(self, key: str) -> None:
        try:
            del self[key]
        except KeyError:
            raise AttributeError(key) from None

    def __reduce__(self):
        return (DotDict, (dict(self),))
