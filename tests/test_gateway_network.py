"""Where the doors listen, and what the websocket handshake offers browsers."""

import http.client
import json

import pytest
from gateway_support import start_gateway

from imjoy_hpc.gateway.app import door_address


def test_plugin_door_follows_the_profile_interface():
    assert door_address({"default-profile": "p", "profiles": {"p": {"backend": "slurm", "interface": "lo"}}}) \
        == "127.0.0.1"
    assert door_address({"default-profile": "local", "profiles": {"local": {"backend": "local"}}}) == "127.0.0.1"
    with pytest.raises(ValueError, match="network interface 'nope0' of profile 'p' has no IPv4 address"):
        door_address({"default-profile": "p", "profiles": {"p": {"backend": "slurm", "interface": "nope0"}}})



def test_plugin_door_follows_an_interface_set_in_the_jobqueue_section():
    """Workers take `interface` from jobqueue.<backend> when the profile leaves it out; so must the plugin door
    (it stayed on 127.0.0.1 while the workers were on ib0)."""
    import dask.config

    with dask.config.set({"jobqueue.slurm.interface": "nope0"}):
        with pytest.raises(ValueError, match="network interface 'nope0' of profile 'p' has no IPv4 address"):
            door_address({"default-profile": "p", "profiles": {"p": {"backend": "slurm"}}})
    with dask.config.set({"jobqueue.slurm.interface": "lo"}):
        assert door_address({"default-profile": "p", "profiles": {"p": {"backend": "slurm"}}}) == "127.0.0.1"


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    gw = start_gateway(tmp_path_factory.mktemp("network"))
    yield gw
    assert gw.stop() == 0


def upgrade(port: int, path: str, headers: dict) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path, headers={"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
                                       "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", **headers})
    return conn.getresponse()


def test_websocket_does_not_deflate_array_frames(gateway):
    response = upgrade(gateway.port, "/socket.io/?EIO=4&transport=websocket",
                       {"Origin": gateway.url, "Sec-WebSocket-Extensions": "permessage-deflate; client_max_window_bits"})
    assert response.status == 101
    assert "deflate" not in (response.getheader("Sec-WebSocket-Extensions") or "")


def test_foreign_origin_cannot_open_a_websocket(gateway):
    response = upgrade(gateway.port, "/socket.io/?EIO=4&transport=websocket", {"Origin": "http://evil.example"})
    assert response.status in (400, 403)


def test_an_invalid_config_is_refused_with_a_clear_message(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("imjoy-hpc: [unclosed\n")
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "imjoy_hpc", "serve", "--config", str(bad)], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 2 and "bad.yaml: not valid YAML" in out.stderr


def test_the_plugin_door_is_not_the_front_door(gateway):
    state = json.loads((gateway.state_dir / "gateway.json").read_text())
    host, door = state["plugin_door"].rsplit(":", 1)
    assert host == "127.0.0.1" and int(door) != gateway.port
    response = upgrade(int(door), "/link", {"Origin": gateway.url})
    assert response.status == 403, "browsers cannot reach the plugin door"
    response = upgrade(int(door), "/socket.io/?EIO=4&transport=websocket", {"Origin": gateway.url})
    assert response.status == 404, "the plugin door speaks the plugin link only"


@pytest.mark.parametrize("attempt", [{"instance_id": "x", "secret": "guess"}, "the user's token"])
async def test_the_plugin_door_takes_only_one_time_secrets(gateway, attempt):
    from imjoy_hpc.rpc.linkclient import LinkPeer, RegistrationError

    state = json.loads((gateway.state_dir / "gateway.json").read_text())
    if attempt == "the user's token":
        attempt = {"name": "me", "token": gateway.token}
    with pytest.raises(RegistrationError) as caught:
        await LinkPeer(f"http://{state['plugin_door']}", attempt).connect(timeout=10)
    assert str(caught.value) == "the server refused the connection: invalid or already used plugin secret"


async def test_a_gateway_that_never_answers_is_reported_not_waited_for():
    """A plugin process whose gateway accepts the connection but never answers (a lost handshake on a busy login
    node) tries again and then ends with the address and the reason, within the start timeout."""
    import asyncio
    import socket
    import time

    from imjoy_hpc.rpc.linkclient import LinkPeer, UnreachableError
    from imjoy_hpc.rpc.sioclient import SocketIOPeer

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    url = f"http://127.0.0.1:{silent.getsockname()[1]}"
    try:
        for transport in (LinkPeer, SocketIOPeer):  # a plugin process's link; a script's socket.io
            started = time.monotonic()
            with pytest.raises(UnreachableError) as caught:
                await asyncio.wait_for(transport(url, {"name": "probe"}).connect(timeout=12), 30)
            assert time.monotonic() - started < 14, transport
            assert str(caught.value).startswith(f"could not connect to {url} within 12 s (2 attempts"), transport
    finally:
        silent.close()
