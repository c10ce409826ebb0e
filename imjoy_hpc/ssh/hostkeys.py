"""Strict host key checking against known_hosts files, with explicit acceptance only.

An unknown key is refused unless the user accepts it (terminal prompt, `--accept-new-host-key`, or
`--accept-host-key FINGERPRINT`); an accepted key is appended to the first user known_hosts file (0600).
A changed key is refused with the fingerprint and the known_hosts line that disagrees; only
`--accept-host-key` with the exact new fingerprint replaces it.
"""

from __future__ import annotations

import base64
import os
import re
from dataclasses import dataclass
from pathlib import Path

import paramiko

from imjoy_hpc.ssh.config import HostSpec
from imjoy_hpc.ssh.errors import HostKeyChanged, HostKeyError, HostKeyUnknown
from imjoy_hpc.ssh.prompt import Prompter


@dataclass
class KnownEntry:
    """One known_hosts line that names the host."""

    path: str
    lineno: int
    key_type: str
    blob: str
    revoked: bool = False

    @property
    def fingerprint(self) -> str:
        return fingerprint_of(base64.b64decode(self.blob))


def fingerprint_of(key_bytes: bytes) -> str:
    """OpenSSH-style SHA256 fingerprint of a public key blob."""
    import hashlib

    digest = hashlib.sha256(key_bytes).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def _wildcard(pattern: str, name: str) -> bool:
    """ssh's pattern matching: only `*` and `?` are special (brackets are literal, as in `[host]:port`)."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern.lower())
    return re.fullmatch(regex, name.lower()) is not None


def _host_matches(patterns: str, host_id: str) -> bool:
    """Whether a known_hosts host field (comma list, hashed, wildcards, negation) names `host_id`."""
    if patterns.startswith("|1|"):
        salt = patterns.split("|")[2]
        return paramiko.HostKeys.hash_host(host_id, salt) == patterns
    matched = False
    for pattern in patterns.split(","):
        if pattern.startswith("!"):
            if _wildcard(pattern[1:], host_id):
                return False
        elif _wildcard(pattern, host_id):
            matched = True
    return matched


def read_entries(path: str, host_id: str) -> list[KnownEntry]:
    """The lines of known_hosts file `path` that name `host_id` (missing files have none)."""
    try:
        text = Path(path).read_text(errors="replace")
    except OSError:
        return []
    entries = []
    for lineno, line in enumerate(text.splitlines(), 1):
        fields = line.split()
        if not fields or fields[0].startswith("#"):
            continue
        revoked = False
        if fields[0].startswith("@"):
            if fields[0] != "@revoked":
                continue  # @cert-authority: certificates are not used here
            revoked, fields = True, fields[1:]
        if len(fields) < 3 or not _host_matches(fields[0], host_id):
            continue
        entries.append(KnownEntry(path, lineno, fields[1], fields[2], revoked))
    return entries


class HostKeyChecker:
    """Checks server keys for one hop; records keys the user accepted."""

    def __init__(self, prompter: Prompter, accept_new: bool = False, accept_fingerprint: str | None = None) -> None:
        self.prompter = prompter
        self.accept_new = accept_new
        self.accept_fingerprint = accept_fingerprint.strip() if accept_fingerprint else None

    @staticmethod
    def entries(spec: HostSpec) -> list[KnownEntry]:
        """Every known_hosts line (user files first) that names this hop."""
        found = []
        for path in [*spec.known_hosts_files, *spec.global_known_hosts_files]:
            found.extend(read_entries(path, spec.host_id))
        return found

    def preferred_key_types(self, spec: HostSpec) -> list[str]:
        """Key types already known for the host, to ask the server for those first (as ssh does)."""
        types = []
        for entry in self.entries(spec):
            if not entry.revoked and entry.key_type not in types:
                types.append(entry.key_type)
        return types

    def check(self, spec: HostSpec, key: paramiko.PKey) -> None:
        """Return if `key` is known or accepted now; raise HostKeyUnknown/HostKeyChanged otherwise."""
        key_type, blob = key.get_name(), key.get_base64()
        fingerprint = fingerprint_of(key.asbytes())
        entries = self.entries(spec)
        for entry in entries:
            if entry.revoked and entry.blob == blob:
                raise HostKeyError(f"the host key of {spec.host_id} ({fingerprint}) is marked @revoked in "
                                   f"{entry.path}:{entry.lineno}; refusing to connect")
        if any(e.key_type == key_type and e.blob == blob and not e.revoked for e in entries):
            return
        conflicting = [e for e in entries if e.key_type == key_type and not e.revoked]
        if conflicting:
            self._changed(spec, key, fingerprint, conflicting)
        else:
            self._unknown(spec, key, fingerprint, [e for e in entries if not e.revoked])

    def _changed(self, spec: HostSpec, key: paramiko.PKey, fingerprint: str, old: list[KnownEntry]) -> None:
        if self.accept_fingerprint == fingerprint:
            self._record(spec, key, replace=old)
            return
        where = "; ".join(f"{e.path}:{e.lineno} ({e.fingerprint})" for e in old)
        first = old[0]
        raise HostKeyChanged(
            f"WARNING: the host key of {spec.host_id} has CHANGED: someone could be intercepting the connection, "
            f"or the host was reinstalled. The server sent {key.get_name()} key {fingerprint}; known_hosts says "
            f"otherwise at {where}. Refusing to connect. If the cluster admins confirm the new key, remove the old "
            f"line with `ssh-keygen -R '{spec.host_id}' -f {first.path}` or run again with "
            f"--accept-host-key {fingerprint}")

    def _unknown(self, spec: HostSpec, key: paramiko.PKey, fingerprint: str, other: list[KnownEntry]) -> None:
        note = ""
        if other:
            note = (" (keys of another type are known for it: "
                    + ", ".join(f"{e.key_type} at {e.path}:{e.lineno}" for e in other) + ")")
        accepted = (self.accept_fingerprint == fingerprint or self.accept_new
                    or spec.strict_host_key_checking == "accept-new")
        if not accepted and spec.strict_host_key_checking != "yes" and self.prompter.can_ask():
            self.prompter.info(f"The authenticity of host '{spec.host_id}' can't be established{note}.\n"
                               f"{key.get_name()} key fingerprint is {fingerprint}.")
            for _ in range(3):
                answer = self.prompter.ask("Are you sure you want to continue connecting "
                                           "(yes/no/[fingerprint])? ", echo=True)
                answer = (answer or "").strip()
                if answer.lower() == "yes" or answer == fingerprint:
                    accepted = True
                    break
                if answer.lower() in ("no", "") or answer.startswith("SHA256:"):
                    break
        if not accepted:
            raise HostKeyUnknown(
                f"the host key of {spec.host_id} is not known{note}: {key.get_name()} {fingerprint}. Refusing to "
                f"connect. Check the fingerprint with your cluster's documentation, then run again and answer "
                f"'yes', or pass --accept-host-key {fingerprint} (or --accept-new-host-key) to record it in "
                f"{self._record_file(spec)}")
        self._record(spec, key)

    @staticmethod
    def _record_file(spec: HostSpec) -> str:
        return spec.known_hosts_files[0] if spec.known_hosts_files else os.path.expanduser("~/.ssh/known_hosts")

    def _record(self, spec: HostSpec, key: paramiko.PKey, replace: list[KnownEntry] = ()) -> None:
        """Append the key for the host (dropping the `replace` lines) to the user's known_hosts file."""
        path = Path(self._record_file(spec))
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        for p in {e.path for e in replace}:
            drop = {e.lineno for e in replace if e.path == p}
            try:
                lines = Path(p).read_text().splitlines(keepends=True)
                Path(p).write_text("".join(line for i, line in enumerate(lines, 1) if i not in drop))
            except OSError as exc:
                raise HostKeyError(f"cannot update {p}: {exc.strerror}") from None
        name = paramiko.HostKeys.hash_host(spec.host_id) if spec.hash_known_hosts else spec.host_id
        line = f"{name} {key.get_name()} {key.get_base64()}\n"
        try:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            with os.fdopen(fd, "a") as out:
                if out.tell() > 0 and not path.read_bytes().endswith(b"\n"):
                    out.write("\n")
                out.write(line)
        except OSError as exc:
            raise HostKeyError(f"cannot record the host key in {path}: {exc.strerror}") from None
        self.prompter.info(f"Recorded the {key.get_name()} host key of {spec.host_id} in {path}.")
