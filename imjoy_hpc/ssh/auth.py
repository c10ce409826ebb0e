"""Client authentication: agent keys, key files (passphrase prompt), keyboard-interactive (2FA), password.

The order follows `ssh`. Multi-step server policies (`AuthenticationMethods publickey,keyboard-interactive`) are
followed through paramiko's partial-success lists. Decrypted keys and password answers are cached in memory so a
reconnect does not ask again; one-time codes are never cached.
"""

from __future__ import annotations

import logging
import os
import socket
from pathlib import Path

import paramiko

from imjoy_hpc.ssh.config import HostSpec
from imjoy_hpc.ssh.errors import AuthenticationFailed
from imjoy_hpc.ssh.prompt import Prompter

log = logging.getLogger(__name__)
MAX_TRIES = 3  # passphrase, keyboard-interactive and password rounds, like ssh's NumberOfPasswordPrompts
AUTH_TIMEOUT = 300.0  # seconds the server may wait for a 2FA answer (sshd's LoginGraceTime is 120 s)
_ONE_TIME = ("code", "token", "otp", "verification", "one-time", "passcode", "pin", "duo", "yubi")


def _cacheable(prompt: str) -> bool:
    """Whether an answer to `prompt` is a reusable password (not a one-time code)."""
    text = prompt.lower()
    return "password" in text and not any(word in text for word in _ONE_TIME)


def _open_agent(spec: HostSpec) -> paramiko.agent.AgentSSH | None:
    """The ssh-agent for this hop (IdentityAgent or $SSH_AUTH_SOCK), or None."""
    if spec.identity_agent == "none":
        return None
    path = spec.identity_agent or os.environ.get("SSH_AUTH_SOCK")
    if not path:
        return None
    try:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(10)
        sock.connect(path)
        agent = paramiko.agent.AgentSSH()
        agent._connect(sock)  # paramiko has no public way to name the agent socket
        return agent
    except (OSError, paramiko.SSHException) as exc:
        log.debug("ssh-agent at %s not usable: %s", path, exc)
        return None


