"""Plugin files in the style of published ImJoy plugins that ImJoy (and the legacy engine) accepted run here too,
through a real gateway and the real imjoy-rpc client, with a warning (to the client, once, and in the plugin's log)
where something is odd: string `tags`, requirement keys naming no tag, `web-python-window`, a standard-library
module listed as a requirement, per-tag `env` dicts, `conda config --add channels`, `git clone` steps in `env`,
`cmd:` requirements by default, ops registered without an ImJoy app, and promise-style `.then(cb)` results."""

from __future__ import annotations

import asyncio
import json
import subprocess
import textwrap
from pathlib import Path

import pytest
from gateway_support import Heard, connect, disconnect, start_gateway
from slurm_support import async_wait_for
from package_support import hpc_channel, index_channel, make_conda_package, make_source_package

pytestmark = pytest.mark.timeout(300)


def imjoy_file(config: dict, script: str) -> str:
    """A plugin file as published ones look: the script indented inside the HTML."""
    indented = textwrap.indent(textwrap.dedent(script), "    ")
    return (f'<config lang="json">\n{json.dumps(config, indent=2)}\n</config>\n'
            f'  <script lang="python">\n{indented}  </script>\n')


CHECK = '''
    import os

    class ImJoyPlugin():
        def setup(self):
            pass

        def check(self):
            {body}

    api.export(ImJoyPlugin())
'''


def checking_plugin(config: dict, body: str) -> str:
    return imjoy_file(config, CHECK.replace("{body}", body))


@pytest.fixture(scope="module")
def channels(tmp_path_factory) -> tuple[str, str]:
    """The site's channel (hpcmod, hpctool) and one only a plugin names (othermod)."""
    site = hpc_channel(tmp_path_factory.mktemp("site-channel"))
    own = tmp_path_factory.mktemp("plugin-channel")
    make_conda_package(own, "othermod", "1.0", {"bin/othermod": (b"#!/bin/sh\necho othermod ok\n", 0o755)})
    return site, index_channel(own)


@pytest.fixture(scope="module")
def gateway(tmp_path_factory, channels):
    gw = start_gateway(tmp_path_factory.mktemp("published"), {"plugins": {
        "export-timeout": 10, "start-timeout": 30, "install-timeout": 120,
        "conda": {"channels": [channels[0]], "plugin-channels": True}}})
    yield gw
    assert gw.stop() == 0, gw.log()[-3000:]


async def test_what_imjoy_accepted_runs_with_each_warning_once(gateway, tmp_path):
    package = make_source_package(tmp_path, "hpc_published")
    source = checking_plugin({
        "name": "Loose Config", "type": "web-python-window", "tags": "", "version": "0.1.0",
        "requirements": ["os", f"pip:{package}"],
    }, "import hpc_published; return hpc_published.VALUE")
    heard = Heard()
    client = await connect(gateway, api=heard.api())
    try:
        plugin = await client.load_plugin(source)
        assert await plugin.check() == "hpc_published"  # the rest of the requirements installed
        expected = ['plugin type "web-python-window" runs here as a Python plugin; its window part is not shown',
                    "requirement 'os' is part of Python's standard library: not installed"]
        await async_wait_for(lambda: len(heard.warnings()) >= 2, 10, what="the warnings")
        for text in expected:
            assert heard.warnings().count(f"Loose Config: warning: {text}") == 1, heard.status_lines
        info = next(i for i in await client.list_instances() if i["id"] == plugin.id)
        assert info["warnings"] == expected or sorted(info["warnings"]) == sorted(expected)
        log = next((gateway.state_dir / "logs").glob(f"*/plugin-{plugin.id}.log")).read_text()
        assert all(log.count(f"warning: {text}") == 1 for text in expected), log
        assert any(s.get("warning") for s in heard.statuses)  # onPluginStatus carries it too
    finally:
        await disconnect(client)


async def test_tag_keys_spelled_unlike_the_tags_and_a_per_tag_env_dict(gateway):
    source = checking_plugin({
        "name": "Tagged Env", "type": "native-python", "tags": ["CPU", "Window-GPU"],
        "requirements": {"CPU": [], "Windows-GPU": ["pip:imjoy-hpc-never-installed"]},
        "env": {"CPU": "conda create -n tagged-cpu hpcmod", "Windows-GPU": "conda create -n tagged-gpu nothing"},
    }, "import hpcmod; return hpcmod.hello()")
    heard = Heard()
    client = await connect(gateway, api=heard.api())
    try:
        plugin = await client.load_plugin(source)
        assert await plugin.check() == "hpcmod ok"
        await async_wait_for(lambda: heard.warnings(), 10, what="the warnings")
        assert any("\"requirements\" is keyed by 'Windows-GPU', which is not a tag" in w for w in heard.warnings())
        assert any("\"env\" is keyed by 'Windows-GPU'" in w for w in heard.warnings())
    finally:
        await disconnect(client)


