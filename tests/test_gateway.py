"""The gateway end to end: a real `imjoy-hpc serve` (embedded local Dask cluster) and the real imjoy-rpc client."""

import asyncio
import signal
import socket
import time

import numpy as np
import psutil
import pytest
import socketio
import tornado.httpclient
from gateway_support import connect, disconnect, start_gateway
from support import expected_render

pytestmark = pytest.mark.timeout(240)


def wait_gone(pid: int, timeout: float) -> bool:
    """True once the process has exited (reaped or not) within `timeout` seconds."""
    try:
        proc = psutil.Process(pid)
        proc.wait(timeout)
    except psutil.NoSuchProcess:
        return True
    except psutil.TimeoutExpired:
        return False
    return True


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    gw = start_gateway(tmp_path_factory.mktemp("gateway"), {"plugins": {"export-timeout": 3}})
    yield gw
    assert gw.stop() == 0, gw.log()[-3000:]


@pytest.fixture
async def client(gateway):
    server = await connect(gateway)
    yield server
    await disconnect(server)


async def test_with_no_scheduler_a_plugin_would_start_at_once(client):
    before = len(await client.list_instances())
    told = await client.predict_start("Hello")
    assert told["profile"] == "local" and told["sooner"] == [], told
    assert told["start_note"] == "no scheduler: it runs here: it starts at once"
    assert abs(told["predicted_start"] - time.time()) < 30
    assert len(await client.list_instances()) == before  # nothing was started


async def test_catalog_lists_the_examples(client):
    names = {p["name"] for p in await client.list_plugins()}
    assert {"Hello", "Image Filter", "Progress", "Fan Out"} <= names
    assert callable(client.listPlugins) and callable(client.loadPlugin)


async def test_hello_plugin_values_callbacks_and_errors(client, gateway):
    hello = await client.load_plugin("Hello")
    nested = {"a": [1, 2.5, None, True], "b": {"c": "text", "d": [{"e": 1}]}}
    assert await hello.echo(nested) == nested
    assert await hello.add(2, 40) == 42
    heard = []
    assert await hello.greet("Ada", lambda text: heard.append(text) or "ok") == "greeted Ada"
    assert heard == ["Hello, Ada!"]
    assert await hello.config_name() == "Hello"
    assert await hello.tag() == "en"
    assert await hello.run({"config": {"who": "cluster"}}) == "Hello, cluster!"
    where = await hello.whereami()
    assert where["pid"] != gateway.proc.pid
    assert where["pid"] in [p.pid for p in gateway.descendants()], "the plugin runs in a process under the gateway"
    with pytest.raises(Exception) as info:
        await hello.fail("boom on purpose")
    text = str(info.value)
    assert "ValueError: boom on purpose" in text and "hello.imjoy.html" in text and "in fail" in text


async def test_tag_option_selects_per_tag_values(client):
    hello = await client.load_plugin("Hello", {"tag": "fr"})
    assert await hello.tag() == "fr"


async def test_image_plugin_arrays_of_several_shapes(client):
    image = await client.load_plugin("Image Filter")
    rgb = await image.render(128, 96)
    assert rgb.dtype == np.uint8 and rgb.shape == (96, 128, 3)
    np.testing.assert_array_equal(rgb, expected_render(128, 96))
    for shape in [(5, 7), (3, 4, 2), (64, 64)]:
        data = np.random.default_rng(1).random(shape).astype(np.float32)
        out = await image.smooth(data)
        assert out.dtype == np.float32 and out.shape == shape


async def test_64_mb_array_returns_intact(client):
    image = await client.load_plugin("Image Filter")
    big = await image.big(64)
    assert big.dtype == np.float32 and big.nbytes == 64 * 2**20
    np.testing.assert_array_equal(big.ravel(), np.arange(big.size, dtype=np.float32))


async def test_progress_reaches_the_client_that_launched_the_plugin(gateway):
    progress, status = [], []
    server = await connect(gateway, api={"showProgress": progress.append, "showStatus": status.append})
    try:
        plugin = await server.load_plugin("Progress")
        assert await plugin.compute(4) == 0 + 1 + 4 + 9
        for _ in range(50):
            if len(progress) == 4:
                break
            await asyncio.sleep(0.05)
        assert progress == [25, 50, 75, 100]
        assert status[-1] == "step 4/4"
    finally:
        await disconnect(server)


async def test_fanout_plugin_uses_the_dask_cluster(client):
    fan = await client.load_plugin("Fan Out")
    out = await fan.square_sum(20)
    assert out["result"] == sum(i * i for i in range(20))
    assert out["workers"] >= 1


async def test_single_instance_plugins_are_shared(client):
    source = SINGLE.replace("NAME", "Shared Counter")
    first = await client.load_plugin(source)
    second = await client.load_plugin(source)
    assert await first.bump() == 1 and await second.bump() == 2
    instances = [i for i in await client.list_instances() if i["name"] == "Shared Counter"]
    assert len(instances) == 1


