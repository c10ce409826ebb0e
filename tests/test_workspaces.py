"""Workspaces the gateway remembers: saved by one client, read by another and after a gateway restart, renamed,
exported and imported, deleted; bad requests refused in words; files private to the user."""

from __future__ import annotations

import json
import stat

import pytest
from gateway_support import connect, disconnect, start_gateway

from imjoy_hpc.gateway.workspaces import MAX_BYTES, WorkspaceError, WorkspaceStore

pytestmark = pytest.mark.timeout(120)

HELLO = '<config lang="json">{"name": "Hello"}</config><script lang="python">api.export({})</script>'
WORKSPACE = {"plugins": [{"name": "Hello", "source": HELLO, "origin": "editor", "version": "0.1.0",
                          "form": {"sigma": 2.5}}],
             "settings": {"layout": "grid"}}


def test_store_keeps_workspaces_private_and_refuses_bad_ones(tmp_path):
    store = WorkspaceStore(tmp_path / "workspaces")
    assert [w["name"] for w in store.list()] == ["default"] and store.get()["plugins"] == []
    store.save("My analysis", WORKSPACE)
    path = next((tmp_path / "workspaces").glob("*.json"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert store.get("My analysis")["plugins"][0]["form"] == {"sigma": 2.5}
    for name, data, words in [
        ("../etc", WORKSPACE, "without '/'"),
        ("x", {"plugins": "Hello"}, '"plugins" must be a list'),
        ("x", {"plugins": [{"source": HELLO}]}, 'a plugin entry needs a "name"'),
        ("x", {"plugins": [{"name": "big", "source": "x" * (MAX_BYTES + 1)}]}, "MB are kept"),
    ]:
        with pytest.raises(WorkspaceError) as err:
            store.save(name, data)
        assert words in str(err.value)
    with pytest.raises(WorkspaceError, match="not an exported workspace"):
        store.import_('{"plugins": []}')


async def test_a_workspace_survives_another_client_and_a_gateway_restart(tmp_path):
    gateway = start_gateway(tmp_path)
    try:
        first = await connect(gateway)
        saved = await first.save_workspace("Cells", WORKSPACE)
        assert saved["name"] == "Cells" and saved["plugins"] == 1
        await disconnect(first)
        second = await connect(gateway, name="other-browser")
        assert (await second.get_workspace("Cells"))["plugins"] == WORKSPACE["plugins"]
        await disconnect(second)
    finally:
        assert gateway.stop() == 0
    gateway = start_gateway(tmp_path)  # same state directory
    try:
        client = await connect(gateway)
        names = [w["name"] for w in await client.listWorkspaces()]
        assert "Cells" in names
        assert (await client.getWorkspace("Cells"))["settings"] == {"layout": "grid"}
        await client.rename_workspace("Cells", "Cells v2")
        exported = await client.export_workspace("Cells v2")
        assert json.loads(exported)["format"] == "imjoy-hpc-workspace"
        await client.import_workspace(exported, "Copy")
        assert (await client.get_workspace("Copy"))["plugins"][0]["source"] == HELLO
        assert await client.delete_workspace("Cells v2") is True
        assert "Cells v2" not in [w["name"] for w in await client.list_workspaces()]
        with pytest.raises(Exception) as err:
            await client.rename_workspace("Nope", "X")
        assert "there is no workspace 'Nope'" in str(err.value)
        await disconnect(client)
    finally:
        assert gateway.stop() == 0
