"""Command-line options shared by `imjoy-hpc tunnel` and `imjoy-hpc connect`, and building a Connector from them."""

from __future__ import annotations

import argparse
import logging
import sys

from imjoy_hpc.ssh.auth import Authenticator
from imjoy_hpc.ssh.client import Connector
from imjoy_hpc.ssh.config import resolve
from imjoy_hpc.ssh.hostkeys import HostKeyChecker
from imjoy_hpc.ssh.prompt import Prompter, TerminalPrompter


def add_ssh_arguments(parser: argparse.ArgumentParser) -> None:
    """The `ssh`-like options: destination, -p, -i, -J, -F, known_hosts handling."""
    parser.add_argument("destination", metavar="[user@]host", help="login node, or a Host alias of your ssh config")
    parser.add_argument("-p", "--ssh-port", dest="ssh_port", type=int, metavar="PORT",
                        help="SSH port (default: from ssh config, else 22)")
    parser.add_argument("-i", "--identity", action="append", default=[], metavar="FILE",
                        help="private key file to try first, on every hop (repeatable)")
    parser.add_argument("-J", "--jump", metavar="JUMP[,JUMP2]",
                        help="jump host(s), [user@]host[:port], comma-separated (overrides ProxyJump)")
    parser.add_argument("-F", "--ssh-config", dest="ssh_config", metavar="FILE",
                        help="ssh config file to read instead of ~/.ssh/config and /etc/ssh/ssh_config")
    parser.add_argument("--known-hosts", metavar="FILE", help="known_hosts file to check and record host keys in")
    parser.add_argument("--accept-new-host-key", action="store_true",
                        help="accept and record the key of a host not yet in known_hosts (never a changed key)")
    parser.add_argument("--accept-host-key", metavar="SHA256:...",
                        help="accept and record the host key with exactly this fingerprint (also replaces a "
                             "changed key; check the fingerprint with your admins first)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log SSH details to stderr")


def connector_from_args(args: argparse.Namespace, prompter: Prompter | None = None) -> Connector:
    """A Connector for the parsed options (raises SSHError subclasses for bad input)."""
    if getattr(args, "verbose", False):
        logging.basicConfig(level=logging.DEBUG, stream=sys.stderr, format="%(name)s: %(message)s")
        logging.getLogger("paramiko").setLevel(logging.INFO)
    else:
        # paramiko logs a dropped link as an error; our own messages say what happened and what is done about it
        logging.getLogger("paramiko").addHandler(logging.NullHandler())
        logging.getLogger("paramiko").propagate = False
        ours = logging.getLogger("imjoy_hpc.ssh")
        if not ours.handlers:
            handler = logging.StreamHandler(sys.stderr)
            prog = f"imjoy-hpc {getattr(args, 'command', None) or 'ssh'}"
            handler.setFormatter(logging.Formatter(f"{prog}: %(message)s"))
            ours.addHandler(handler)
            ours.setLevel(logging.WARNING)
    chain = resolve(args.destination, config_file=args.ssh_config, port=args.ssh_port, identity=args.identity,
                    jump=args.jump, known_hosts=args.known_hosts)
    prompter = prompter or TerminalPrompter()
    hostkeys = HostKeyChecker(prompter, accept_new=args.accept_new_host_key, accept_fingerprint=args.accept_host_key)
    return Connector(chain, Authenticator(prompter), hostkeys)


def stderr_notice(prog: str):
    """A notify() callback printing `prog: message` on stderr."""
    def notify(message: str) -> None:
        print(f"{prog}: {message}", file=sys.stderr, flush=True)

    return notify
