"""Asking the user things (passphrases, 2FA codes, host-key confirmation) on the terminal, or via SSH_ASKPASS.

Like `ssh`: the controlling terminal is used when there is one; `SSH_ASKPASS` is used when
`SSH_ASKPASS_REQUIRE=force`, or when there is no terminal and SSH_ASKPASS_REQUIRE is not `never`.
Answers are never logged.
"""

from __future__ import annotations

import getpass
import os
import subprocess
import sys
import threading

ASKPASS_TIMEOUT = 300.0


class Prompter:
    """Base prompter: cannot ask anything (non-interactive). Subclasses answer prompts."""

    def can_ask(self) -> bool:
        """Whether this prompter can reach the user at all."""
        return False

    def ask(self, prompt: str, echo: bool = False) -> str | None:
        """The user's answer to `prompt`, or None when nobody can be asked."""
        return None

    def info(self, message: str) -> None:
        """Show a message (banner, instructions) to the user."""
        if message.strip():
            print(message.rstrip(), file=sys.stderr, flush=True)


class TerminalPrompter(Prompter):
    """Prompts on the controlling terminal, or through the SSH_ASKPASS program."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    @staticmethod
    def _has_tty() -> bool:
        try:
            with open("/dev/tty", "r"):
                return True
        except OSError:
            return False

    @staticmethod
    def _askpass() -> str | None:
        program = os.environ.get("SSH_ASKPASS")
        require = os.environ.get("SSH_ASKPASS_REQUIRE", "").lower()
        if not program or require == "never":
            return None
        if require == "force" or not TerminalPrompter._has_tty():
            return program
        return None

    def can_ask(self) -> bool:
        return self._askpass() is not None or self._has_tty()

    def ask(self, prompt: str, echo: bool = False) -> str | None:
        with self._lock:
            program = self._askpass()
            if program:
                try:
                    done = subprocess.run([program, prompt], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                          timeout=ASKPASS_TIMEOUT, check=False)
                except (OSError, subprocess.TimeoutExpired):
                    return None
                if done.returncode != 0:
                    return None
                return done.stdout.decode(errors="replace").rstrip("\r\n")
            if not self._has_tty():
                return None
            if not echo:
                try:
                    return getpass.getpass(prompt)
                except (EOFError, OSError):
                    return None
            try:
                with open("/dev/tty", "r+") as tty:
                    tty.write(prompt)
                    tty.flush()
                    line = tty.readline()
            except OSError:
                return None
            return line.rstrip("\r\n") if line else None

    def info(self, message: str) -> None:
        with self._lock:
            super().info(message)


class ScriptedPrompter(Prompter):
    """Answers prompts from a function (library use and tests); `answer(prompt, echo)` returns str or None."""

    def __init__(self, answer) -> None:
        self._answer = answer
        self.prompts: list[str] = []
        self.messages: list[str] = []

    def can_ask(self) -> bool:
        return True

    def ask(self, prompt: str, echo: bool = False) -> str | None:
        self.prompts.append(prompt)
        return self._answer(prompt, echo)

    def info(self, message: str) -> None:
        self.messages.append(message)
