"""A published-style plugin whose conda env pins Python 3.6 runs through a real gateway on a real Python 3.9 other
than the gateway's (Debian's pypy3, given as conda packages of a local channel as a site's mirror would): the pin
raised with a warning that reaches the client, the runtime's packages solved into the env, arrays both ways
(small ones to the plugin; from it, one that travels as a link attachment and one
streamed to the gateway), a callback into the client, and `api.*` calls."""

from __future__ import annotations

import asyncio
import json
import textwrap

import numpy as np
import pytest
from gateway_support import connect, disconnect, start_gateway
from pypy_support import pypy_channel

pytestmark = pytest.mark.timeout(300)

CONFIG = {"name": "Old Conda Env", "type": "native-python", "version": "0.1.0", "tags": ["CPU"],
          "env": "conda create -n old-style python=3.6 numpy", "requirements": [], "flags": []}
SCRIPT = '''
    import sys
    import numpy as np
    from imjoy import api

    class ImJoyPlugin():
        def setup(self):
            api.log("setup on " + sys.implementation.name)

        def facts(self):
            return {"implementation": sys.implementation.name, "python": "%d.%d" % sys.version_info[:2],
                    "numpy": np.__version__}

        def double(self, array):
            return array * 2

        def ramp(self, count):
            return np.arange(count, dtype="float64").reshape(-1, 1024)

        async def report(self, callback):
            await api.showStatus("reporting from " + sys.implementation.name)
            api.log("calling back")
            answer = await callback(np.arange(6, dtype="uint16").reshape(2, 3))
            return answer + 1

    api.export(ImJoyPlugin())
'''
SOURCE = (f'<config lang="json">\n{json.dumps(CONFIG, indent=2)}\n</config>\n'
          f'  <script lang="python">\n{textwrap.indent(textwrap.dedent(SCRIPT), "    ")}  </script>\n')
WARNING = ("Old Conda Env: warning: the environment asks for python=3.6, but the imjoy-hpc plugin runtime runs on "
           "Python 3.9 or newer: it gets Python 3.9 instead (imjoy-hpc.plugins.conda.old-python: raise)")


@pytest.fixture(scope="module")
def pypy():
    return pypy_channel()


@pytest.fixture(scope="module")
def gateway(tmp_path_factory, pypy):
    gw = start_gateway(tmp_path_factory.mktemp("pypy"), {"plugins": {
        "export-timeout": 30, "start-timeout": 60, "install-timeout": 120, "conda": {"channels": [pypy[0]]}}})
    yield gw
    assert gw.stop() == 0, gw.log()[-3000:]


async def test_an_env_pinning_python_3_6_runs_on_python_3_9_end_to_end(gateway, pypy):
    lines: list[str] = []
    logged: list[str] = []
    client = await connect(gateway, api={"showStatus": lines.append, "log": lambda *m: logged.append(" ".join(m)),
                                         "onPluginStatus": lambda status: None})
    try:
        plugin = await client.load_plugin(SOURCE)
        facts = await plugin.facts()
        assert (facts["implementation"], facts["python"]) == ("pypy", ".".join(pypy[1].split(".")[:2]))
        small = np.arange(12, dtype=np.float32).reshape(3, 4)
        np.testing.assert_array_equal(await plugin.double(small), small * 2)
        image = np.arange(255 * 128, dtype=np.uint16).reshape(255, 128)  # just under the link's attachment size
        np.testing.assert_array_equal(await plugin.double(image), image * 2)
        for count in (2**13, 2**20):  # 64 KiB: a link attachment; 8 MiB: streamed to the gateway
            ramp = await plugin.ramp(count)
            assert ramp.dtype == np.float64 and ramp.shape == (count // 1024, 1024)
            np.testing.assert_array_equal(ramp.ravel(), np.arange(count, dtype=np.float64))
        seen = []

        def callback(array):
            seen.append(array)
            return int(array.sum())

        assert await plugin.report(callback) == 15 + 1
        assert seen[0].dtype == np.uint16 and seen[0].tolist() == [[0, 1, 2], [3, 4, 5]]
        for _ in range(100):
            if "calling back" in logged and "Old Conda Env: reporting from pypy" in " ".join(lines):
                break
            await asyncio.sleep(0.05)
        assert "setup on pypy" in logged and "calling back" in logged, logged
        assert "reporting from pypy" in lines or any(line.endswith("reporting from pypy") for line in lines), lines
        assert lines.count(WARNING) == 1, lines
        log = next((gateway.state_dir / "logs").glob(f"*/plugin-{plugin.id}.log")).read_text()
        assert "the environment's Python is 3.9" in log and log.count("gets Python 3.9 instead") == 1, log
    finally:
        await disconnect(client)
