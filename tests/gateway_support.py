"""Start a real `imjoy-hpc serve` subprocess for tests, and connect the real imjoy-rpc Python client to it."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import yaml
from support import free_port, require

try:
    import imjoy_rpc
except ImportError:  # pragma: no cover - reported by require() in the tests
    imjoy_rpc = None

READY_LINE = "imjoy-hpc gateway ready at "


@dataclass
class RunningGateway:
    proc: subprocess.Popen
    url: str
    port: int
    token: str
    state_dir: Path
    log_path: Path

    def descendants(self) -> list[psutil.Process]:
        try:
            return psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 90) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
                raise AssertionError(f"the gateway did not stop within {timeout} s:\n{self.log()[-3000:]}")
        return self.proc.returncode


def start_gateway(tmp_path: Path, settings: dict | None = None, timeout: float = 90,
                  env: dict | None = None, port: int | None = None, token: str | None = None) -> RunningGateway:
    """`imjoy-hpc serve` on a free port (or `port`) with a private state directory and a config of the test's own
    (`env`: the gateway's environment, default this process's; `token`: pinned, default a new one)."""
    state_dir = tmp_path / "state"
    # Tests end their clients' sessions with the connection (as before sessions had a grace period), unless they
    # test sessions: the imjoy-rpc client's dispose() cannot say goodbye before its socket closes.
    config = {"imjoy-hpc": {"state-dir": str(state_dir), "sessions": {"grace-period": 0}, **(settings or {})}}
    config_file = tmp_path / "gateway.yaml"
    config_file.write_text(yaml.safe_dump(config))
    port, token = port or free_port(), token or secrets.token_urlsafe(24)
    log_path = tmp_path / "gateway.out"
    env = {**(os.environ if env is None else env), "IMJOY_HPC_TOKEN": token}
    env.pop("IMJOY_HPC_CONFIG", None)
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "imjoy_hpc", "serve", "--port", str(port),
                                 "--config", str(config_file)], stdout=log, stderr=subprocess.STDOUT, env=env)
    gateway = RunningGateway(proc, f"http://127.0.0.1:{port}", port, token, state_dir, log_path)
    deadline = time.monotonic() + timeout
    while READY_LINE not in gateway.log():
        if proc.poll() is not None or time.monotonic() > deadline:
            gateway.stop(signal.SIGKILL)
            raise AssertionError(f"the gateway did not start:\n{gateway.log()[-3000:]}")
        time.sleep(0.1)
    return gateway


async def connect(gateway: RunningGateway, name: str = "test-client", token: str | None = None, api: dict | None = None):
    """The real imjoy-rpc client connected to the gateway; `api` is exported as the client's own API."""
    require(imjoy_rpc is not None, "the imjoy-rpc Python client", 'pip install "imjoy-rpc[socketio]==0.5.59"')
    server = await imjoy_rpc.connect_to_server(
        {"server_url": gateway.url, "name": name, "token": gateway.token if token is None else token})
    if api is not None:
        await server.export(api)
    return server


async def disconnect(server, goodbye: float = 0.0) -> None:
    """Dispose the client's RPC and wait until its socket is closed (dispose() alone only schedules that);
    `goodbye`: seconds to let the messages dispose() sends go out first."""
    try:
        server.dispose()
    except Exception:  # noqa: BLE001
        pass
    if goodbye:
        await asyncio.sleep(goodbye)
    sio = server._rpc._connection.sio
    if sio.connected:
        await sio.disconnect()
    for _ in range(50):
        await asyncio.sleep(0.02)
        if not sio.connected:
            break


async def recording_client(gateway: RunningGateway) -> tuple[Any, list[str], list[dict]]:
    """A connected client that records what it is shown: (client, its showMessage texts, its onPluginStatus infos)."""
    messages: list[str] = []
    statuses: list[dict] = []

    async def show_message(text):
        messages.append(text)

    async def on_status(info):
        statuses.append(info)

    client = await connect(gateway, api={"showMessage": show_message, "onPluginStatus": on_status})
    return client, messages, statuses


async def walltime_expiry(gateway: RunningGateway, source: str) -> tuple[list[str], dict]:
    """Load `source` on a gateway whose profile has a short walltime; (the messages the plugin's owner was shown,
    the first `failed` status), once the job has ended at its walltime."""
    from slurm_support import async_wait_for

    client, messages, statuses = await recording_client(gateway)
    try:
        await client.load_plugin(source)
        await async_wait_for(lambda: messages, 60, what="the walltime warning")
        failed = await async_wait_for(lambda: next((s for s in statuses if s["state"] == "failed"), None), 150,
                                      what="the plugin to be reported failed")
        return messages, failed
    finally:
        await disconnect(client)


async def queued_then_running(gateway: RunningGateway, source: str, options: dict | None,
                              is_reason: Callable[[str], bool], free: Callable[[], None]) -> tuple[dict, str, list]:
    """Load `source` while the queue is full: (its first queued status with a job id and a pending reason that
    `is_reason` accepts, the job the plugin then runs in, every status it had), after `free()` made room."""
    from slurm_support import async_wait_for

    statuses: list[dict] = []

    async def on_status(info):
        statuses.append(info)

    client = await connect(gateway, api={"onPluginStatus": on_status})
    try:
        loading = asyncio.ensure_future(client.load_plugin(source, options or {}))
        queued = await async_wait_for(
            lambda: next((s for s in statuses if s["state"] == "queued" and s.get("job_id")
                          and is_reason(s.get("reason") or "")), None), 60,
            what="a queued status with the scheduler's pending reason")
        assert not loading.done(), "the plugin started although its job was queued"
        free()
        plugin = await asyncio.wait_for(loading, 120)
        return queued, await plugin.job(), statuses
    finally:
        await disconnect(client)


async def killed_during_a_call(gateway: RunningGateway, source: str, options: dict | None,
                               kill: Callable[[str], None]) -> tuple[str, str, dict]:
    """Kill the job of a plugin in the middle of a long call `nap(120)`: (the job id, the call's error, the
    plugin's instance record), once the gateway has shown it still serves another plugin."""
    client = await connect(gateway)
    try:
        plugin = await client.load_plugin(source, options or {})
        job = await plugin.job()
        call = asyncio.ensure_future(plugin.nap(120))
        await asyncio.sleep(1)
        kill(job)
        try:
            await asyncio.wait_for(call, 60)
        except asyncio.TimeoutError:
            raise AssertionError(f"the call still waits 60 s after job {job} was killed") from None
        except Exception as exc:  # noqa: BLE001 - the error the caller checks
            error = str(exc)
        else:
            raise AssertionError("the call succeeded although its job was killed")
        hello = await client.load_plugin("Hello")  # the gateway keeps serving
        assert await hello.echo("ok") == "ok"
        return job, error, {i["id"]: i for i in await client.list_instances()}[plugin.id]
    finally:
        await disconnect(client)


class Heard:
    """A client's own API for tests: what plugins and the gateway tell it (statuses, showStatus lines)."""

    def __init__(self) -> None:
        self.statuses: list[dict] = []
        self.status_lines: list[str] = []

    def api(self, **extra) -> dict:
        return {"onPluginStatus": self.statuses.append, "showStatus": self.status_lines.append, **extra}

    def states(self, instance_id: str) -> list[str]:
        return [s["state"] for s in self.statuses if s.get("id") == instance_id]

    def warnings(self) -> list[str]:
        return [line for line in self.status_lines if ": warning: " in line]
