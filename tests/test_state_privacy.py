"""The gateway's state directory keeps to its owner: every directory the gateway makes in it is 0700 and every file
it writes there 0600 (logs, workspaces, plugins' work directories, uploads, Dask's TLS files), and a second Unix
user (created here, deleted afterwards) can neither list nor read any of them, even where the state directory
itself lets others pass (a home made group-traversable)."""

from __future__ import annotations

import asyncio
import json
import os
import pwd
import shutil
import stat
import subprocess
import tempfile
import textwrap
import urllib.request
from pathlib import Path

import pytest
from gateway_support import RunningGateway, connect, disconnect, start_gateway
from neighbour_support import NEIGHBOUR_PYTHON, second_user

pytestmark = pytest.mark.timeout(300)

WRITER = """<config lang="json">{"name": "Private Files", "type": "native-python"}</config>
<script lang="python">
import os
from imjoy import api

class Plugin:
    def write(self):
        with open("made-by-plugin.txt", "w") as f:
            f.write("the plugin's own file")
        api.log("wrote a file")
        return os.getcwd()

api.export(Plugin())
</script>"""


@pytest.fixture(scope="module")
def neighbour():
    """A second Unix user, deleted afterwards."""
    yield from second_user()


async def exercised(gw: RunningGateway) -> dict[str, Path]:
    """Make the gateway write what it keeps: a plugin given as source (its work directory, its log, the local
    cluster's TLS files), a workspace, an uploaded file. The paths it made, by kind."""
    client = await connect(gw)
    try:
        work = Path(await (await client.load_plugin(WRITER)).write())
        await client.save_workspace("mine", {"plugins": []})

        def upload() -> dict:
            request = urllib.request.Request(f"{gw.url}/upload/notes.txt", data=b"private notes", method="PUT",
                                             headers={"Authorization": f"Bearer {gw.token}"})
            with urllib.request.urlopen(request, timeout=30) as answer:
                return json.loads(answer.read())

        uploaded = await asyncio.to_thread(upload)
        assert uploaded["success"], uploaded
    finally:
        await disconnect(client)
    state = gw.state_dir
    logs = sorted(state.glob("logs/*/plugin-*.log"))
    assert logs and work.parent == state / "plugin-work", (logs, work)
    return {"workspaces": state / "workspaces", "workspace": state / "workspaces" / "mine.json",
            "plugin-work": state / "plugin-work", "plugin's directory": work,
            "plugin's file": work / "made-by-plugin.txt", "uploads": state / "uploads",
            "upload's directory": Path(uploaded["path"]).parent, "upload": Path(uploaded["path"]),
            "logs": state / "logs", "session's logs": logs[0].parent, "plugin log": logs[0]}


def modes(state: Path) -> dict[str, str]:
    """Every path under `state` (relative) with its permission bits, except what the gateway does not write itself:
    Dask's scratch files inside its worker space and the files a plugin makes in its work directory (their
    directories are listed)."""
    found = {}
    for root, dirs, files in os.walk(state):
        here = Path(root)
        for name in dirs + files:
            path = here / name
            relative = path.relative_to(state)
            parts = relative.parts
            if "dask-worker-space" in parts[:-1] or (parts[0] == "plugin-work" and len(parts) > 2):
                continue
            found[str(relative)] = oct(stat.S_IMODE(path.lstat().st_mode))
    return found


async def test_every_directory_the_gateway_makes_is_0700_and_every_file_0600(tmp_path):
    gw = start_gateway(tmp_path)
    try:
        paths = await exercised(gw)
        seen = modes(gw.state_dir)
    finally:
        assert gw.stop() == 0
    assert oct(stat.S_IMODE(gw.state_dir.stat().st_mode)) == "0o700"
    for kind in ("workspaces", "plugin-work", "uploads", "logs", "session's logs", "plugin's directory",
                 "upload's directory", "workspace", "upload", "plugin log"):
        assert str(paths[kind].relative_to(gw.state_dir)) in seen, (kind, sorted(seen))
    assert any(name.endswith("dask-worker-space") for name in seen) and any("/tls-" in name for name in seen)
    wrong = {name: mode for name, mode in seen.items()
             if mode != ("0o700" if (gw.state_dir / name).is_dir() else "0o600")}
    assert wrong == {}, f"not private: {wrong}"


NEIGHBOUR_TRIES = """
    import json, os, sys
    tried = {}
    for kind, path in json.loads(sys.stdin.read()).items():
        try:
            if os.path.isdir(path):
                os.listdir(path)
            else:
                os.close(os.open(path, os.O_RDONLY))
            tried[kind] = "ok"
        except OSError as exc:
            tried[kind] = exc.strerror
    print(json.dumps(tried))
"""


def as_neighbour(user: str, code: str, stdin: str) -> dict:
    """The neighbour's Python, run directly as that user (a child of ours, waited for)."""
    entry = pwd.getpwnam(user)
    proc = subprocess.run([NEIGHBOUR_PYTHON, "-c", textwrap.dedent(code)], user=entry.pw_uid, group=entry.pw_gid,
                          extra_groups=[], cwd="/", env={"PATH": "/usr/bin:/bin"}, input=stdin,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


async def test_a_neighbour_can_neither_list_nor_read_workspaces_plugin_work_uploads_or_logs(neighbour):
    # Under a directory the neighbour may pass through (pytest's own tmp_path is 0700 to everyone else).
    base = Path(tempfile.mkdtemp(prefix="imjoy-hpc-state-privacy-"))
    try:
        base.chmod(0o711)
        gw = start_gateway(base)
        try:
            paths = await exercised(gw)
            # The state directory is 0700, which alone keeps the neighbour out; let it pass, as a home made
            # group-traversable would, to see that what lies inside is private in its own right.
            gw.state_dir.chmod(0o711)
            readable = gw.state_dir / "readable-by-all.txt"  # the control: what others may read, they can
            readable.write_text("public")
            readable.chmod(0o644)
            tried = as_neighbour(neighbour, NEIGHBOUR_TRIES,
                                 json.dumps({"control": str(readable), **{k: str(v) for k, v in paths.items()}}))
        finally:
            gw.state_dir.chmod(0o700)
            assert gw.stop() == 0
    finally:
        shutil.rmtree(base, ignore_errors=True)
    assert tried.pop("control") == "ok"
    assert tried == {kind: "Permission denied" for kind in paths}, tried


def test_private_dir_makes_every_missing_directory_0700_and_leaves_those_there(tmp_path):
    from imjoy_hpc.files import private_dir

    there = tmp_path / "there"
    there.mkdir(mode=0o755)
    there.chmod(0o755)
    old = os.umask(0o022)
    try:
        made = private_dir(there / "a" / "b")
        assert private_dir(made) == made  # already there: nothing to do
    finally:
        os.umask(old)
    assert [oct(stat.S_IMODE(p.stat().st_mode)) for p in (there, there / "a", made)] == ["0o755", "0o700", "0o700"]
    (made / "file").write_text("x")
    with pytest.raises(NotADirectoryError):
        private_dir(made / "file")


def test_the_spool_directory_made_under_the_state_directory_is_0700(tmp_path):
    """Arrays are spooled under $TMPDIR, or under the state directory's spool/ when that has no room."""
    from imjoy_hpc.transport.uploads import Uploads

    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    uploads = Uploads(parent=str(state / "spool"))
    old = os.umask(0o022)
    try:
        spools = uploads.spool_dir
    finally:
        os.umask(old)
        uploads.close()
    assert spools.parent == state / "spool"
    assert oct(stat.S_IMODE((state / "spool").stat().st_mode)) == "0o700"