async def test_env_steps_channels_and_commands_run_as_imjoy_ran_them(gateway, channels, tmp_path):
    repo = tmp_path / "tools-repo"
    repo.mkdir()
    (repo / "README").write_text("tools\n")
    for cmd in (["init", "-q"], ["add", "README"],
                ["-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-m", "tools"]):
        subprocess.run(["git", *cmd], cwd=repo, check=True, capture_output=True)
    source = checking_plugin({
        "name": "Env Steps", "type": "native-python",
        "requirements": ["cmd:echo built > built.txt"],
        "env": [f"conda config --add channels {channels[1]}", "conda create -n steps othermod -y",
                f"git clone {repo.as_uri()} tools && echo cloned > tools/marker"],
    }, "import subprocess; return [open('built.txt').read().strip(), open('tools/marker').read().strip(), "
       "subprocess.run(['othermod'], capture_output=True, text=True).stdout.strip()]")
    heard = Heard()
    client = await connect(gateway, api=heard.api())
    try:
        plugin = await client.load_plugin(source)
        assert await plugin.check() == ["built", "cloned", "othermod ok"]
        assert any("running requirement command: git clone" in line for line in heard.status_lines), heard.status_lines
    finally:
        await disconnect(client)


OPS = imjoy_file({"name": "Op Plugin", "type": "native-python", "ui": "main op"}, '''
    class ImJoyPlugin():
        async def setup(self):
            await api.register({"name": "Blur", "ui": "sigma {id: 'sigma', type: 'number', placeholder: 2}",
                                "run": self.blur})
            await api.register({"name": "Threshold", "ui": "level"})
            await api.register({"name": "Gone"})
            await api.unregister("Gone")

        def run(self, my):
            return {"op": my._op, "config": dict(my.config)}

        def blur(self, my):
            return {"blurred": my.config.sigma, "op": my._op}

    api.export(ImJoyPlugin())
''')


async def test_ops_registered_without_an_imjoy_app_run_with_op(gateway):
    client = await connect(gateway)
    try:
        plugin = await client.load_plugin(OPS)
        assert await plugin.run({"config": {"a": 1}}) == {"op": "Op Plugin", "config": {"a": 1}}
        assert await plugin.run({"_op": "Threshold", "config": {"level": 3}}) == \
            {"op": "Threshold", "config": {"level": 3}}
        assert await plugin.run({"_op": "Blur", "config": {"sigma": 2}}) == {"blurred": 2, "op": "Blur"}
        assert await plugin.run({"_op": "Gone", "config": {}}) == {"op": "Gone", "config": {}}
    finally:
        await disconnect(client)


THEN = imjoy_file({"name": "Then Style", "type": "native-python"}, '''
    class ImJoyPlugin():
        def setup(self):
            pass

        def sync_then(self):
            seen = []
            chained = api.showStatus("from a thread").then(lambda result: seen.append(result) or "then ran")
            return [chained.result(timeout=10), seen, api.getConfig("_name").then(str.upper).result(timeout=10)]

        async def async_then(self):
            name = await api.getConfig("_name").then(lambda n: n + "!")
            caught = await api.alert("x").then(lambda r: "ok").catch(lambda e: "caught")
            return [name, await api.showStatus("from the loop").then(lambda r: "then ran"), caught]

    api.export(ImJoyPlugin())
''')


async def test_api_results_take_then_callbacks_in_sync_and_async_plugins(gateway):
    heard = Heard()
    client = await connect(gateway, api={**heard.api(), "alert": lambda text: None})
    try:
        plugin = await client.load_plugin(THEN)
        assert await plugin.sync_then() == ["then ran", [None], "THEN STYLE"]
        assert await plugin.async_then() == ["Then Style!", "then ran", "ok"]
        assert "from a thread" in heard.status_lines and "from the loop" in heard.status_lines
    finally:
        await disconnect(client)


async def test_a_site_that_turns_commands_off_is_named_in_the_refusal(tmp_path):
    gw = start_gateway(tmp_path, {"plugins": {"allow-requirement-commands": False, "start-timeout": 30}})
    client = await connect(gw)
    try:
        with pytest.raises(Exception) as err:
            await client.load_plugin(checking_plugin(
                {"name": "Cmd Off", "type": "native-python", "requirements": ["cmd:echo hi"]}, "return 1"))
        first = str(err.value).strip().splitlines()[0]
        assert "requirement 'cmd:echo hi' would run a command" in first, first
        assert "imjoy-hpc.plugins.allow-requirement-commands: false" in first, first
    finally:
        await disconnect(client)
        assert gw.stop() == 0


