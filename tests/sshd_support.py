"""Private OpenSSH servers on 127.0.0.1 for tests and benchmarks.

Each server has its own config, host key, authorized keys, pid file and log in a directory of the test's; it is
stopped by its PID. The system sshd config and service are never touched. The only shared things are the
privilege-separation directory /run/sshd (sshd needs it) and, for keyboard-interactive tests, one PAM service file
/etc/pam.d/<unique name> of the test's own, removed when the server stops.
"""

from __future__ import annotations

import getpass
import os
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from support import free_port, require_command, stop_process

HOW = "apt-get install openssh-server openssh-client"
PAM_DIR = Path("/etc/pam.d")


def ssh_keygen(path: Path, key_type: str = "ed25519", passphrase: str = "", comment: str = "imjoy-hpc-test") -> str:
    """Create a key pair at `path` (private, 0600) and `path`.pub; return the public key line."""
    keygen = require_command("ssh-keygen", HOW)
    args = [keygen, "-q", "-t", key_type, "-N", passphrase, "-C", comment, "-f", str(path)]
    if key_type == "rsa":
        args[3:3] = ["-b", "2048"]
    subprocess.run(args, check=True, timeout=60, stdin=subprocess.DEVNULL)
    return Path(f"{path}.pub").read_text().strip()


def sshd_path() -> str:
    """Absolute path of sshd (it re-executes itself and needs one)."""
    if os.access("/usr/sbin/sshd", os.X_OK):
        return "/usr/sbin/sshd"
    return os.path.abspath(require_command("sshd", HOW))


