"""Plugins written as published ImJoy plugins are (the legacy engine's semantics), through a real gateway and the
real imjoy-rpc client: `api` without an import, indented scripts, per-tag requirements with empty entries,
attachments, conda environments from a local channel, installs as a visible step with their own timeout,
abandoned installs leaving no process, and errors a person can read."""

from __future__ import annotations

import asyncio
import textwrap
import time
from pathlib import Path

import psutil
import pytest
from gateway_support import Heard, connect, disconnect, start_gateway
from package_support import hpc_channel, make_source_package

pytestmark = pytest.mark.timeout(300)
START_TIMEOUT = 5


def imjoy_file(config: str, script: str, extra: str = "") -> str:
    """A plugin file as published ones look: the script block indented inside the HTML."""
    indented = textwrap.indent(textwrap.dedent(script), "    ")
    return f'<config lang="json">\n{config}\n</config>\n  <script lang="python">\n{indented}  </script>\n{extra}'


LEGACY = imjoy_file('''{
  "name": "Legacy Style", "type": "native-python", "version": "0.1.0",
  "tags": ["CPU", "GPU"],
  "requirements": {"CPU": ["", "pip:"], "GPU": ["pip:imjoy-hpc-test-never-installed"]},
  "env": {"CPU": "", "GPU": "conda create -n never-made nothing-here"},
  "flags": []
}''', '''
    import os

    class ImJoyPlugin():
        def setup(self):
            api.log("legacy setup ran")

        async def facts(self):
            notes = await api.getAttachment("notes")
            return {"tag": api.TAG, "engine": api.ENGINE_URL, "notes": notes, "cwd": os.getcwd() == api.WORK_DIR}

        async def ask(self):
            return await api.prompt("Your name?", "nobody")

        async def window(self):
            return await api.createWindow(type="imjoy/image", name="view", data={"x": 1})

    api.export(ImJoyPlugin())
''', '<attachment name="notes">line one\nline two</attachment>\n')

BROKEN_NAME = imjoy_file('{"name": "Broken Name", "type": "native-python"}', '''
    class ImJoyPlugin():
        def setup(self):
            pass

    undefined_helper()
    api.export(ImJoyPlugin())
''')


def requirement_plugin(name: str, requirements: list[str], env: str | None = None, body: str = "") -> str:
    config = {"name": name, "type": "native-python", "requirements": requirements, **({"env": env} if env else {})}
    import json

    return imjoy_file(json.dumps(config), f'''
    import subprocess

    class ImJoyPlugin():
        def setup(self):
            pass

        def check(self):
            {body or "return 'ok'"}

    api.export(ImJoyPlugin())
''')


@pytest.fixture(scope="module")
def channel(tmp_path_factory) -> str:
    return hpc_channel(tmp_path_factory.mktemp("channel"))


@pytest.fixture(scope="module")
def gateway(tmp_path_factory, channel):
    gw = start_gateway(tmp_path_factory.mktemp("legacy"), {"plugins": {
        "export-timeout": 5, "start-timeout": START_TIMEOUT, "install-timeout": 120,
        "conda": {"channels": [channel]}}})
    yield gw
    assert gw.stop() == 0, gw.log()[-3000:]


async def test_legacy_plugin_runs_unmodified(gateway):
    heard = Heard()
    client = await connect(gateway, api=heard.api(prompt=lambda message, default=None: f"Ada ({message})"))
    try:
        plugin = await client.load_plugin(LEGACY, {"tag": "CPU"})
        facts = await plugin.facts()
        assert facts == {"tag": "CPU", "engine": gateway.url, "notes": "line one\nline two", "cwd": True}
        assert await plugin.ask() == "Ada (Your name?)"
        with pytest.raises(Exception) as err:
            await plugin.window()
        assert "api.createWindow is not available" in str(err.value)
        assert "unexpected keyword argument" not in str(err.value)
    finally:
        await disconnect(client)


async def test_prompt_without_a_client_that_answers_fails_naming_it(gateway):
    client = await connect(gateway)
    try:
        plugin = await client.load_plugin(LEGACY, {"tag": "CPU"})
        with pytest.raises(Exception) as err:
            await plugin.ask()
        assert "api.prompt needs a client that answers it" in str(err.value)
    finally:
        await disconnect(client)


