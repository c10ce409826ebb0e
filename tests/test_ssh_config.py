"""Unit tests of the SSH layer's pure parts: ssh config resolution, known_hosts matching, gateway JSON parsing."""

from __future__ import annotations

import base64
import getpass

import paramiko
import pytest

from imjoy_hpc.ssh.auth import _cacheable
from imjoy_hpc.ssh.config import HostSpec, parse_destination, resolve
from imjoy_hpc.ssh.errors import ConfigError, HostKeyChanged, HostKeyError, HostKeyUnknown
from imjoy_hpc.ssh.gateway import parse_gateway_line
from imjoy_hpc.ssh.hostkeys import HostKeyChecker, fingerprint_of, read_entries
from imjoy_hpc.ssh.prompt import ScriptedPrompter


def _config(tmp_path, text: str) -> str:
    path = tmp_path / "config"
    path.write_text(text)
    return str(path)


def test_alias_resolves_hostname_user_port_identity(tmp_path):
    cfg = _config(tmp_path, "Host cluster\n  HostName login.example.org\n  User alice\n  Port 2222\n"
                            "  IdentityFile ~/.ssh/cluster_key\n  ServerAliveInterval 20\n")
    (spec,) = resolve("cluster", config_file=cfg)
    assert (spec.hostname, spec.user, spec.port) == ("login.example.org", "alice", 2222)
    assert spec.identity_files[0].endswith("/.ssh/cluster_key") and "~" not in spec.identity_files[0]
    assert spec.server_alive_interval == 20
    assert spec.host_id == "[login.example.org]:2222"


def test_command_line_wins_over_config(tmp_path):
    cfg = _config(tmp_path, "Host cluster\n  HostName login.example.org\n  User alice\n  Port 2222\n"
                            "  IdentityFile /keys/from_config\n")
    (spec,) = resolve("bob@cluster", config_file=cfg, port=22, identity=["/keys/cli"])
    assert (spec.user, spec.port) == ("bob", 22)
    assert spec.identity_files == ["/keys/cli", "/keys/from_config"]
    assert spec.host_id == "login.example.org"


def test_defaults_without_config(tmp_path):
    (spec,) = resolve("somehost", config_file=_config(tmp_path, ""))
    assert (spec.hostname, spec.port, spec.user) == ("somehost", 22, getpass.getuser())
    assert [p.rsplit("/", 1)[1] for p in spec.identity_files] == ["id_ed25519", "id_ecdsa", "id_rsa"]


def test_proxyjump_chain_is_followed_recursively(tmp_path):
    cfg = _config(tmp_path, "Host login\n  HostName 10.0.0.5\n  ProxyJump gw2\n"
                            "Host gw2\n  HostName gw2.example.org\n  User carol\n  ProxyJump gw1:2200\n"
                            "Host gw1\n  HostName gw1.example.org\n")
    chain = resolve("login", config_file=cfg)
    assert [(s.hostname, s.port) for s in chain] == [("gw1.example.org", 2200), ("gw2.example.org", 22),
                                                     ("10.0.0.5", 22)]
    assert chain[1].user == "carol"


def test_jump_option_overrides_and_none_disables(tmp_path):
    cfg = _config(tmp_path, "Host login\n  ProxyJump gw\nHost direct\n  ProxyJump none\n")
    chain = resolve("login", config_file=cfg, jump="dave@a.example:2022,[::1]:2200")
    assert [(s.user, s.hostname, s.port) for s in chain[:2]] == [("dave", "a.example", 2022),
                                                                 (getpass.getuser(), "::1", 2200)]
    assert len(resolve("direct", config_file=cfg)) == 1


def test_proxyjump_loop_is_an_error(tmp_path):
    cfg = _config(tmp_path, "Host a\n  ProxyJump b\nHost b\n  ProxyJump a\n")
    with pytest.raises(ConfigError, match="ProxyJump chain longer"):
        resolve("a", config_file=cfg)


def test_include_is_expanded_relative_to_the_config_dir(tmp_path):
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "conf.d" / "cluster.conf").write_text("Host hpc\n  HostName hpc.example.org\n  Port 2201\n")
    cfg = _config(tmp_path, "Include conf.d/*.conf\nHost *\n  User erin\n")
    (spec,) = resolve("hpc", config_file=cfg)
    assert (spec.hostname, spec.port, spec.user) == ("hpc.example.org", 2201, "erin")


