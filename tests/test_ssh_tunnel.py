"""`imjoy-hpc tunnel` against real private sshd instances on 127.0.0.1 (tests/sshd_support.py)."""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from sshd_support import (  # noqa: F401  (fixtures)
    ClientKey,
    CliProcess,
    askpass_script,
    client_env,
    client_key,
    code_check_pam_stack,
    echo_roundtrip,
    echo_server,
    known_hosts_file,
    megabyte_through,
    sshd,
    sshd_factory,
    tunnel_cli,
)
from support import free_port, require, require_command

pytestmark = pytest.mark.ssh


_known_hosts = known_hosts_file


def _tunnel(tmp_path: Path, server, key: ClientKey | None, known: Path, remote_port: int, local_port: int,
            extra: list[str] = (), env: dict | None = None) -> CliProcess:
    return tunnel_cli(tmp_path, server, key, known, ["--remote-port", str(remote_port)], local_port, extra, env)


def _listening_addresses(port: int) -> set[str]:
    """Local addresses (hex, as in /proc/net/tcp) with a LISTEN socket on `port`."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            address, hex_port = fields[1].rsplit(":", 1)
            if int(hex_port, 16) == port and fields[3] == "0A":
                found.add(address)
    return found


def test_key_auth_forward_is_byte_exact_and_loopback_only(tmp_path, sshd, client_key, echo_server):
    known = _known_hosts(tmp_path, sshd)
    before = known.read_text()
    local = free_port()
    tunnel = _tunnel(tmp_path, sshd, client_key, known, echo_server.port, local)
    try:
        line = tunnel.read_line()
        assert f"127.0.0.1:{local} -> 127.0.0.1:{echo_server.port}" in line
        payload = os.urandom(3 * 1024 * 1024 + 17)
        assert echo_roundtrip(local, payload) == payload
        assert _listening_addresses(local) == {"0100007F"}  # 127.0.0.1 only
        assert known.read_text() == before  # nothing recorded for a known host
    finally:
        tunnel.stop()


def test_eight_concurrent_streams_byte_exact(tmp_path, sshd, client_key, echo_server):
    known = _known_hosts(tmp_path, sshd)
    local = free_port()
    tunnel = _tunnel(tmp_path, sshd, client_key, known, echo_server.port, local)
    try:
        tunnel.read_line()
        payloads = [os.urandom(4 * 1024 * 1024 + i * 4099) for i in range(8)]
        results: list[bytes | BaseException | None] = [None] * 8

        def one(i: int) -> None:
            try:
                results[i] = echo_roundtrip(local, payloads[i], timeout=120)
            except BaseException as exc:  # reported below
                results[i] = exc

        threads = [threading.Thread(target=one, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=180)
        assert not any(t.is_alive() for t in threads), "a stream did not finish within 180 s"
        for i in range(8):
            assert isinstance(results[i], bytes), f"stream {i} failed: {results[i]!r}"
            assert len(results[i]) == len(payloads[i]) and results[i] == payloads[i], f"stream {i} corrupted"
        assert echo_server.connections >= 8
    finally:
        tunnel.stop()


def test_agent_keys_are_used(tmp_path, sshd_factory, echo_server):
    agent_bin = require_command("ssh-agent", "apt-get install openssh-client")
    add_bin = require_command("ssh-add", "apt-get install openssh-client")
    key = ClientKey(tmp_path / "agentkey", name="only_in_agent")
    server = sshd_factory([key.public_line])
    sock = tmp_path / "agent.sock"
    agent = subprocess.Popen([agent_bin, "-D", "-a", str(sock)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_deadline = time.monotonic() + 10
        while not sock.exists() and time.monotonic() < wait_deadline:
            time.sleep(0.05)
        subprocess.run([add_bin, str(key.path)], env=dict(os.environ, SSH_AUTH_SOCK=str(sock)), check=True,
                       timeout=30, capture_output=True)
        key.path.unlink()  # the private key now exists only in the agent
        known = _known_hosts(tmp_path, server)
        local = free_port()
        tunnel = _tunnel(tmp_path, server, None, known, echo_server.port, local,
                         env=client_env(tmp_path / "home", SSH_AUTH_SOCK=str(sock)))
        try:
            tunnel.read_line()
            assert echo_roundtrip(local, b"through the agent") == b"through the agent"
        finally:
            tunnel.stop()
    finally:
        agent.terminate()
        agent.wait(timeout=10)


def test_proxyjump_chain_from_ssh_config(tmp_path, sshd_factory, client_key, echo_server):
    """Host aliases, HostName, User, Port, IdentityFile and a two-hop ProxyJump chain, all from an ssh config."""
    jump1 = sshd_factory([client_key.public_line], name="jump1", extra_config=["LogLevel DEBUG1"])
    jump2 = sshd_factory([client_key.public_line], name="jump2", extra_config=["LogLevel DEBUG1"])
    target = sshd_factory([client_key.public_line], name="target")
    known = _known_hosts(tmp_path, jump1, jump2, target)
    config = tmp_path / "ssh_config"
    config.write_text(
        f"Host login\n  HostName 127.0.0.1\n  Port {target.port}\n  ProxyJump gate2\n\n"
        f"Host gate2\n  HostName 127.0.0.1\n  Port {jump2.port}\n  ProxyJump gate1\n\n"
        f"Host gate1\n  HostName 127.0.0.1\n  Port {jump1.port}\n\n"
        f"Host *\n  User {target.user}\n  IdentityFile {client_key.path}\n  UserKnownHostsFile {known}\n")
    local = free_port()
    tunnel = CliProcess(["tunnel", "login", "-F", str(config), "--remote-port", str(echo_server.port),
                         "--local-port", str(local)], tmp_path / "cli", env=client_env(tmp_path / "home"))
    try:
        line = tunnel.read_line()
        assert "via" in line and str(jump1.port) in line and str(jump2.port) in line
        payload = os.urandom(1 << 20)
        assert echo_roundtrip(local, payload) == payload
    finally:
        tunnel.stop()
    # each jump host opened the next hop for us (direct-tcpip), so the chain was really used
    assert f"port {jump2.port}" in jump1.log.read_text() and "direct" in jump1.log.read_text()
    assert f"port {target.port}" in jump2.log.read_text() and "direct" in jump2.log.read_text()


def test_jump_option_overrides_config(tmp_path, sshd_factory, client_key, echo_server):
    jump = sshd_factory([client_key.public_line], name="jump", extra_config=["LogLevel DEBUG1"])
    target = sshd_factory([client_key.public_line], name="target")
    known = _known_hosts(tmp_path, jump, target)
    local = free_port()
    tunnel = _tunnel(tmp_path, target, client_key, known, echo_server.port, local,
                     extra=["-J", f"{jump.user}@127.0.0.1:{jump.port}"])
    try:
        tunnel.read_line()
        assert echo_roundtrip(local, b"jumped") == b"jumped"
    finally:
        tunnel.stop()
    assert f"port {target.port}" in jump.log.read_text()


def _kbd_server(tmp_path, sshd_factory, client_key, code: str):
    require(os.geteuid() == 0 and os.access("/etc/pam.d", os.W_OK), "root with a writable /etc/pam.d",
            "run the SSH tests as root (the keyboard-interactive test installs a PAM service of its own)")
    return sshd_factory([client_key.public_line], name="kbd",
                        extra_config=["PermitRootLogin yes",
                                      "AuthenticationMethods publickey,keyboard-interactive"],
                        pam_stack=code_check_pam_stack(tmp_path / "pam", code))


def test_keyboard_interactive_second_factor(tmp_path, sshd_factory, client_key, echo_server):
    server = _kbd_server(tmp_path, sshd_factory, client_key, "424242")
    askpass, prompts = askpass_script(tmp_path / "askpass", "424242")
    known = _known_hosts(tmp_path, server)
    local = free_port()
    tunnel = _tunnel(tmp_path, server, client_key, known, echo_server.port, local,
                     env=client_env(tmp_path / "home", SSH_ASKPASS=str(askpass), SSH_ASKPASS_REQUIRE="force"))
    try:
        tunnel.read_line()
        assert echo_roundtrip(local, b"2fa ok") == b"2fa ok"
    finally:
        tunnel.stop()
    asked = prompts.read_text()
    assert "Password" in asked and f"{server.user}@127.0.0.1" in asked
    assert "Accepted keyboard-interactive/pam" in server.log.read_text()


def test_keyboard_interactive_wrong_code_fails_clearly(tmp_path, sshd_factory, client_key):
    server = _kbd_server(tmp_path, sshd_factory, client_key, "424242")
    askpass, prompts = askpass_script(tmp_path / "askpass", "000000")
    known = _known_hosts(tmp_path, server)
    tunnel = _tunnel(tmp_path, server, client_key, known, free_port(), free_port(),
                     env=client_env(tmp_path / "home", SSH_ASKPASS=str(askpass), SSH_ASKPASS_REQUIRE="force"))
    try:
        assert tunnel.wait(timeout=120) == 1
        err = tunnel.stderr()
    finally:
        tunnel.stop()
    assert f"authentication to {server.user}@127.0.0.1:{server.port} failed" in err
    assert "publickey key file" in err and "(accepted)" in err  # the first factor passed
    assert "keyboard-interactive (answers rejected" in err
    assert "000000" not in err  # answers are never echoed
    assert len(prompts.read_text().splitlines()) == 3  # asked three times, like ssh


def test_unknown_host_key_refused_then_explicitly_accepted(tmp_path, sshd, client_key, echo_server):
    known = tmp_path / "known_hosts"
    known.write_text("")
    fingerprint = subprocess.run(["ssh-keygen", "-l", "-f", f"{sshd.host_key}.pub"], capture_output=True,
                                 text=True, check=True, timeout=30).stdout.split()[1]
    refused = _tunnel(tmp_path, sshd, client_key, known, echo_server.port, free_port())
    try:
        assert refused.wait(timeout=60) == 1
        err = refused.stderr()
    finally:
        refused.stop()
    assert "not known" in err and fingerprint in err and "--accept-new-host-key" in err
    assert known.read_text() == ""  # nothing added silently

    # answering "yes" at the prompt (here through SSH_ASKPASS) records the key
    askpass, prompts = askpass_script(tmp_path / "askpass", "yes")
    local = free_port()
    accepted = _tunnel(tmp_path, sshd, client_key, known, echo_server.port, local,
                       env=client_env(tmp_path / "home", SSH_ASKPASS=str(askpass), SSH_ASKPASS_REQUIRE="force"))
    try:
        accepted.read_line()
        assert echo_roundtrip(local, b"hello") == b"hello"
    finally:
        accepted.stop()
    assert "continue connecting" in prompts.read_text()
    assert known.read_text().split() == sshd.known_hosts_line.split()[:3]


def test_accept_new_host_key_flag_records_key(tmp_path, sshd, client_key, echo_server):
    known = tmp_path / "ssh" / "known_hosts"  # does not exist yet
    local = free_port()
    tunnel = _tunnel(tmp_path, sshd, client_key, known, echo_server.port, local, extra=["--accept-new-host-key"])
    try:
        tunnel.read_line()
        assert echo_roundtrip(local, b"x") == b"x"
    finally:
        tunnel.stop()
    assert known.read_text().split() == sshd.known_hosts_line.split()[:3]
    assert known.stat().st_mode & 0o777 == 0o600


def test_changed_host_key_refused(tmp_path, sshd, client_key, echo_server):
    other = ClientKey(tmp_path / "otherhost", name="other_host_key")  # an ed25519 key the server does not have
    known = tmp_path / "known_hosts"
    stale = f"[127.0.0.1]:{sshd.port} {' '.join(other.public_line.split()[:2])}\n"
    known.write_text("# cluster keys\n" + stale)
    fingerprint = subprocess.run(["ssh-keygen", "-l", "-f", f"{sshd.host_key}.pub"], capture_output=True,
                                 text=True, check=True, timeout=30).stdout.split()[1]
    for extra in ([], ["--accept-new-host-key"]):  # accept-new never accepts a changed key
        refused = _tunnel(tmp_path, sshd, client_key, known, echo_server.port, free_port(), extra=extra)
        try:
            assert refused.wait(timeout=60) == 1
            err = refused.stderr()
        finally:
            refused.stop()
        assert "CHANGED" in err and fingerprint in err and f"{known}:2" in err and "ssh-keygen -R" in err
        assert known.read_text() == "# cluster keys\n" + stale

    # the explicit fingerprint replaces the stale line
    local = free_port()
    tunnel = _tunnel(tmp_path, sshd, client_key, known, echo_server.port, local,
                     extra=["--accept-host-key", fingerprint])
    try:
        tunnel.read_line()
        assert echo_roundtrip(local, b"y") == b"y"
    finally:
        tunnel.stop()
    assert stale not in known.read_text()
    assert sshd.known_hosts_line.split()[2] in known.read_text()


def test_busy_local_port_refused_before_login(tmp_path, sshd, client_key):
    known = _known_hosts(tmp_path, sshd)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        tunnel = _tunnel(tmp_path, sshd, client_key, known, 80, port)
        try:
            assert tunnel.wait(timeout=30) == 1
            err = tunnel.stderr()
        finally:
            tunnel.stop()
    assert f"local port {port} on 127.0.0.1 is already in use" in err
    assert "Accepted" not in sshd.log.read_text()  # it did not even log in


def test_unreachable_host_and_failed_auth_are_clear(tmp_path, sshd_factory, client_key):
    server = sshd_factory([ClientKey(tmp_path / "someone-else").public_line])  # our key is not authorized
    known = _known_hosts(tmp_path, server)
    denied = _tunnel(tmp_path, server, client_key, known, 80, free_port())
    try:
        assert denied.wait(timeout=60) == 1
        err = denied.stderr()
    finally:
        denied.stop()
    assert f"authentication to {server.user}@127.0.0.1:{server.port} failed" in err
    assert f"publickey key file {client_key.path} (rejected)" in err and "The server accepts: publickey" in err

    closed_port = free_port()
    server.port = closed_port  # nothing listens there
    unreachable = _tunnel(tmp_path, server, client_key, known, 80, free_port())
    try:
        assert unreachable.wait(timeout=60) == 1
        err = unreachable.stderr()
    finally:
        unreachable.stop()
    assert f"cannot reach 127.0.0.1 port {closed_port}" in err and "refused" in err


def test_reconnects_after_drop_without_asking_again(tmp_path, sshd_factory, echo_server):
    """Kill the sshd processes serving the tunnel, then restart sshd: new connections work, no new prompt."""
    key = ClientKey(tmp_path / "enc", passphrase="correct horse")
    server = sshd_factory([key.public_line])
    askpass, prompts = askpass_script(tmp_path / "askpass", "correct horse")
    known = _known_hosts(tmp_path, server)
    local = free_port()
    tunnel = _tunnel(tmp_path, server, key, known, echo_server.port, local,
                     env=client_env(tmp_path / "home", SSH_ASKPASS=str(askpass), SSH_ASKPASS_REQUIRE="force"))
    try:
        tunnel.read_line()
        assert "Enter passphrase for key" in prompts.read_text()
        open_conn = socket.create_connection(("127.0.0.1", local), timeout=30)
        open_conn.sendall(b"before")
        assert open_conn.recv(100) == b"before"

        assert server.kill_connections() >= 1
        assert open_conn.recv(100) == b""  # the open connection ends (EOF), it does not hang
        open_conn.close()
        _roundtrip_eventually(local, b"after kill", timeout=60)

        server.restart()  # a full server restart drops the link as well
        _roundtrip_eventually(local, b"after restart", timeout=60)
        assert tunnel.proc.poll() is None
    finally:
        tunnel.stop()
    assert len(prompts.read_text().splitlines()) == 1  # the decrypted key was reused
    assert tunnel.stderr().count("reconnected") >= 2


def _roundtrip_eventually(port: int, payload: bytes, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            if echo_roundtrip(port, payload, timeout=30) == payload:
                return
        except OSError as exc:
            last = exc
        time.sleep(0.2)
    raise AssertionError(f"no working round trip through the tunnel within {timeout} s: {last}")


def test_proxycommand_from_ssh_config(tmp_path, sshd_factory, client_key, echo_server):
    ssh = require_command("ssh", "apt-get install openssh-client")
    jump = sshd_factory([client_key.public_line], name="jump", extra_config=["LogLevel DEBUG1"])
    target = sshd_factory([client_key.public_line], name="target")
    known = _known_hosts(tmp_path, jump, target)
    config = tmp_path / "ssh_config"
    config.write_text(
        f"Host login\n  HostName 127.0.0.1\n  Port {target.port}\n  User {target.user}\n"
        f"  IdentityFile {client_key.path}\n"
        f"  ProxyCommand {ssh} -F /dev/null -o BatchMode=yes -o UserKnownHostsFile={known} -i {client_key.path} "
        f"-p {jump.port} -W %h:%p {jump.user}@127.0.0.1\n")
    local = free_port()
    tunnel = CliProcess(["tunnel", "login", "-F", str(config), "--known-hosts", str(known),
                         "--remote-port", str(echo_server.port), "--local-port", str(local)],
                        tmp_path / "cli", env=client_env(tmp_path / "home"))
    megabyte_through(tunnel, local)
    assert f"port {target.port}" in jump.log.read_text()


def test_resolved_address_is_pinned_for_reconnects(tmp_path, sshd, client_key, monkeypatch):
    """A round-robin name is resolved once; reconnects go to the address that worked, not to another node."""
    from imjoy_hpc.ssh.auth import Authenticator
    from imjoy_hpc.ssh.client import Connector
    from imjoy_hpc.ssh.config import resolve
    from imjoy_hpc.ssh.hostkeys import HostKeyChecker
    from imjoy_hpc.ssh.prompt import Prompter

    dead_node = ("127.0.0.1", free_port())  # nothing listens there
    live_node = ("127.0.0.1", sshd.port)
    lookups = []
    real_getaddrinfo = socket.getaddrinfo

    def round_robin(host, port, *args, **kwargs):
        if host == "login.cluster.test":
            lookups.append(host)
            order = [dead_node, live_node] if len(lookups) == 1 else [live_node, dead_node]
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", addr) for addr in order]
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", round_robin)
    known = tmp_path / "known_hosts"
    known.write_text(f"[login.cluster.test]:{sshd.port} {' '.join(sshd.host_key_line.split()[:2])}\n")
    chain = resolve(f"{sshd.user}@login.cluster.test", config_file="/dev/null", port=sshd.port,
                    identity=[str(client_key.path)], known_hosts=str(known))
    connector = Connector(chain, Authenticator(Prompter()), HostKeyChecker(Prompter()))
    for _ in range(3):
        conn = connector.connect()
        try:
            assert conn.is_active()
            assert conn.transports[0].sock.getpeername() == live_node
        finally:
            conn.close()
    assert lookups == ["login.cluster.test"]  # resolved once, then pinned
    assert connector.hops[0].pinned == (socket.AF_INET, live_node)


def test_unanswered_keepalives_end_a_dead_link_and_reconnect(tmp_path, sshd, client_key, echo_server):
    """A link that silently stops answering (frozen sshd processes) is detected by keepalives and replaced."""
    import signal

    known = _known_hosts(tmp_path, sshd)
    config = tmp_path / "ssh_config"
    config.write_text("Host *\n  ServerAliveInterval 1\n  ServerAliveCountMax 2\n")
    local = free_port()
    tunnel = _tunnel(tmp_path, sshd, client_key, known, echo_server.port, local, extra=["-F", str(config)])
    frozen: list[int] = []
    try:
        tunnel.read_line()
        assert echo_roundtrip(local, b"alive") == b"alive"
        time.sleep(2.5)  # keepalives are answered while the link is healthy
        assert "keepalive" not in tunnel.stderr()
        frozen = sshd.connection_pids()
        assert frozen
        for pid in frozen:
            os.kill(pid, signal.SIGSTOP)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and "reconnected" not in tunnel.stderr():
            time.sleep(0.1)
        err = tunnel.stderr()
        assert "did not answer a keepalive within 2 s" in err and "reconnected" in err, err
        _roundtrip_eventually(local, b"new link", timeout=30)
    finally:
        for pid in frozen:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        tunnel.stop()


def test_passphrase_and_2fa_code_are_asked_on_the_terminal(tmp_path, sshd_factory, echo_server):
    """The real terminal path: prompts appear on the controlling tty (not stdout) and answers are not echoed."""
    import pty
    import selectors
    import sys

    key = ClientKey(tmp_path / "enc", passphrase="tty passphrase")
    server = _kbd_server(tmp_path, sshd_factory, key, "135790")
    known = _known_hosts(tmp_path, server)
    local = free_port()
    master, slave = pty.openpty()
    slave_name = os.ttyname(slave)

    def controlling_tty() -> None:  # runs in the child: a new session whose controlling terminal is the pty
        os.setsid()
        os.close(os.open(slave_name, os.O_RDWR))

    proc = subprocess.Popen(
        [sys.executable, "-m", "imjoy_hpc", "tunnel", f"{server.user}@127.0.0.1", "-p", str(server.port),
         "-i", str(key.path), "--known-hosts", str(known), "-F", "/dev/null", "--remote-port", str(echo_server.port),
         "--local-port", str(local)],
        stdin=slave, stdout=subprocess.PIPE, stderr=slave, env=client_env(tmp_path / "home"),
        preexec_fn=controlling_tty)
    os.close(slave)
    screen = b""
    answers = [(b"Enter passphrase for key", b"tty passphrase\n"), (b"Password:", b"135790\n")]
    try:
        with selectors.DefaultSelector() as selector:
            selector.register(master, selectors.EVENT_READ)
            deadline = time.monotonic() + 60
            while answers and time.monotonic() < deadline:
                if selector.select(1):
                    try:
                        screen += os.read(master, 4096)
                    except OSError:
                        break
                if answers[0][0] in screen:
                    os.write(master, answers.pop(0)[1])
        assert not answers, f"prompts not seen on the terminal; it showed: {screen!r}"
        with selectors.DefaultSelector() as selector:  # the tunnel prints its line once logged in
            selector.register(proc.stdout, selectors.EVENT_READ)
            assert selector.select(30), f"no output line; the terminal showed: {screen!r}"
        line = proc.stdout.readline().decode()
        assert f"127.0.0.1:{local}" in line
        assert echo_roundtrip(local, b"typed at the terminal") == b"typed at the terminal"
        assert b"135790" not in screen and b"tty passphrase" not in screen  # no echo of secrets
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()
        os.close(master)


def test_closed_remote_port_closes_the_local_connection_and_says_why(tmp_path, sshd, client_key):
    known = _known_hosts(tmp_path, sshd)
    closed_remote, local = free_port(), free_port()
    tunnel = _tunnel(tmp_path, sshd, client_key, known, closed_remote, local)
    try:
        tunnel.read_line()
        with socket.create_connection(("127.0.0.1", local), timeout=30) as c:
            assert c.recv(10) == b""  # closed, not left hanging
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and "refused the forwarded connection" not in tunnel.stderr():
            time.sleep(0.05)
        assert f"127.0.0.1:{closed_remote} on 127.0.0.1 refused the forwarded connection" in tunnel.stderr()
        assert tunnel.proc.poll() is None  # the tunnel itself keeps running
    finally:
        tunnel.stop()