def _descendants(pid: int) -> list[int]:
    """PIDs of every process below `pid` (children first found through /proc)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


class SshServer:
    """One private `sshd -D` on 127.0.0.1 with its own host key and an authorized client key."""

    def __init__(
        self,
        workdir: Path,
        authorized_keys: list[str],
        extra_config: list[str] | tuple[str, ...] = (),
        pam_stack: str | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.sshd = sshd_path()
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.user = getpass.getuser()
        self.host_key = self.dir / "ssh_host_ed25519_key"
        self.host_key_line = ssh_keygen(self.host_key, comment="imjoy-hpc-test-host")
        self.authorized_keys = self.dir / "authorized_keys"
        self.authorized_keys.write_text("".join(line.strip() + "\n" for line in authorized_keys))
        self.pid_file = self.dir / "sshd.pid"
        self.log = self.dir / "sshd.log"
        self.config = self.dir / "sshd_config"
        self.extra_config = list(extra_config)
        self.pam_stack = pam_stack
        self.pam_service: str | None = None
        self.program = self.sshd
        self.env = env or {}
        self.proc: subprocess.Popen | None = None
        if pam_stack is not None:
            # sshd names its PAM service after the program it was started as: a uniquely named link gives this
            # server a PAM stack of its own without touching /etc/pam.d/sshd.
            self.pam_service = f"imjoy-hpc-test-{uuid.uuid4().hex[:12]}"
            link = self.dir / self.pam_service
            link.symlink_to(self.sshd)
            self.program = str(link)
        self._write_config()

    def _write_config(self) -> None:
        # sshd keeps the first value it reads for a keyword: the test's own lines come first.
        lines = [
            *self.extra_config,
            "ListenAddress 127.0.0.1",
            f"Port {self.port}",
            f"HostKey {self.host_key}",
            f"PidFile {self.pid_file}",
            f"AuthorizedKeysFile {self.authorized_keys}",
            "PermitRootLogin prohibit-password",
            "PasswordAuthentication no",
            f"UsePAM {'yes' if self.pam_stack is not None else 'no'}",
            f"KbdInteractiveAuthentication {'yes' if self.pam_stack is not None else 'no'}",
            "StrictModes no",
            "AllowTcpForwarding yes",
            "AllowStreamLocalForwarding yes",  # forwards to Unix sockets (the gateway's socket door)
            "MaxStartups 50:30:100",
            "MaxSessions 50",
            "PrintMotd no",
            "LogLevel VERBOSE",
            *(f"SetEnv {k}={v}" for k, v in self.env.items()),
        ]
        self.config.write_text("\n".join(lines) + "\n")

    @property
    def known_hosts_line(self) -> str:
        """This server's line for a known_hosts file."""
        key_type, blob = self.host_key_line.split()[:2]
        return f"[127.0.0.1]:{self.port} {key_type} {blob}"

    def start(self, timeout: float = 15.0) -> "SshServer":
        """Start sshd and wait until it sends its banner (a port taken meanwhile is replaced, up to 3 times)."""
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
        if self.pam_stack is not None and self.pam_service is not None:
            pam_file = PAM_DIR / self.pam_service
            pam_file.write_text(self.pam_stack)
        check = subprocess.run([self.program, "-t", "-f", str(self.config)], capture_output=True, text=True,
                               timeout=30)
        if check.returncode != 0:
            raise RuntimeError(f"sshd rejected {self.config}: {check.stderr.strip()}")
        for attempt in range(3):
            try:
                return self._start_once(timeout)
            except RuntimeError:
                if attempt == 2 or "Address already in use" not in self.log_tail():
                    raise
                self.port = free_port()
                self._write_config()
        return self

    def _start_once(self, timeout: float) -> "SshServer":
        self.proc = subprocess.Popen([self.program, "-D", "-f", str(self.config), "-E", str(self.log)],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                code, self.proc = self.proc.returncode, None
                raise RuntimeError(f"sshd exited with {code}: {self.log_tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    if s.recv(64).startswith(b"SSH-2.0"):
                        return self
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"sshd did not answer on 127.0.0.1:{self.port} within {timeout} s: {self.log_tail()}")

    def connection_pids(self) -> list[int]:
        """PIDs of the sshd processes serving connections (the listener's descendants)."""
        return _descendants(self.proc.pid) if self.proc and self.proc.poll() is None else []

    def kill_connections(self) -> int:
        """SIGKILL every process serving a connection (a dropped link); the listener stays. Returns the count."""
        pids = self.connection_pids()
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return len(pids)

    def stop(self) -> None:
        """Stop the listener and its connections by PID; remove the test's PAM service file."""
        if self.proc is not None:
            children = self.connection_pids()
            stop_process(self.proc)
            for pid in children:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self.proc = None
        if self.pam_service is not None:
            (PAM_DIR / self.pam_service).unlink(missing_ok=True)

    def restart(self, timeout: float = 15.0) -> None:
        """Stop and start again on the same port with the same host key."""
        self.stop()
        self.start(timeout)

    def log_tail(self, lines: int = 30) -> str:
        """The end of the server's log."""
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


class ClientKey:
    """A client key pair made for a test."""

    def __init__(self, directory: Path, name: str = "id_ed25519", passphrase: str = "",
                 key_type: str = "ed25519") -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / name
        self.passphrase = passphrase
        self.public_line = ssh_keygen(self.path, key_type=key_type, passphrase=passphrase)


@pytest.fixture
def client_key(tmp_path: Path) -> ClientKey:
    """An unencrypted ed25519 client key."""
    return ClientKey(tmp_path / "client")


@pytest.fixture
def sshd_factory(tmp_path: Path):
    """Start private sshd instances: `sshd_factory(authorized_keys=[...], extra_config=[...], ...)`."""
    servers: list[SshServer] = []

    def make(authorized_keys: list[str], name: str | None = None, **kwargs) -> SshServer:
        server = SshServer(tmp_path / (name or f"sshd{len(servers)}"), authorized_keys, **kwargs)
        servers.append(server)
        return server.start()

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def sshd(sshd_factory, client_key: ClientKey) -> SshServer:
    """One private sshd that accepts `client_key`."""
    return sshd_factory([client_key.public_line])


class CliProcess:
    """`imjoy-hpc <args>` running in the background without a terminal; stderr goes to a file."""

    def __init__(self, args: list[str], workdir: Path, env: dict[str, str] | None = None) -> None:
        import sys

        workdir.mkdir(parents=True, exist_ok=True)
        self.stderr_path = workdir / f"cli-{uuid.uuid4().hex[:8]}.stderr"
        self._stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "imjoy_hpc", *args], stdout=subprocess.PIPE,
                                     stderr=self._stderr, stdin=subprocess.DEVNULL, env=env,
                                     start_new_session=True)  # no controlling terminal: prompts go to SSH_ASKPASS
        self._pending = b""

    def read_line(self, timeout: float = 30.0) -> str:
        """The next stdout line; fails with stderr shown if none comes within `timeout` s."""
        import selectors

        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as selector:
            selector.register(self.proc.stdout, selectors.EVENT_READ)
            while b"\n" not in self._pending:
                left = deadline - time.monotonic()
                if left <= 0 or not selector.select(left):
                    raise AssertionError(f"no output line within {timeout} s; stderr: {self.stderr()}")
                chunk = os.read(self.proc.stdout.fileno(), 65536)
                if not chunk:
                    raise AssertionError(f"exited ({self.proc.wait(timeout=10)}) without an output line; "
                                         f"stderr: {self.stderr()}")
                self._pending += chunk
        line, self._pending = self._pending.split(b"\n", 1)
        return line.decode()

    def wait(self, timeout: float = 60.0) -> int:
        """Exit status (the process must end within `timeout` s)."""
        return self.proc.wait(timeout=timeout)

    def stderr(self) -> str:
        """What the process wrote on stderr so far."""
        return self.stderr_path.read_text(errors="replace")

    def stop(self) -> int:
        """SIGTERM, then SIGKILL after 10 s; the exit status."""
        stop_process(self.proc)
        self._stderr.close()
        self.proc.stdout.close()
        return self.proc.returncode