def test_known_hosts_option_and_strict_checking(tmp_path):
    cfg = _config(tmp_path, "Host a\n  StrictHostKeyChecking no\n  UserKnownHostsFile ~/kh1 ~/kh2\n"
                            "Host b\n  StrictHostKeyChecking yes\n")
    (a,) = resolve("a", config_file=cfg)
    assert a.strict_host_key_checking == "accept-new"  # "no" never means accepting a changed key here
    assert [p.rsplit("/", 1)[1] for p in a.known_hosts_files] == ["kh1", "kh2"]
    (b,) = resolve("b", config_file=cfg, known_hosts=str(tmp_path / "mine"))
    assert b.strict_host_key_checking == "yes"
    assert b.known_hosts_files == [str(tmp_path / "mine")] and b.global_known_hosts_files == []


@pytest.mark.parametrize("bad, message", [
    ("-oProxyCommand=evil", "bad host"),
    ("@host", "empty user"),
    ("", "bad host"),
    ("a b", "bad host"),
])
def test_bad_destinations_are_rejected(bad, message):
    with pytest.raises(ConfigError, match=message):
        parse_destination(bad)


def test_bad_jump_port_and_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="bad port"):
        resolve("x", config_file=_config(tmp_path, ""), jump="gw:99999")
    with pytest.raises(ConfigError, match="ssh config file not found"):
        resolve("x", config_file=str(tmp_path / "nope"))
    with pytest.raises(ConfigError, match="ssh config: port for x must be a number, got .twenty."):
        resolve("x", config_file=_config(tmp_path, "Host x\n  Port twenty\n"))


# --- known_hosts ---------------------------------------------------------------------------------------------------

def _make_key() -> paramiko.PKey:
    import io

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    pem = ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()).decode()
    return paramiko.Ed25519Key.from_private_key(io.StringIO(pem))


@pytest.fixture(scope="module")
def host_key() -> paramiko.PKey:
    return _make_key()


def _spec(tmp_path, port=2222, **kw) -> HostSpec:
    return HostSpec(alias="h", hostname="login.example.org", port=port,
                    known_hosts_files=[str(tmp_path / "known_hosts")], global_known_hosts_files=[], **kw)


def test_bracketed_hashed_and_wildcard_entries_match(tmp_path, host_key):
    line = f"{host_key.get_name()} {host_key.get_base64()}"
    kh = tmp_path / "known_hosts"
    hashed = paramiko.HostKeys.hash_host("[login.example.org]:2222")
    kh.write_text(f"[other.example.org]:2222 {line}\n{hashed} {line}\n*.example.org,!bad.example.org {line}\n")
    assert [e.lineno for e in read_entries(str(kh), "[login.example.org]:2222")] == [2]
    assert [e.lineno for e in read_entries(str(kh), "login.example.org")] == [3]
    assert read_entries(str(kh), "bad.example.org") == []
    HostKeyChecker(ScriptedPrompter(lambda p, e: "no")).check(_spec(tmp_path), host_key)  # known: no prompt


def test_unknown_key_prompt_no_refuses_and_yes_records(tmp_path, host_key):
    spec = _spec(tmp_path)
    declined = ScriptedPrompter(lambda prompt, echo: "no")
    with pytest.raises(HostKeyUnknown) as info:
        HostKeyChecker(declined).check(spec, host_key)
    assert fingerprint_of(host_key.asbytes()) in str(info.value)
    assert not (tmp_path / "known_hosts").exists()
    assert any(fingerprint_of(host_key.asbytes()) in m for m in declined.messages)

    HostKeyChecker(ScriptedPrompter(lambda prompt, echo: "yes")).check(spec, host_key)
    assert (tmp_path / "known_hosts").read_text() == \
        f"[login.example.org]:2222 {host_key.get_name()} {host_key.get_base64()}\n"
    assert (tmp_path / "known_hosts").stat().st_mode & 0o777 == 0o600


def test_unknown_key_never_prompts_with_strict_yes(tmp_path, host_key):
    prompter = ScriptedPrompter(lambda prompt, echo: "yes")
    with pytest.raises(HostKeyUnknown):
        HostKeyChecker(prompter).check(_spec(tmp_path, strict_host_key_checking="yes"), host_key)
    assert prompter.prompts == []


