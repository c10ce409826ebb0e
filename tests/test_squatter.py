"""A port squatter after a crash (issue 26, item 4): the gateway is killed with SIGKILL, a second Unix user binds
its freed TCP port and answers as a socket.io server would; imjoy-hpc's own client, reconnecting with the old URL
and token, asks the server to prove that it knows the token first, refuses the squatter in words, and the squatter
receives no token (nor anything it could replay). The workspace tab that was connected says the server on its port
is not the gateway, and the squatter sees no token in anything the tab sends."""

from __future__ import annotations

import json
import pwd
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from urllib.parse import unquote

import pytest
from gateway_support import start_gateway
from neighbour_support import NEIGHBOUR_PYTHON, SQUATTER, second_user

from imjoy_hpc.rpc.proof import SERVER, proof, tab_key
from imjoy_hpc.rpc.sioclient import RegistrationError, connect_to_gateway

pytest_plugins = ["browser_support"]
pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def neighbour():
    """A second Unix user, deleted afterwards."""
    yield from second_user()


def http_get(url: str, bearer: str | None = None) -> tuple[int, str]:
    """Status and body of a GET (`bearer`: the Authorization header's credential)."""
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def start_squatter(user: str, port: int) -> tuple[subprocess.Popen, list[str]]:
    """The squatter (a child of ours, stopped by its PID) once it has bound `port`; the lines it records."""
    entry = pwd.getpwnam(user)
    squatter = subprocess.Popen([NEIGHBOUR_PYTHON, "-c", SQUATTER, str(port), "60"], user=entry.pw_uid,
                                group=entry.pw_gid, extra_groups=[], cwd="/", env={"PATH": "/usr/bin:/bin"},
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(squatter.stdout), daemon=True).start()
    deadline = time.monotonic() + 30
    while not any('"bound"' in line for line in lines):
        if squatter.poll() is not None or time.monotonic() > deadline:
            squatter.kill()
            raise AssertionError(f"the squatter did not bind port {port}: {squatter.stderr.read()}")
        time.sleep(0.05)
    return squatter, lines


@pytest.mark.browser
def test_the_workspace_tab_says_the_squatter_is_not_the_gateway(browser_page, tmp_path, neighbour):
    from test_workspace import open_workspace

    gw = start_gateway(tmp_path, {})
    page = browser_page
    try:
        open_workspace(page, gw)
    finally:
        gw.stop(signal.SIGKILL)
    squatter, lines = start_squatter(neighbour, gw.port)
    try:
        page.wait_for_function("() => [...document.querySelectorAll('#messages li')].some("
                               "l => l.textContent.includes('is not your imjoy-hpc gateway'))", timeout=60_000)
        said = page.locator("#messages li", has_text="is not your imjoy-hpc gateway").first.inner_text()
        assert "did not prove that it knows the token" in said and "the token was not sent" in said, said
        page.wait_for_timeout(2000)  # the tab's client keeps knocking meanwhile
    finally:
        squatter.kill()
        squatter.wait(30)
    assert any('"request"' in line for line in lines), "the tab reached the squatter"
    assert gw.token not in "".join(lines), "the squatter received the token"


async def test_a_squatter_on_the_gateways_port_gets_no_token(tmp_path, neighbour):
    gw = start_gateway(tmp_path, {})
    client = await connect_to_gateway(gw.url, gw.token, "before the crash")
    assert await client.peer.remote.list_plugins()  # a client of the real gateway registers with a proof
    await client.disconnect()
    gw.stop(signal.SIGKILL)
    squatter, lines = start_squatter(neighbour, gw.port)
    try:
        with pytest.raises(RegistrationError) as caught:
            await connect_to_gateway(gw.url, gw.token, "after the crash")
        said = str(caught.value)
        assert said.startswith(f"{gw.url} is not your imjoy-hpc gateway: it did not prove that it knows the token"), said
        assert "the token was not sent" in said
        time.sleep(0.5)
    finally:
        squatter.kill()
        squatter.wait(30)
    frames = [json.loads(line)["frame"] for line in lines if line.startswith('{"frame"')]
    assert any("auth_challenge" in f for f in frames), lines  # it was asked to prove itself...
    assert not any("register_plugin" in f for f in frames), frames  # ...and given nothing more
    assert gw.token not in "".join(lines)


@pytest.mark.browser
def test_a_reloaded_tab_gives_the_squatter_nothing_it_can_use(browser_page, tmp_path, neighbour):
    """After the crash the tab is reloaded and the squatter's own page reads what the tab keeps: not the token, and
    the tab key it finds is refused by the gateway started again with the same pinned token."""
    from test_workspace import open_workspace

    (tmp_path / "first").mkdir()
    (tmp_path / "again").mkdir()
    gw = start_gateway(tmp_path / "first", {})
    page = browser_page
    try:
        open_workspace(page, gw)
        page.reload()  # the tab key alone brings the tab back to the same gateway process
        page.wait_for_function("() => document.getElementById('status').dataset.state === 'connected'",
                               timeout=60_000)
    finally:
        gw.stop(signal.SIGKILL)
    squatter, lines = start_squatter(neighbour, gw.port)
    try:
        page.reload()
        deadline = time.monotonic() + 30
        while not any("GET /loot?" in line for line in lines) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        squatter.kill()
        squatter.wait(30)
    loot = next(line for line in lines if "GET /loot?" in line)
    assert gw.token not in "".join(lines), "the squatter's page read the token"
    stolen = json.loads(unquote(json.loads(loot)["request"].split("GET /loot?", 1)[1].split(" ", 1)[0]))
    keys = [value for value in stolen["session"].values() if value.startswith("tab.")]
    assert keys, stolen  # what the tab keeps for reloads...
    again = start_gateway(tmp_path / "again", {}, port=gw.port, token=gw.token)
    try:  # ...is worth nothing to the gateway started again with the same token
        assert http_get(f"{again.url}/api/info", keys[0])[0] == 401
        assert http_get(f"{again.url}/api/info", again.token)[0] == 200
    finally:
        again.stop()


def test_a_tab_key_is_the_token_for_its_gateway_process_only(tmp_path):
    """The key a page keeps opens this gateway process's HTTP routes like the token (its registrations: the reload
    in the test above); the gateway proves it knows the key; a key for another process opens nothing."""
    gw = start_gateway(tmp_path, {})
    try:
        challenge = json.loads(http_get(f"{gw.url}/api/challenge?client_nonce={'n' * 16}")[1])
        key = tab_key(gw.token, challenge["process"])
        assert challenge["tab_proof"] == proof(key, SERVER, "n" * 16, challenge["server_nonce"])
        assert http_get(f"{gw.url}/api/info", key)[0] == 200
        wrong = tab_key(gw.token, "another-process")
        assert http_get(f"{gw.url}/api/info", wrong)[0] == 401
    finally:
        gw.stop()