def known_hosts_file(tmp_path: Path, *servers: "SshServer") -> Path:
    """A known_hosts file that trusts these test servers' host keys."""
    path = tmp_path / "known_hosts"
    path.write_text("".join(s.known_hosts_line + "\n" for s in servers))
    return path


def tunnel_cli(tmp_path: Path, server: "SshServer", key: "ClientKey | None", known: Path, target: list[str],
               local_port: int, extra: list[str] = (), env: dict | None = None) -> "CliProcess":
    """`imjoy-hpc tunnel` to a test server; `target` is ["--remote-port", N] or ["--remote-socket", PATH]."""
    args = ["tunnel", f"{server.user}@127.0.0.1", "-p", str(server.port), "--known-hosts", str(known),
            "-F", "/dev/null", *target, "--local-port", str(local_port), *extra]
    if key is not None:
        args += ["-i", str(key.path)]
    return CliProcess(args, tmp_path / "cli", env=env or client_env(tmp_path / "home"))


def megabyte_through(tunnel: "CliProcess", local_port: int) -> None:
    """Once the tunnel says it listens, 1 MiB of random bytes comes back intact through it; then stop it."""
    try:
        tunnel.read_line()
        payload = os.urandom(1 << 20)
        assert echo_roundtrip(local_port, payload) == payload
    finally:
        tunnel.stop()


def client_env(home: Path, **extra: str) -> dict[str, str]:
    """Environment for the CLI under test: its own HOME, no agent, no askpass unless given."""
    env = {k: v for k, v in os.environ.items() if k not in ("SSH_AUTH_SOCK", "SSH_ASKPASS", "SSH_ASKPASS_REQUIRE",
                                                            "DISPLAY")}
    home.mkdir(parents=True, exist_ok=True)
    env["HOME"] = str(home)
    env.update(extra)
    return env