def test_hashed_recording_and_fingerprint_answer(tmp_path, host_key):
    spec = _spec(tmp_path, port=22, hash_known_hosts=True)
    fp = fingerprint_of(host_key.asbytes())
    HostKeyChecker(ScriptedPrompter(lambda prompt, echo: fp)).check(spec, host_key)
    text = (tmp_path / "known_hosts").read_text()
    assert text.startswith("|1|") and "login.example.org" not in text
    assert len(read_entries(str(tmp_path / "known_hosts"), "login.example.org")) == 1


def test_changed_and_revoked_keys_are_refused(tmp_path, host_key):
    other = _make_key()
    kh = tmp_path / "known_hosts"
    kh.write_text(f"[login.example.org]:2222 {other.get_name()} {other.get_base64()}\n")
    yes = ScriptedPrompter(lambda prompt, echo: "yes")
    with pytest.raises(HostKeyChanged) as info:
        HostKeyChecker(yes, accept_new=True).check(_spec(tmp_path), host_key)
    assert f"{kh}:1" in str(info.value) and fingerprint_of(host_key.asbytes()) in str(info.value)
    assert yes.prompts == []  # a changed key is never offered for a yes/no answer
    HostKeyChecker(yes, accept_fingerprint=fingerprint_of(host_key.asbytes())).check(_spec(tmp_path), host_key)
    assert other.get_base64() not in kh.read_text() and host_key.get_base64() in kh.read_text()

    kh.write_text(f"@revoked * {host_key.get_name()} {host_key.get_base64()}\n")
    with pytest.raises(HostKeyError, match="revoked"):
        HostKeyChecker(yes, accept_new=True).check(_spec(tmp_path), host_key)


def test_fingerprint_matches_openssh_format(host_key):
    import hashlib

    expected = "SHA256:" + base64.b64encode(hashlib.sha256(host_key.asbytes()).digest()).decode().rstrip("=")
    assert fingerprint_of(host_key.asbytes()) == expected == host_key.fingerprint


# --- gateway JSON and secrets ---------------------------------------------------------------------------------------

def test_gateway_line_is_found_among_banner_lines():
    out = (b"Welcome to the cluster\n{not json}\n"
           b'{"pid": 7, "host": "127.0.0.1", "port": 9527, "url": "http://127.0.0.1:9527/", "token": "t0k", '
           b'"reused": true}\n')
    info = parse_gateway_line(out)
    assert (info.pid, info.host, info.port, info.token, info.reused) == (7, "127.0.0.1", 9527, "t0k", True)
    assert "t0k" not in repr(info)


@pytest.mark.parametrize("line", [b'{"port": 9527}', b'{"port": "9527", "token": "x"}', b'{"port": 0, "token": "x"}',
                                  b'[1, 2]', b"", b'{"port": 9527, "token": ""}'])
def test_gateway_line_rejects_incomplete_json(line):
    assert parse_gateway_line(line) is None


def test_gateway_line_with_a_socket_and_no_tcp_door():
    line = (b'{"pid": 7, "host": "127.0.0.1", "port": null, "socket": "/home/alice/.imjoy-hpc/gateway.sock", '
            b'"url": null, "token": "t0k", "reused": true}')
    info = parse_gateway_line(line)
    assert (info.port, info.socket) == (None, "/home/alice/.imjoy-hpc/gateway.sock")
    assert [str(t) for t in info.targets] == ["Unix socket /home/alice/.imjoy-hpc/gateway.sock"]
    both = parse_gateway_line(b'{"port": 9527, "socket": "/s/gateway.sock", "token": "t"}')
    assert [str(t) for t in both.targets] == ["Unix socket /s/gateway.sock", "127.0.0.1:9527"]  # socket first
    old = parse_gateway_line(b'{"port": 9527, "token": "t"}')  # a gateway from before the socket door
    assert old.socket is None and [str(t) for t in old.targets] == ["127.0.0.1:9527"]


@pytest.mark.parametrize("line", [b'{"port": null, "socket": null, "token": "x"}',
                                  b'{"port": null, "socket": "relative.sock", "token": "x"}',
                                  b'{"port": true, "token": "x"}', b'{"socket": "/s.sock", "token": ""}'])
def test_gateway_line_needs_a_port_or_an_absolute_socket(line):
    assert parse_gateway_line(line) is None


def test_only_passwords_are_cached_never_one_time_codes():
    assert _cacheable("(alice@login) Password: ")
    assert not _cacheable("Verification code: ")
    assert not _cacheable("One-time password (OTP): ")
    assert not _cacheable("Duo two-factor login for alice")