SINGLE = """<config lang="json">{"name": "NAME", "type": "native-python", "flags": ["single-instance"]}</config>
<script lang="python">
from imjoy import api
class P:
    n = 0
    def bump(self):
        P.n += 1
        return P.n
api.export(P())
</script>"""


async def test_kill_plugin_ends_its_process(client, gateway):
    hello = await client.load_plugin("Hello")
    pid = (await hello.whereami())["pid"]
    info = await client.kill_plugin(hello.id)
    assert info["state"] == "stopped"
    assert await asyncio.to_thread(wait_gone, pid, 15)
    with pytest.raises(Exception):
        await asyncio.wait_for(hello.echo(1), 10)


async def test_wrong_token_is_refused_clearly(gateway):
    with pytest.raises(Exception, match="invalid or missing token"):
        await connect(gateway, token="not-the-token")


async def test_malformed_messages_get_errors_and_others_keep_working(gateway, client):
    sio = socketio.AsyncClient(reconnection=False)
    await sio.connect(gateway.url, transports=["websocket"])
    try:
        assert (await sio.call("plugin_message", {"type": "method"}, timeout=10))["success"] is False
        reply = await sio.call("register_plugin", {"name": "evil", "token": gateway.token}, timeout=10)
        assert reply["success"] is True
        for bad, detail in [("text", "must be an object"), ({"type": "method"}, "first message must be imjoyRPCReady")]:
            reply = await sio.call("plugin_message", bad, timeout=10)
            assert reply["success"] is False and detail in reply["detail"]
        await sio.call("plugin_message", {"type": "imjoyRPCReady", "peer_id": "p1", "config": {}}, timeout=10)
        reply = await sio.call("plugin_message", {"type": "method", "name": 3, "object_id": "x", "args": []}, timeout=10)
        assert reply == {"success": False, "detail": "method message needs field 'name' of type str"}
        reply = await sio.call("plugin_message", {"type": "warp"}, timeout=10)
        assert "unknown message type 'warp'" in reply["detail"]
        assert {p["name"] for p in await client.list_plugins()}  # the other client is still served
    finally:
        await sio.disconnect()


async def test_every_ack_arrives_also_when_nothing_else_is_written_to_that_client(gateway):
    """A plain success ack waits for the next packet to its client; with nothing to go with it, it goes alone."""
    sio = socketio.AsyncClient(reconnection=False)
    events = []
    sio.on("plugin_message", events.append)
    await sio.connect(gateway.url, transports=["websocket"])
    try:
        assert (await sio.call("register_plugin", {"name": "acks", "token": gateway.token}, timeout=10))["success"]
        ready = {"type": "imjoyRPCReady", "peer_id": "p1", "config": {}}
        assert await sio.call("plugin_message", ready, timeout=10) == {"success": True}
        assert any(e.get("type") == "initialize" for e in events), "the reply came with (or before) the ack"
        loop = asyncio.get_running_loop()
        for _ in range(5):  # a log message has no reply: each ack goes out on its own, soon
            start = loop.time()
            assert await sio.call("plugin_message", {"type": "log", "message": "hi"}, timeout=10) == {"success": True}
            assert loop.time() - start < 1.0
        acks = await asyncio.gather(*(sio.call("plugin_message", {"type": "log", "message": str(i)}, timeout=10)
                                      for i in range(20)))
        assert acks == [{"success": True}] * 20, "acks held together all arrive"
    finally:
        await sio.disconnect()


async def test_unknown_plugin_lists_the_available_ones(client):
    with pytest.raises(Exception, match="unknown plugin 'Nope'.*Hello"):
        await client.load_plugin("Nope")


async def test_plugin_raising_at_import_reports_its_traceback(client):
    source = BROKEN.replace("BODY", "raise RuntimeError('cannot import this')")
    with pytest.raises(Exception) as info:
        await client.load_plugin(source)
    assert "RuntimeError: cannot import this" in str(info.value)
    assert await client.list_plugins()


async def test_plugin_that_never_exports_fails_clearly(client):
    with pytest.raises(Exception, match="did not call api.export"):
        await client.load_plugin(BROKEN.replace("BODY", "x = 1").replace("api.export(P())", ""))


async def test_plugin_exiting_mid_call_gives_an_error_and_the_gateway_serves_on(client, gateway):
    plugin = await client.load_plugin(BROKEN.replace("BODY", "import os"))
    with pytest.raises(Exception, match="exited with code 7|disconnected|closed"):
        await asyncio.wait_for(plugin.die(), 30)
    other = await client.load_plugin("Hello")
    assert await other.echo("still here") == "still here"


BROKEN = """<config lang="json">{"name": "Broken", "type": "native-python"}</config>
<script lang="python">
from imjoy import api
BODY
class P:
    def die(self):
        import os
        os._exit(7)
api.export(P())
</script>"""


