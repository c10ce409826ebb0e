"""Resolve `[user@]host` into the chain of hops to connect through, the way `ssh` reads its config.

paramiko.SSHConfig does the Host/Match matching and token expansion; this module adds what it lacks (Include,
ProxyJump chains, defaults) and applies command-line overrides, which win over the config files as in `ssh`.
"""

from __future__ import annotations

import getpass
import glob
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import paramiko

from imjoy_hpc.ssh.errors import ConfigError

USER_CONFIG = "~/.ssh/config"
SYSTEM_CONFIG = "/etc/ssh/ssh_config"
DEFAULT_IDENTITIES = ("~/.ssh/id_ed25519", "~/.ssh/id_ecdsa", "~/.ssh/id_rsa")
DEFAULT_KNOWN_HOSTS = ("~/.ssh/known_hosts", "~/.ssh/known_hosts2")
DEFAULT_GLOBAL_KNOWN_HOSTS = ("/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2")
MAX_INCLUDE_DEPTH = 16
MAX_JUMPS = 8
_INCLUDE = re.compile(r"^\s*include\s*(?:=\s*|\s)(.*)$", re.IGNORECASE)


@dataclass
class HostSpec:
    """Everything needed to connect to and authenticate with one hop."""

    alias: str
    hostname: str
    port: int = 22
    user: str = field(default_factory=getpass.getuser)
    identity_files: list[str] = field(default_factory=list)
    identities_only: bool = False
    identity_agent: str | None = None  # socket path; None: $SSH_AUTH_SOCK; "none": no agent
    known_hosts_files: list[str] = field(default_factory=lambda: [os.path.expanduser(p) for p in DEFAULT_KNOWN_HOSTS])
    global_known_hosts_files: list[str] = field(default_factory=lambda: list(DEFAULT_GLOBAL_KNOWN_HOSTS))
    host_key_alias: str | None = None
    hash_known_hosts: bool = False
    strict_host_key_checking: str = "ask"  # ask | yes | accept-new
    server_alive_interval: float = 15.0
    server_alive_count: int = 3
    connect_timeout: float = 15.0
    proxy_command: str | None = None
    proxy_jump: str | None = None  # as configured for this host (hops are resolved by resolve())
    kbd_interactive: bool = True
    password: bool = True

    @property
    def host_id(self) -> str:
        """The name this host has in known_hosts (`host` or `[host]:port`)."""
        name = self.host_key_alias or self.hostname
        return name if self.port == 22 else f"[{name}]:{self.port}"

    def __str__(self) -> str:
        return f"{self.user}@{self.hostname}" + ("" if self.port == 22 else f":{self.port}")


def _expand_includes(path: Path, base: Path, depth: int = 0) -> str:
    """The text of `path` with `Include` lines replaced by the files they name (relative to `base`)."""
    if depth > MAX_INCLUDE_DEPTH:
        raise ConfigError(f"{path}: Include nested more than {MAX_INCLUDE_DEPTH} levels deep")
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"cannot read ssh config {path}: {exc.strerror}") from None
    out = []
    for line in text.splitlines():
        match = _INCLUDE.match(line)
        if not match:
            out.append(line)
            continue
        for pattern in match.group(1).split():
            pattern = os.path.expanduser(pattern.strip('"'))
            if not os.path.isabs(pattern):
                pattern = str(base / pattern)
            for name in sorted(glob.glob(pattern)):
                if os.path.isfile(name):
                    out.append(_expand_includes(Path(name), base, depth + 1))
    return "\n".join(out)


def load_config(config_file: str | None = None) -> paramiko.SSHConfig:
    """The ssh config: only `config_file` when given (like `ssh -F`), else the user's then the system's."""
    if config_file:
        path = Path(os.path.expanduser(config_file))
        if not path.exists() or path.is_dir():
            raise ConfigError(f"ssh config file not found: {path}")
        texts = [_expand_includes(path, path.parent)]
    else:
        texts = []
        user = Path(os.path.expanduser(USER_CONFIG))
        if user.is_file():
            texts.append(_expand_includes(user, user.parent))
        system = Path(SYSTEM_CONFIG)
        if system.is_file():
            texts.append(_expand_includes(system, system.parent))
    try:
        # Host lines reset the section, so joining keeps each file's meaning; the first value wins, as in ssh.
        return paramiko.SSHConfig.from_text("\nHost *\n".join(texts))
    except Exception as exc:  # paramiko raises ConfigParseError and others for bad lines
        source = config_file or f"{USER_CONFIG} / {SYSTEM_CONFIG}"
        raise ConfigError(f"cannot parse ssh config {source}: {exc}") from None


def parse_destination(text: str, allow_port: bool = False) -> tuple[str | None, str, int | None]:
    """Split `[user@]host` (and `[user@]host[:port]` or `[user@][v6addr]:port` when allow_port) into parts."""
    original = text
    if text.startswith("ssh://"):
        text, allow_port = text[len("ssh://"):].rstrip("/"), True
    user = None
    if "@" in text:
        user, text = text.rsplit("@", 1)
        if not user:
            raise ConfigError(f"empty user name in {original!r}")
    port = None
    if allow_port:
        match = re.fullmatch(r"\[([^\]]+)\](?::(\d+))?", text)
        if match:
            text, port = match.group(1), match.group(2)
        elif text.count(":") == 1:
            text, port = text.split(":")
        if port is not None:
            if not str(port).isdigit() or not 0 < int(port) < 65536:
                raise ConfigError(f"bad port in {original!r}: must be 1-65535")
            port = int(port)
    if not text or any(c.isspace() for c in text) or text.startswith("-"):
        raise ConfigError(f"bad host in {original!r}: expected [user@]host")
    return user, text, port


