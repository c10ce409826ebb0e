"""Arrays spooled by the plugin door when the temporary directory is short of room (issue 26, item 6): a shared
$TMPDIR a neighbour filled makes the gateway spool in its state directory instead; when there is no room anywhere,
or the disk fills during an upload, the plugin is told "no room in <dir> (N MB free)". Real tmpfs file systems
(mounted here, unmounted afterwards), a real gateway, and the real upload handler on a real socket."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
from pathlib import Path

import numpy as np
import pytest
import tornado.httpserver
import tornado.netutil
import tornado.web
from gateway_support import start_gateway
from support import require

from imjoy_hpc.transport.uploads import ArrayUploadHandler, Uploads
from imjoy_hpc.rpc.sioclient import connect_to_gateway
from imjoy_hpc.rpc.upload import ArrayUploader, UploadError

pytestmark = pytest.mark.timeout(180)
MB = 2**20


@contextlib.contextmanager
def tmpfs(path: Path, size_mb: int):
    """A tmpfs of `size_mb` MB at `path` (unmounted afterwards)."""
    require(os.geteuid() == 0, "root", "run the tests as root (they mount a small tmpfs)")
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mb}m,mode=1777", "tmpfs", str(path)], check=True,
                   timeout=30)
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=True, timeout=30)


def fill(path: Path, leave_mb: float) -> Path:
    """A file that leaves `leave_mb` MB free on the file system of `path` (as a neighbour's would)."""
    free = os.statvfs(path).f_bavail * os.statvfs(path).f_frsize
    filler = path / "neighbours-file"
    with open(filler, "ab") as f:
        os.posix_fallocate(f.fileno(), 0, max(0, free - int(leave_mb * MB)) + os.path.getsize(filler))
    return filler


async def test_a_low_tmpdir_falls_back_to_the_state_directory(tmp_path):
    with tmpfs(tmp_path / "tmp", 64) as small:
        fill(small, 6)  # 6 MB free: not room for an 8 MB array (and 5 % kept free)
        gw = start_gateway(tmp_path, env={**os.environ, "TMPDIR": str(small)})
        try:
            client = await connect_to_gateway(gw.url, gw.token, "spool check")
            try:
                image = await client.peer.remote.load_plugin("Image Filter")
                arr = await image.big(8)  # larger than a chunk: spooled on its way
                assert arr.size == 2 * MB and float(arr.ravel()[-1]) == float(np.float32(2 * MB - 1))
            finally:
                await client.disconnect()
            spools = [p for p in (gw.state_dir / "spool").iterdir() if p.name.startswith("imjoy-hpc-spool-")]
            assert len(spools) == 1 and spools[0].stat().st_mode & 0o777 == 0o700
        finally:
            assert gw.stop() == 0


@contextlib.asynccontextmanager
async def upload_door(parent: Path, fallback: Path | None):
    """The plugin door's upload route (the real handler) on a socket of 127.0.0.1, with one session's key."""
    uploads = Uploads(str(parent), fallback)
    app = tornado.web.Application([(r"/array/([0-9a-f]{32})", ArrayUploadHandler, {"uploads": uploads})])
    server = tornado.httpserver.HTTPServer(app)
    [sock] = tornado.netutil.bind_sockets(0, "127.0.0.1", family=socket.AF_INET)
    server.add_sockets([sock])
    box = uploads.open_box()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}", box.key
    finally:
        server.stop()
        uploads.close()


async def test_no_room_anywhere_is_said_precisely(tmp_path):
    with tmpfs(tmp_path / "fs", 64) as small:
        (small / "tmp").mkdir()
        (small / "state").mkdir()
        fill(small, 6)
        async with upload_door(small / "tmp", small / "state") as (url, key):
            with pytest.raises(UploadError) as caught:
                await ArrayUploader(url, "/array/", key).upload("ab" * 16, memoryview(bytes(8 * MB)))
    said = str(caught.value)
    assert said.startswith("the gateway refused an array of 8388608 bytes: no room for a 8 MB array: "), said
    assert f"{small / 'tmp'} has 6 MB free" in said and f"{small / 'state'} has 6 MB free" in said, said


async def test_a_disk_filling_mid_upload_is_said_in_words(tmp_path):
    with tmpfs(tmp_path / "tmp", 64) as small:
        async with upload_door(small, None) as (url, key):
            port = int(url.rsplit(":", 1)[1])
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            size = 32 * MB
            writer.write(f"PUT /array/{'cd' * 16} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\n"
                         f"Content-Length: {size}\r\n\r\n".encode())
            writer.write(bytes(MB))  # the upload is under way (accepted: there was room)...
            await writer.drain()
            await asyncio.sleep(0.5)
            filler = fill(small, 0)  # ...when a neighbour fills the disk
            writer.write(bytes(size - MB))
            await writer.drain()
            answer = (await asyncio.wait_for(reader.read(), 30)).decode()
            writer.close()
            filler.unlink()
    head, _, body = answer.partition("\r\n\r\n")
    assert head.startswith("HTTP/1.1 507"), answer
    assert f"no room in {small} (0 MB free) for a 32 MB array: the disk filled up during the upload" in body, body