async def test_disconnecting_client_ends_its_plugins(gateway):
    server = await connect(gateway, name="leaving")
    hello = await server.load_plugin("Hello")
    pid = (await hello.whereami())["pid"]
    await disconnect(server)
    assert await asyncio.to_thread(wait_gone, pid, 20)


async def test_http_guards(gateway):
    http = tornado.httpclient.AsyncHTTPClient()
    page = await http.fetch(gateway.url + "/")
    assert b"imjoy-core.min.js" in page.body
    console = await http.fetch(gateway.url + "/console")
    assert b"imjoy-rpc-socketio.js" in console.body
    assert page.headers.get("Access-Control-Allow-Origin") is None
    rebound = await http.fetch(gateway.url + "/", headers={"Host": "evil.example:80"}, raise_error=False)
    assert rebound.code == 403
    info = await http.fetch(gateway.url + "/api/info", raise_error=False)
    assert info.code == 401
    info = await http.fetch(gateway.url + "/api/info", headers={"Authorization": f"Bearer {gateway.token}"})
    assert b'"success": true' in info.body
    polling = await http.fetch(gateway.url + "/socket.io/?EIO=4&transport=polling",
                               headers={"Origin": "http://evil.example"}, raise_error=False)
    assert polling.code == 400 and polling.headers.get("Access-Control-Allow-Origin") is None


def test_token_file_is_private_and_front_door_is_loopback_only(gateway):
    token_file = gateway.state_dir / "gateway.json"
    assert token_file.stat().st_mode & 0o077 == 0
    listening = [c.laddr for c in psutil.Process(gateway.proc.pid).net_connections() if c.status == "LISTEN"]
    assert listening and all(addr.ip == "127.0.0.1" for addr in listening), listening


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
async def test_stopping_the_gateway_leaves_nothing_behind(tmp_path, sig):
    gw = start_gateway(tmp_path)
    try:
        server = await connect(gw)
        hello = await server.load_plugin("Hello")
        await hello.echo(1)
        processes = gw.descendants()
        assert len(processes) >= 2  # Dask workers (and their nannies) plus the plugin process
        pids = [p.pid for p in processes]
        assert gw.stop(sig) == 0
        gone, alive = psutil.wait_procs(processes, timeout=20)
        assert not alive, f"left running: {[(p.pid, p.cmdline()) for p in alive]} of {pids}"
        await disconnect(server)
    finally:
        gw.stop(signal.SIGKILL)


def built_envs(gateway) -> list:
    """The environments the gateway built (not the tools' caches beside them, whose names start with a dot)."""
    return [p for p in (gateway.state_dir / "envs").iterdir() if p.is_dir() and not p.name.startswith(".")]


async def test_requirements_are_installed_once_and_reused(client, gateway):
    demo = await client.load_plugin("Requirements Demo")
    versions = await demo.versions()
    assert versions["tabulate"] == "0.9.0"
    envs = built_envs(gateway)  # (beside uv's cache)
    assert len(envs) == 1
    marker_times = {p: p.stat().st_mtime_ns for p in envs[0].rglob("*") if p.is_file()}
    await client.kill_plugin(demo.id)
    again = await client.load_plugin("Requirements Demo")
    assert (await again.versions())["tabulate"] == "0.9.0"
    assert built_envs(gateway) == envs
    assert {p: p.stat().st_mtime_ns for p in envs[0].rglob("*") if p.is_file()} == marker_times


async def test_requirements_refused_when_installing_is_disabled(tmp_path):
    gw = start_gateway(tmp_path, {"plugins": {"install-requirements": False}})
    try:
        server = await connect(gw)
        with pytest.raises(Exception, match="installing requirements is disabled by the site config"):
            await server.load_plugin("Requirements Demo")
        assert await (await server.load_plugin("Hello")).echo(3) == 3
        await disconnect(server)
    finally:
        assert gw.stop() == 0


DETACHABLE = """<config lang="json">{"name": "Keeper", "type": "native-python", "flags": ["allow-detach"]}</config>
<script lang="python">
import os
from imjoy import api
class P:
    value = None
    def remember(self, v):
        P.value = v
    def recall(self):
        return [P.value, os.getpid()]
api.export(P())
</script>"""


async def test_allow_detach_plugins_survive_their_client_and_can_be_reattached(gateway, tmp_path):
    source = tmp_path / "keeper.imjoy.html"
    source.write_text(DETACHABLE)
    first = await connect(gateway, name="first")
    keeper = await first.load_plugin(str(source))
    await keeper.remember("kept")
    pid = (await keeper.recall())[1]
    await disconnect(first)
    await asyncio.sleep(1.0)
    second = await connect(gateway, name="second")
    try:
        again = await second.get_plugin("Keeper")
        assert await again.recall() == ["kept", pid]
        await second.kill_plugin(again.id)
    finally:
        await disconnect(second)