def _int(options: dict, key: str, default: float, where: str) -> float:
    value = options.get(key)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"ssh config: {key} for {where} must be a number, got {value!r}") from None


def _host_spec(config: paramiko.SSHConfig, alias: str, user: str | None, port: int | None,
               identities: list[str], known_hosts: str | None) -> HostSpec:
    try:
        options = config.lookup(alias)
    except Exception as exc:
        raise ConfigError(f"ssh config lookup for {alias!r} failed: {exc}") from None
    spec = HostSpec(alias=alias, hostname=options.get("hostname", alias))
    spec.user = user or options.get("user") or getpass.getuser()
    spec.port = port or int(_int(options, "port", 22, alias))
    files = [os.path.expanduser(p) for p in [*identities, *options.get("identityfile", [])]]
    spec.identity_files = files or [os.path.expanduser(p) for p in DEFAULT_IDENTITIES]
    spec.identities_only = options.get("identitiesonly", "no").lower() == "yes"
    agent = options.get("identityagent")
    if agent:
        spec.identity_agent = "none" if agent.lower() == "none" else (
            None if agent == "SSH_AUTH_SOCK" else os.path.expanduser(agent.strip('"')))
    if known_hosts:
        spec.known_hosts_files = [os.path.expanduser(known_hosts)]
        spec.global_known_hosts_files = []
    else:
        if options.get("userknownhostsfile"):
            spec.known_hosts_files = [os.path.expanduser(p) for p in options["userknownhostsfile"].split()]
        if options.get("globalknownhostsfile"):
            spec.global_known_hosts_files = [os.path.expanduser(p) for p in options["globalknownhostsfile"].split()]
    spec.host_key_alias = options.get("hostkeyalias")
    spec.hash_known_hosts = options.get("hashknownhosts", "no").lower() == "yes"
    strict = options.get("stricthostkeychecking", "ask").lower()
    # "no"/"off" are read as accept-new: a changed key is never accepted silently.
    spec.strict_host_key_checking = {"yes": "yes", "accept-new": "accept-new", "no": "accept-new",
                                     "off": "accept-new"}.get(strict, "ask")
    interval = _int(options, "serveraliveinterval", 15, alias)
    spec.server_alive_interval = interval if interval > 0 else 15
    spec.server_alive_count = max(1, int(_int(options, "serveralivecountmax", 3, alias)))
    spec.connect_timeout = _int(options, "connecttimeout", 15, alias) or 15
    proxy = options.get("proxycommand")
    spec.proxy_command = proxy if proxy and proxy.lower() != "none" else None
    spec.kbd_interactive = options.get("kbdinteractiveauthentication",
                                       options.get("challengeresponseauthentication", "yes")).lower() != "no"
    spec.password = options.get("passwordauthentication", "yes").lower() != "no"
    spec.proxy_jump = options.get("proxyjump")
    return spec


def _jump_chain(config: paramiko.SSHConfig, jumps: str | None, identities: list[str], known_hosts: str | None,
                depth: int) -> list[HostSpec]:
    """The hops of a ProxyJump value, each with its own ProxyJump prepended (as `ssh -J` does)."""
    if not jumps or jumps.lower() == "none":
        return []
    if depth > MAX_JUMPS:
        raise ConfigError(f"ProxyJump chain longer than {MAX_JUMPS} hops (a loop in the ssh config?)")
    chain: list[HostSpec] = []
    for i, item in enumerate(j.strip() for j in jumps.split(",")):
        if not item:
            raise ConfigError(f"empty entry in jump list {jumps!r}")
        user, host, port = parse_destination(item, allow_port=True)
        spec = _host_spec(config, host, user, port, identities, known_hosts)
        if i == 0:
            chain.extend(_jump_chain(config, spec.proxy_jump, identities, known_hosts, depth + 1))
        chain.append(spec)
    return chain


def resolve(
    destination: str,
    config_file: str | None = None,
    port: int | None = None,
    identity: list[str] | None = None,
    jump: str | None = None,
    known_hosts: str | None = None,
) -> list[HostSpec]:
    """The hops to `destination`: jump hosts first, the destination last. Command-line values win.

    `identity` files are tried first on every hop; `known_hosts` replaces the known_hosts files of every hop.
    """
    config = load_config(config_file)
    user, host, dest_port = parse_destination(destination)
    if port is not None and not 0 < port < 65536:
        raise ConfigError(f"bad SSH port {port}: must be 1-65535")
    final = _host_spec(config, host, user, port or dest_port, list(identity or []), known_hosts)
    jumps = jump if jump is not None else final.proxy_jump
    chain = _jump_chain(config, jumps, list(identity or []), known_hosts, 0)
    if len(chain) > MAX_JUMPS:
        raise ConfigError(f"ProxyJump chain longer than {MAX_JUMPS} hops")
    return chain + [final]
