"""`imjoy-hpc tunnel` and OpenSSH's `ssh -L` over the same WAN-shaped link (tests/shaped_link.py: 20 ms each way,
200 Mbit/s) between the laptop side and a real private sshd; benchmarks/bench_tunnel.py --delay-ms 20
--rate-mbit 200 --gateway measures them side by side."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import socket
import subprocess
import time
import types

import pytest

from gateway_support import connect, disconnect, start_gateway
from shaped_link import ShapedLink
from sshd_support import (  # noqa: F401  (fixtures)
    client_key,
    echo_roundtrip,
    echo_server,
    sshd,
    sshd_factory,
    tunnel_cli,
)
from support import free_port, require_command, stop_process

pytestmark = [pytest.mark.ssh, pytest.mark.slow, pytest.mark.timeout(300)]

DELAY, RATE = 0.020, 200e6 / 8  # one way; bytes per second


def wait_listening(port: int, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the forwarder exited ({proc.returncode}) before listening on {port}"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing listens on {port} after {timeout} s")


def test_tunnel_and_openssh_carry_bytes_and_gateway_calls_over_a_wan_link(tmp_path, sshd, client_key, echo_server):
    require_command("ssh", "apt-get install openssh-client")
    link = ShapedLink(sshd.port, DELAY, RATE)
    known = tmp_path / "known_hosts"
    known.write_text(sshd.known_hosts_line.replace(f"]:{sshd.port} ", f"]:{link.port} ") + "\n")
    via_link = types.SimpleNamespace(user=sshd.user, port=link.port)  # what tunnel_cli needs of a server
    (tmp_path / "gateway").mkdir()
    gateway = start_gateway(tmp_path / "gateway")
    forwards = []
    openssh = None
    try:
        ours = tunnel_cli(tmp_path, via_link, client_key, known, ["--remote-port", str(echo_server.port)],
                          ours_port := free_port())
        forwards.append(ours)
        ours.read_line()
        payload = os.urandom(16 << 20)
        assert echo_roundtrip(ours_port, payload) == payload
        t0 = time.monotonic()
        assert echo_roundtrip(ours_port, b"x") == b"x"
        assert time.monotonic() - t0 >= 2 * DELAY  # the shaped link is really in the path

        openssh = subprocess.Popen(
            ["ssh", "-N", "-L", f"{(openssh_port := free_port())}:127.0.0.1:{echo_server.port}", "-p",
             str(link.port), "-i", str(client_key.path), "-o", f"UserKnownHostsFile={known}", "-o",
             "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "ExitOnForwardFailure=yes", "-F", "/dev/null",
             f"{sshd.user}@127.0.0.1"], stdin=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_listening(openssh_port, openssh)
        assert echo_roundtrip(openssh_port, payload) == payload

        to_gateway = tunnel_cli(tmp_path, via_link, client_key, known, ["--remote-port", str(gateway.port)],
                                gateway_port := free_port())
        forwards.append(to_gateway)
        to_gateway.read_line()

        async def call_over_the_link() -> list[str]:
            client = await connect(dataclasses.replace(gateway, url=f"http://127.0.0.1:{gateway_port}"))
            try:
                hello = await client.load_plugin("Hello")
                return [await hello.echo(f"over the WAN {i}") for i in range(5)]
            finally:
                await disconnect(client)

        assert asyncio.run(asyncio.wait_for(call_over_the_link(), 120)) == [f"over the WAN {i}" for i in range(5)]
    finally:
        for forward in forwards:
            forward.stop()
        if openssh is not None:
            stop_process(openssh)
        gateway.stop()
        link.close()
