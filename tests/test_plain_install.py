"""README command 1, exactly as written, in a fresh home (fresh venv, plain `pip install .`, no extras): the
gateway it starts loads a plugin and answers a call through the published imjoy-rpc client."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
from gateway_support import READY_LINE, RunningGateway, connect, disconnect
from support import free_port

pytestmark = pytest.mark.timeout(900)
REPO = Path(__file__).resolve().parents[1]


def readme_command(heading: str) -> str:
    """The one command in the ```bash block under `heading` in README.md."""
    text = (REPO / "README.md").read_text()
    section = text.split(heading, 1)[1]
    block = re.search(r"```bash\n(.*?)\n```", section, re.S)
    assert block, f"README.md has no bash block under {heading!r}"
    return block.group(1).strip()


async def test_readme_command_one_starts_plugins_from_a_plain_install(tmp_path):
    command = readme_command("## Try it")
    assert "pip install ." in command and "[" not in command, "command 1 must be a plain install, no extras"
    home = tmp_path / "home"
    home.mkdir()
    port = free_port()
    cache = os.environ.get("PIP_CACHE_DIR") or str(Path.home() / ".cache" / "pip")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHON", "IMJOY_HPC"))}
    env.update(HOME=str(home), PIP_CACHE_DIR=cache, DASK_IMJOY_HPC__SERVER__PORT=str(port),
               PATH=":".join(p for p in env.get("PATH", "").split(":") if "/.venv/" not in p))
    log_path = tmp_path / "readme-command.out"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(["bash", "-c", command], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
    gateway = None
    try:
        deadline = time.monotonic() + 780
        while READY_LINE not in log_path.read_text(errors="replace"):
            assert proc.poll() is None, f"README command 1 ended ({proc.returncode}):\n{log_path.read_text()[-4000:]}"
            assert time.monotonic() < deadline, f"no gateway after 780 s:\n{log_path.read_text()[-4000:]}"
            time.sleep(0.5)
        out = log_path.read_text()
        token = re.search(r"^token: (\S+)$", out, re.M).group(1)
        gateway = RunningGateway(proc, f"http://127.0.0.1:{port}", port, token, home / ".imjoy-hpc", log_path)
        client = await connect(gateway)
        try:
            hello = await client.load_plugin("Hello")
            assert await hello.add(2, 40) == 42
            assert await hello.echo({"plain": ["install"]}) == {"plain": ["install"]}
        finally:
            await disconnect(client)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)  # bash and the gateway it started: our own process group
            try:
                proc.wait(90)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)
    assert (home / ".imjoy-hpc-venv" / "bin" / "imjoy-hpc").is_file()
    extras = subprocess.run([str(home / ".imjoy-hpc-venv" / "bin" / "python"), "-c", "import imjoy_rpc"],
                            capture_output=True)
    assert extras.returncode != 0, "the plain install must not contain the test extra"
