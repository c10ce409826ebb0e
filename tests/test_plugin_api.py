"""The `api` object inside a plugin (imjoy_hpc/plugins/shim.py), without a gateway: what `api.X` gives back."""

from __future__ import annotations

import concurrent.futures

import pytest

from imjoy_hpc.plugins.legacy_api import ThreadThenable, thenable
from imjoy_hpc.plugins.shim import PluginApi
from imjoy_hpc.rpc import DotDict


def host_function(calls: list, label: str):
    def function(*args):
        calls.append((label, args))
        done: concurrent.futures.Future = concurrent.futures.Future()
        done.set_result(label)
        return done

    return function


def plugin_api(remote: DotDict) -> PluginApi:
    return PluginApi(peer=None, remote=remote, config={"name": "Unit"}, tag=None)  # type: ignore[arg-type]


def test_api_attribute_is_one_wrapper_per_name():
    calls: list = []
    remote = DotDict(log=host_function(calls, "log"), showStatus=host_function(calls, "status"))
    api = plugin_api(remote)

    assert api.log is api.log
    assert api.showStatus is api.showStatus
    assert api.show_status is api.showStatus  # the snake_case spelling is the same function
    assert api.createWindow is api.createWindow  # an ImJoy app function not served here, the same stand-in
    with pytest.raises(NotImplementedError, match="createWindow"):
        api.createWindow({})

    result = api.log("hello")
    assert isinstance(result, ThreadThenable) and result.result() == "log"
    assert calls == [("log", ("hello",))]


def test_api_attribute_follows_a_replaced_host_function():
    """An ImJoy app attaching replaces the host's functions in place: api.X then calls the new one."""
    calls: list = []
    remote = DotDict(log=host_function(calls, "host log"))
    api = plugin_api(remote)
    first = api.log
    remote["log"] = host_function(calls, "app log")
    remote["createWindow"] = host_function(calls, "app window")

    assert api.log is not first and api.log is api.log
    assert api.log("x").result() == "app log"
    assert api.createWindow("w").result() == "app window"
    assert calls == [("app log", ("x",)), ("app window", ("w",))]


def test_thenable_passes_on_result_error_and_cancellation():
    """`api.X(...)`'s future ends as the call's own future did (imjoy_hpc.rpc.futures.settle_as)."""
    outcomes = [concurrent.futures.Future() for _ in range(3)]
    wrapped = [thenable(future) for future in outcomes]
    outcomes[0].set_result(7)
    outcomes[1].set_exception(ValueError("no"))
    outcomes[2].cancel()
    assert wrapped[0].result() == 7
    assert isinstance(wrapped[1].exception(), ValueError)
    assert wrapped[2].cancelled()

    already = concurrent.futures.Future()
    late = thenable(already)
    late.cancel()  # the caller gave up first: the call's result is dropped, not an error
    already.set_result(1)
    assert late.cancelled()