async def test_a_plugin_that_predates_its_unpinned_package_gets_a_hint_and_resolves_as_of_a_date(gateway):
    predates = checking_plugin({"name": "Old API", "type": "native-python", "requirements": ["tabulate"]},
                               "return 'unused'").replace("import os", "from tabulate import tabulate_v0_api")
    client = await connect(gateway)
    try:
        with pytest.raises(Exception) as err:
            await client.load_plugin(predates)
        text = str(err.value)
        assert "ImportError: cannot import name 'tabulate_v0_api' from 'tabulate'" in text.splitlines()[0], text
        hint = [line for line in text.splitlines() if line.startswith("hint: ")]
        assert len(hint) == 1 and hint[0].startswith("hint: tabulate ") and "resolve-as-of: 20" in hint[0], hint
        assert "the plugin pins no version of it" in hint[0]
        assert text.splitlines().index(hint[0]) >= len(text.splitlines()) - 2, text  # after the traceback
        dated = checking_plugin({"name": "Dated", "type": "native-python", "requirements": ["tabulate"],
                                 "hpc": {"resolve-as-of": "2021-06-01"}},
                                "import tabulate; return tabulate.__version__")
        plugin = await client.load_plugin(dated)
        assert await plugin.check() == "0.8.9"
        by_option = await client.load_plugin(dated.replace('"2021-06-01"', '"2020-01-01"'),
                                             {"resolve-as-of": "2021-06-01"})
        assert await by_option.check() == "0.8.9"  # the load option wins over the file's date
        with pytest.raises(Exception) as err:
            await client.load_plugin(dated, {"resolve-as-of": "last summer"})
        assert "resolve-as-of must be a date like 2021-06-01, got 'last summer'" in str(err.value)
    finally:
        await disconnect(client)


HOUSEKEEPING = imjoy_file({"name": "House Keeping", "type": "native-python"}, '''
    import os, subprocess, time, urllib.request

    class ImJoyPlugin():
        def setup(self):
            pass

        def where(self):
            open("notes.txt", "w").write("kept")
            return [os.getcwd(), api.WORK_DIR]

        def kill_children(self):
            child = subprocess.Popen(["/bin/sh", "-c", "sleep 300 & sleep 300; wait"])
            time.sleep(0.5)
            grandchildren = [int(p) for p in subprocess.run(["pgrep", "-P", str(child.pid)], capture_output=True,
                                                            text=True).stdout.split()]
            api.utils.kill(child)
            time.sleep(0.2)
            return [child.poll() is not None] + [not os.path.exists(f"/proc/{p}") or
                                                 open(f"/proc/{p}/stat").read().split()[2] == "Z"
                                                 for p in grandchildren]

        def download(self, url):
            return urllib.request.urlopen(url, timeout=5).read()

        def service(self):
            return api.register_service({"name": "x"})

    api.export(ImJoyPlugin())
''')


async def test_legacy_engine_housekeeping_work_dir_kill_and_words(gateway):
    from support import free_port

    client = await connect(gateway)
    try:
        plugin = await client.load_plugin(HOUSEKEEPING)
        cwd, work_dir = await plugin.where()
        assert cwd == work_dir and cwd.startswith(str(gateway.state_dir / "plugin-work")), cwd  # its own directory
        assert (Path(cwd) / "notes.txt").read_text() == "kept"
        assert await plugin.kill_children() == [True, True, True]  # the child and its children; the plugin lives
        url = f"http://127.0.0.1:{free_port()}/data/cells.tif"  # nothing listens there
        with pytest.raises(Exception) as err:
            await plugin.download(url)
        assert f"(could not reach {url})" in str(err.value).splitlines()[0], str(err.value)
        with pytest.raises(Exception) as err:
            await plugin.service()
        assert "api.registerService is not available: it needs the ImJoy web app" in str(err.value)
    finally:
        await disconnect(client)


async def test_a_client_hands_a_plugin_an_image_larger_than_the_pre_registration_limit(gateway):
    """The imjoy-rpc client starts on long-polling and upgrades to a websocket, then registers: the registered
    session's size limit must reach that websocket (it kept the 64 KiB pre-registration one)."""
    import numpy as np

    source = imjoy_file({"name": "Sum Image", "type": "native-python"}, '''
    class ImJoyPlugin():
        def setup(self):
            pass

        def total(self, image):
            return [float(image.sum()), list(image.shape), str(image.dtype)]

    api.export(ImJoyPlugin())
''')
    client = await connect(gateway)
    try:
        plugin = await client.load_plugin(source)
        image = np.arange(512 * 512, dtype=np.float32).reshape(512, 512)  # 1 MiB
        assert await asyncio.wait_for(plugin.total(image), 60) == [float(image.sum()), [512, 512], "float32"]
    finally:
        await disconnect(client)