async def test_script_error_reads_in_words_first_with_the_plugin_traceback_once(gateway):
    client = await connect(gateway)
    try:
        with pytest.raises(Exception) as err:
            await client.load_plugin(BROKEN_NAME)
        text = str(err.value)
        line = BROKEN_NAME.splitlines().index("    undefined_helper()") + 1
        first = text.strip().splitlines()[0]
        assert first.endswith("plugin 'Broken Name' failed to start: NameError: name 'undefined_helper' is not "
                              f"defined (line {line} of its script)"), text
        assert text.count("Traceback (most recent call last)") == 1 and "imjoy_hpc/" not in text, text
        assert "undefined_helper()" in text  # the plugin's own frame, with its source line
    finally:
        await disconnect(client)


async def test_conda_env_plugin_is_installed_once_then_reused(gateway):
    body = "import hpcmod; return hpcmod.hello() + ' / ' + subprocess.run(['hpctool', 'job'], " \
           "capture_output=True, text=True).stdout.strip()"
    source = requirement_plugin("Conda Env", [], env="conda create -n hpc-demo hpcmod", body=body)
    heard = Heard()
    client = await connect(gateway, api=heard.api())
    try:
        first = await client.load_plugin(source)
        assert await first.check() == "hpcmod ok / hpctool ok job"
        assert "installing" in heard.states(first.id)
        assert any("conda packages hpcmod" in line for line in heard.status_lines), heard.status_lines
        second = await client.load_plugin(source)
        assert await second.check() == "hpcmod ok / hpctool ok job"
        assert "installing" not in heard.states(second.id) and "running" in heard.states(second.id)
    finally:
        await disconnect(client)


async def test_slow_install_outlives_the_start_timeout(gateway, tmp_path):
    slow = make_source_package(tmp_path, "hpc_slowbuild", sleep=START_TIMEOUT + 4)
    source = requirement_plugin("Slow Install", [f"pip:{slow}"], body="import hpc_slowbuild; return hpc_slowbuild.VALUE")
    heard = Heard()
    client = await connect(gateway, api=heard.api())
    try:
        started = time.monotonic()
        plugin = await client.load_plugin(source)
        assert time.monotonic() - started > START_TIMEOUT
        assert await plugin.check() == "hpc_slowbuild"
        states = heard.states(plugin.id)
        assert states.index("installing") < states.index("starting") < states.index("running"), states
        assert any("installing pip packages" in line for line in heard.status_lines)
    finally:
        await disconnect(client)


async def test_failing_pip_requirement_names_the_failing_line_and_the_log(gateway, tmp_path):
    broken = make_source_package(tmp_path, "hpc_broken", fail="hpc_broken needs the FFTW headers: fftw3.h not found")
    client = await connect(gateway)
    try:
        with pytest.raises(Exception) as err:
            await client.load_plugin(requirement_plugin("Broken Pip", [f"pip:{broken}"]))
        text = str(err.value)
        assert "plugin 'Broken Pip' failed to start: plugin Broken Pip: could not install pip packages" in text
        assert "RuntimeError: hpc_broken needs the FFTW headers: fftw3.h not found" in text.splitlines()[0]
        log = Path(text.split("(full log: ")[1].split(")")[0])
        assert log.is_file() and "fftw3.h not found" in log.read_text()
    finally:
        await disconnect(client)


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


async def test_start_abandoned_during_install_leaves_no_pip_process(gateway, tmp_path):
    pids = tmp_path / "pids"
    slow = make_source_package(tmp_path, "hpc_endless", sleep=120, pid_file=pids)
    heard = Heard()
    client = await connect(gateway, api=heard.api())
    try:
        load = asyncio.ensure_future(client.load_plugin(requirement_plugin("Endless Install", [f"pip:{slow}"])))
        deadline = time.monotonic() + 60
        while not (pids.exists() and pids.read_text().strip()) and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        backend, pip = map(int, pids.read_text().split())
        assert not gone(backend) and not gone(pip)
        instance = next(i for i in await client.list_instances() if i["name"] == "Endless Install")
        assert instance["state"] == "installing"
        await client.kill_plugin(instance["id"])
        deadline = time.monotonic() + 15
        while not (gone(backend) and gone(pip)) and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        assert gone(backend) and gone(pip), "the pip build must be stopped with the abandoned start"
        with pytest.raises(Exception):
            await asyncio.wait_for(load, 30)
        ended = next(i for i in await client.list_instances() if i["id"] == instance["id"])
        assert ended["state"] == "stopped"
    finally:
        await disconnect(client)
