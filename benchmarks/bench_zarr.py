"""A 2048x2048 uint16 plane of an on-disk stack through the gateway's zarr endpoint (zarr-python over fsspec's HTTP
filesystem), beside the same plane read with `remote_array.get` over imjoy-rpc, in one run.

    .venv/bin/python benchmarks/bench_zarr.py [--runs 5] [--gb 2]

Ours: a real `imjoy-hpc serve` (local Dask cluster) and a plugin returning `remote_array(np.memmap(...))` of a
<gb> GB uint16 stack (planes of 2048x2048, chunks of half a plane: 4 MiB) in a temporary directory. The file is
sparse except for the planes read (written first, so they are in the page cache, as for both paths). Each run reads
another plane: `zarr.open_array(<zarr_url>0)[z]` (two chunk GETs, fetched concurrently by zarr) and the imjoy-rpc
client's `arr.read([z])`. Goal (issue 23): < 0.5 s on loopback.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from common import summary
from stack_support import STACK, plane as stack_plane, write_stack  # tests/, put on sys.path by common

PLANE = (2048, 2048)


def plane(z: int) -> np.ndarray:
    return stack_plane(z, PLANE)


async def main(runs: int, gb: float) -> None:
    import zarr
    from gateway_support import connect, disconnect, start_gateway

    depth = max(runs * 2 + 1, int(gb * 2**30 // (PLANE[0] * PLANE[1] * 2)))
    shape = (depth, *PLANE)
    with tempfile.TemporaryDirectory(prefix="bench-zarr-") as tmp:
        path = Path(tmp) / "stack.u16"
        zarr_planes = [depth // 2 + i for i in range(runs)]
        rpc_planes = [depth // 2 - 1 - i for i in range(runs)]
        write_stack(path, shape, zarr_planes + rpc_planes)
        gw = start_gateway(Path(tmp))
        client = await connect(gw)
        try:
            arr = await (await client.load_plugin(STACK)).open(str(path), list(shape))
            url = arr["zarr_url"] + "0"
            level0 = await asyncio.to_thread(zarr.open_array, url, mode="r", zarr_format=2)
            await asyncio.to_thread(lambda: level0[0])  # warm: connections, zarr's codec pipeline
            await arr.read([0])
            zarr_s, rpc_s = [], []
            for z_zarr, z_rpc in zip(zarr_planes, rpc_planes):
                start = time.perf_counter()
                got = await asyncio.to_thread(lambda: level0[z_zarr])
                zarr_s.append((time.perf_counter() - start) * 1000)
                assert np.array_equal(got, plane(z_zarr)), f"plane {z_zarr} differs through zarr"
                start = time.perf_counter()
                got = await arr.read([z_rpc])
                rpc_s.append((time.perf_counter() - start) * 1000)
                assert np.array_equal(got, plane(z_rpc)), f"plane {z_rpc} differs through imjoy-rpc"
        finally:
            await disconnect(client)
            gw.stop()
    print(f"stack {list(shape)} uint16, {depth * PLANE[0] * PLANE[1] * 2 / 2**30:.1f} GiB on disk, "
          f"plane 8 MiB, chunks {arr['chunks']}, median [min-max] of {runs} runs (ms)")
    zarr_med, rpc_med = statistics.median(zarr_s), statistics.median(rpc_s)
    print(f"{'zarr endpoint (zarr-python)':<32} {summary(zarr_s)} ms   "
          f"{'remote_array.get (imjoy-rpc)':<30} {summary(rpc_s)} ms   zarr/rpc {zarr_med / rpc_med:5.2f}x   "
          f"goal < 500 ms: {'met' if zarr_med < 500 else 'NOT met'}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--gb", type=float, default=2.0)
    options = parser.parse_args()
    asyncio.run(main(options.runs, options.gb))
