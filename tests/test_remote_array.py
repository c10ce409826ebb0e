"""Slices on demand: a plugin returns a 5 GB numpy memmap by reference (imjoy_hpc.plugins.remote_array) and the
published imjoy-rpc Python client reads it plane by plane through a real gateway; only the requested bytes
travel, and the gateway's memory stays bounded."""

from __future__ import annotations

import re

import numpy as np
import psutil
import pytest
from gateway_support import connect, disconnect, start_gateway
from stack_support import STACK, plane as stack_plane, write_stack

pytestmark = pytest.mark.timeout(300)

SHAPE = (1280, 1024, 2048)  # uint16: 5.0 GiB, 4 MiB per plane
WRITTEN = (0, 700, 1279)


def plane(z: int) -> np.ndarray:
    return stack_plane(z, SHAPE[1:])


@pytest.fixture(scope="module")
def stack_file(tmp_path_factory):
    """A sparse 5 GiB file; only the planes in WRITTEN hold data (the others read as zeros)."""
    path = tmp_path_factory.mktemp("stack") / "stack.u16"
    write_stack(path, SHAPE, list(WRITTEN))
    yield path
    path.unlink()


def rss(pid: int) -> int:
    return psutil.Process(pid).memory_info().rss


async def test_a_5_gb_memmap_is_read_slice_by_slice_through_the_gateway(tmp_path, stack_file):
    gw = start_gateway(tmp_path)
    client = await connect(gw)
    try:
        plugin = await client.load_plugin(STACK)
        arr = await plugin.open(str(stack_file), list(SHAPE))
        assert list(arr.shape) == list(SHAPE) and arr.dtype == "uint16" and arr.ndim == 3
        assert arr.nbytes == 5 * 2**30 and arr.kind == "memmap"
        assert list(arr.chunks) == [1, 1024, 2048]  # one plane per block
        before = rss(gw.proc.pid)
        peak = before
        for z in list(WRITTEN) + [1, 640, 1278] * 4:  # 15 planes, 60 MiB in all
            got = await arr.read([z])
            assert got.dtype == np.uint16 and got.shape == SHAPE[1:]
            if z in WRITTEN:
                np.testing.assert_array_equal(got, plane(z))
            else:
                assert not got.any()
            peak = max(peak, rss(gw.proc.pid))
        part = await arr["get"]("700, 100:104, ::512")  # the contract's name (the client's dict has its own .get)
        np.testing.assert_array_equal(part, plane(700)[100:104, ::512])
        block = await arr.get_chunk([1279, 0, 0])
        np.testing.assert_array_equal(block[0], plane(1279))
        with pytest.raises(Exception, match="more than one read may take"):
            await arr.read([[0, 100]])  # 400 MiB at once
        with pytest.raises(Exception, match="index 1280 is out of range for size 1280"):
            await arr.read([1280])
        assert await (await client.load_plugin("Hello")).echo("still serving") == "still serving"
    finally:
        await disconnect(client)
        gw.stop()
    assert peak - before < 128 * 2**20, f"gateway RSS grew by {(peak - before) / 2**20:.0f} MiB"


def test_regions_in_list_and_text_form_and_their_errors():
    from imjoy_hpc.plugins.remote_array import RegionError, remote_array

    a = np.arange(4 * 6 * 8, dtype=np.float32).reshape(4, 6, 8)
    r = remote_array(a)
    np.testing.assert_array_equal(r.get([2, [1, 5, 2], None]), a[2, 1:5:2, :])
    np.testing.assert_array_equal(r.get("2, 1:5:2, :"), a[2, 1:5:2, :])
    np.testing.assert_array_equal(r.get("..., -1"), a[..., -1])
    np.testing.assert_array_equal(r.get(None), a)
    assert r.get([1]).flags.c_contiguous
    for region, words in [([9], "axis 0: index 9 is out of range for size 4"),
                          ([0, 0, 0, 0], "4 entries but the array has 3 axes"),
                          ([[0, 4, 0]], "step 0"), ("1, x", "not numpy's index form"),
                          ([{"a": 1}], "neither an index, null nor [start, stop(, step)]")]:
        with pytest.raises(RegionError, match=re.escape(words)):
            r.get(region)
    with pytest.raises(RegionError, match="outside the grid"):
        r.get_chunk([4, 0, 0])


def test_a_dask_array_is_computed_region_by_region():
    import dask.array as da

    from imjoy_hpc.plugins.remote_array import remote_array

    lazy = da.arange(10 * 20 * 30, chunks=1000).reshape(10, 20, 30)
    r = remote_array(lazy.rechunk((1, 20, 30)))
    assert r.kind == "dask" and r.chunks == [1, 20, 30] and r.shape == [10, 20, 30]
    np.testing.assert_array_equal(r.get_chunk([7, 0, 0]), np.arange(6000).reshape(10, 20, 30)[7:8])