def askpass_script(directory: Path, answer: str) -> tuple[Path, Path]:
    """An SSH_ASKPASS program that logs each prompt to a file and answers `answer`; (program, prompt log)."""
    directory.mkdir(parents=True, exist_ok=True)
    log = directory / f"askpass-{uuid.uuid4().hex[:6]}.log"
    answer_file = directory / f"{log.stem}.answer"
    answer_file.write_text(answer)
    answer_file.chmod(0o600)
    program = directory / f"{log.stem}.sh"
    program.write_text(f"#!/bin/sh\nprintf '%s\\n' \"$1\" >> '{log}'\ncat '{answer_file}'\n")
    program.chmod(0o700)
    return program, log


def code_check_pam_stack(directory: Path, code: str) -> str:
    """A PAM stack whose auth step asks for a code (keyboard-interactive "Password:" prompt) and checks it."""
    directory.mkdir(parents=True, exist_ok=True)
    expected = directory / "expected-code"
    expected.write_text(code)
    expected.chmod(0o600)
    script = directory / "check-code.sh"
    script.write_text("#!/bin/sh\n# pam_exec gives the answer on stdin, NUL-terminated\n"
                      f"answer=$(head -c 256 | tr -d '\\000\\n')\n[ \"$answer\" = \"$(cat '{expected}')\" ]\n")
    script.chmod(0o700)
    return (f"auth required pam_exec.so quiet expose_authtok type=auth {script}\n"
            "auth optional pam_permit.so\n"
            "account required pam_permit.so\n"
            "session required pam_permit.so\n"
            "password required pam_deny.so\n")


class EchoServer:
    """A threaded server that echoes every byte back and closes after the client's EOF.

    TCP on 127.0.0.1 by default; on the Unix socket `path` when given (the caller owns the directory).
    """

    def __init__(self, path: str | os.PathLike | None = None) -> None:
        import threading

        self.path = None if path is None else str(path)
        if self.path is None:
            self.sock = socket.socket()
            self.sock.bind(("127.0.0.1", 0))
            self.port = self.sock.getsockname()[1]
        else:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.bind(self.path)
            self.port = None
        self.sock.listen(64)
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        import threading

        self.sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            threading.Thread(target=self._echo, args=(conn,), daemon=True).start()

    @staticmethod
    def _echo(conn: socket.socket) -> None:
        if conn.family != socket.AF_UNIX:
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn.settimeout(120)
        with conn:
            try:
                while True:
                    data = conn.recv(1 << 20)
                    if not data:
                        break
                    conn.sendall(data)
                conn.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()
        if self.path is not None:
            Path(self.path).unlink(missing_ok=True)


@pytest.fixture
def echo_server():
    """An EchoServer for the far end of tunnels."""
    server = EchoServer()
    yield server
    server.close()


def echo_roundtrip(port: int, payload: bytes, timeout: float = 60.0) -> bytes:
    """Send `payload` to 127.0.0.1:port while reading the echo; half-close; return all bytes echoed."""
    import threading

    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as c:
        def send() -> None:
            view = memoryview(payload)
            for i in range(0, len(view), 1 << 18):
                c.sendall(view[i:i + (1 << 18)])
            c.shutdown(socket.SHUT_WR)

        sender = threading.Thread(target=send, daemon=True)
        sender.start()
        received = bytearray()
        while True:
            chunk = c.recv(1 << 20)
            if not chunk:
                break
            received += chunk
        sender.join(timeout)
        return bytes(received)


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    """Wait until something accepts connections on 127.0.0.1:port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listening on 127.0.0.1:{port} after {timeout} s")


@pytest.fixture
def socket_dir():
    """A private (0700) directory with a short path for Unix sockets (a socket path holds at most 107 bytes)."""
    import shutil
    import tempfile

    path = Path(tempfile.mkdtemp(prefix="imjoy-hpc-sock-"))  # mkdtemp makes it 0700
    yield path
    shutil.rmtree(path, ignore_errors=True)