class Authenticator:
    """Authenticates transports; keeps what can be reused on reconnect."""

    def __init__(self, prompter: Prompter) -> None:
        self.prompter = prompter
        self._keys: dict[str, paramiko.PKey] = {}
        self._answers: dict[tuple[str, str, str], str] = {}

    # --- key files ---------------------------------------------------------------------------------------------
    def _load_key(self, path: str, tried: list[str]) -> paramiko.PKey | None:
        """The key in `path` (asking for its passphrase when encrypted), or None with the reason in `tried`."""
        if path in self._keys:
            return self._keys[path]
        if not os.path.isfile(path):
            return None
        try:
            key = paramiko.PKey.from_path(path)
        except TypeError:  # encrypted: the passphrase is needed
            key = None
        except (ValueError, paramiko.SSHException) as exc:
            tried.append(f"key file {path} (not a usable private key: {exc})")
            return None
        except OSError as exc:
            tried.append(f"key file {path} (unreadable: {exc.strerror})")
            return None
        for _ in range(MAX_TRIES if key is None else 0):
            passphrase = self.prompter.ask(f"Enter passphrase for key '{path}': ") if self.prompter.can_ask() else None
            if passphrase is None:
                break
            try:
                key = paramiko.PKey.from_path(path, passphrase.encode())
                break
            except (ValueError, TypeError, paramiko.SSHException):
                self.prompter.info(f"Bad passphrase for {path}.")
        if key is None:
            tried.append(f"key file {path} (encrypted; no correct passphrase given)")
            return None
        self._keys[path] = key
        return key

    def _public_blobs(self, spec: HostSpec) -> set[str]:
        """Public keys (base64) of the identity files, from their .pub files, for IdentitiesOnly."""
        blobs = set()
        for path in spec.identity_files:
            try:
                fields = Path(path + ".pub").read_text().split()
                blobs.add(fields[1])
            except (OSError, IndexError):
                pass
        return blobs

    # --- the whole exchange -------------------------------------------------------------------------------------
    def authenticate(self, transport: paramiko.Transport, spec: HostSpec) -> None:
        """Authenticate `transport` as spec.user or raise AuthenticationFailed naming what was tried."""
        transport.auth_timeout = AUTH_TIMEOUT
        tried: list[str] = []
        try:
            allowed = transport.auth_none(spec.user)
            if not allowed:
                return
        except paramiko.BadAuthenticationType as exc:
            allowed = list(exc.allowed_types)
        except paramiko.AuthenticationException:
            allowed = ["publickey", "keyboard-interactive", "password"]
        all_allowed = list(allowed)

        def step(result: list[str] | None) -> bool:
            """Record a (partial) success; True when fully authenticated."""
            nonlocal allowed
            if transport.is_authenticated():
                return True
            if result:
                allowed = list(result)
                all_allowed.extend(m for m in result if m not in all_allowed)
            return False

        publickey_done = False
        rounds = {"keyboard-interactive": 0, "password": 0}
        for _ in range(64):  # bounded: each pass tries at least one method or gives up
            if "publickey" in allowed and not publickey_done:
                publickey_done = True
                result = self._publickey(transport, spec, tried)
                if result is not None and step(result):
                    return
                continue
            if ("keyboard-interactive" in allowed and spec.kbd_interactive
                    and rounds["keyboard-interactive"] < MAX_TRIES and self.prompter.can_ask()):
                rounds["keyboard-interactive"] += 1
                try:
                    if step(transport.auth_interactive(spec.user, self._kbd_handler(spec))):
                        return
                    tried.append("keyboard-interactive (accepted, more steps required)")
                    continue
                except paramiko.BadAuthenticationType as exc:
                    allowed = list(exc.allowed_types)
                    continue
                except paramiko.AuthenticationException:
                    self._forget_answers(spec)
                    tried.append(f"keyboard-interactive (answers rejected, round {rounds['keyboard-interactive']})")
                    continue
            if "password" in allowed and spec.password and rounds["password"] < MAX_TRIES and self.prompter.can_ask():
                rounds["password"] += 1
                prompt = f"{spec.user}@{spec.hostname}'s password: "
                password = self._answer(spec, prompt, echo=False)
                if password is None:
                    rounds["password"] = MAX_TRIES
                    continue
                try:
                    if step(transport.auth_password(spec.user, password, fallback=False)):
                        return
                    continue
                except paramiko.AuthenticationException:
                    self._forget_answers(spec)
                    tried.append(f"password (rejected, round {rounds['password']})")
                    continue
            break
        detail = ""
        if not self.prompter.can_ask() and any(m in allowed for m in ("keyboard-interactive", "password")):
            detail = "No terminal (or SSH_ASKPASS) was available to answer keyboard-interactive/password prompts."
        raise AuthenticationFailed(str(spec), tried, all_allowed, detail)

    def _publickey(self, transport: paramiko.Transport, spec: HostSpec, tried: list[str]) -> list[str] | None:
        """Try agent keys then identity files; the remaining methods on (partial) success, else None."""
        agent = _open_agent(spec)
        try:
            agent_keys = list(agent.get_keys()) if agent else []
            if spec.identities_only:
                wanted = self._public_blobs(spec)
                agent_keys = [k for k in agent_keys if k.get_base64() in wanted]
            candidates: list[tuple[str, paramiko.PKey | None, str | None]] = [
                (f"agent key {k.fingerprint}", k, None) for k in agent_keys]
            candidates += [(f"key file {p}", None, p) for p in spec.identity_files]
            offered = set()
            for label, key, path in candidates:
                if key is None:
                    key = self._load_key(path, tried)
                    if key is None:
                        continue
                if key.get_base64() in offered:
                    continue
                offered.add(key.get_base64())
                try:
                    result = transport.auth_publickey(spec.user, key)
                    tried.append(f"publickey {label} (accepted)")
                    return result
                except paramiko.BadAuthenticationType as exc:
                    tried.append(f"publickey {label} (method not allowed now)")
                    return list(exc.allowed_types)
                except paramiko.AuthenticationException:
                    tried.append(f"publickey {label} (rejected)")
                except paramiko.SSHException as exc:
                    tried.append(f"publickey {label} (error: {exc})")
            if not offered:
                tried.append("publickey (no keys: no agent keys and no readable identity file among "
                             + ", ".join(spec.identity_files) + ")")
            return None
        finally:
            if agent is not None:
                agent._close()

    # --- keyboard-interactive / password answers ----------------------------------------------------------------
    def _answer(self, spec: HostSpec, prompt: str, echo: bool) -> str | None:
        key = (spec.host_id, spec.user, prompt)
        if key in self._answers:
            return self._answers[key]
        answer = self.prompter.ask(prompt, echo=echo)
        if answer is not None and not echo and _cacheable(prompt):
            self._answers[key] = answer
        return answer

    def _forget_answers(self, spec: HostSpec) -> None:
        for key in [k for k in self._answers if k[:2] == (spec.host_id, spec.user)]:
            del self._answers[key]

    def _kbd_handler(self, spec: HostSpec):
        def handler(title: str, instructions: str, prompts: list[tuple[str, bool]]) -> list[str]:
            shown = "\n".join(t for t in (title, instructions) if t and t.strip())
            if shown:
                self.prompter.info(shown)
            answers = []
            for text, echo in prompts:
                answer = self._answer(spec, f"({spec.user}@{spec.hostname}) {text}", bool(echo))
                if answer is None:
                    raise paramiko.AuthenticationException("no answer to a keyboard-interactive prompt")
                answers.append(answer)
            return answers

        return handler
