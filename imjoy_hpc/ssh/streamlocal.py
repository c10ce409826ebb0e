"""Channels to a Unix socket on the SSH server: OpenSSH's `direct-streamlocal@openssh.com` (`ssh -L 9527:/path`).

paramiko's `Transport.open_channel` writes destination fields only for the TCP kinds, so this module builds the
CHANNEL_OPEN message itself (OpenSSH PROTOCOL, section 2.4: socket path, reserved string, reserved uint32) and
otherwise does exactly what `open_channel` does: the same channel bookkeeping, window sanitising and wait for the
server's answer. A refusal raises paramiko.ChannelException, as for direct-tcpip.
"""

from __future__ import annotations

import threading
import time

import paramiko
from paramiko.common import cMSG_CHANNEL_OPEN

KIND = "direct-streamlocal@openssh.com"


def open_streamlocal_channel(transport: paramiko.Transport, path: str, window_size: int | None = None,
                             max_packet_size: int | None = None, timeout: float | None = None) -> paramiko.Channel:
    """A channel from the server to the Unix socket at `path` there (mirrors paramiko's Transport.open_channel)."""
    if not transport.active:
        raise paramiko.SSHException("SSH session not active")
    timeout = transport.channel_timeout if timeout is None else timeout
    with transport.lock:
        window_size = transport._sanitize_window_size(window_size)
        max_packet_size = transport._sanitize_packet_size(max_packet_size)
        chanid = transport._next_channel()
        message = paramiko.Message()
        message.add_byte(cMSG_CHANNEL_OPEN)
        message.add_string(KIND)
        message.add_int(chanid)
        message.add_int(window_size)
        message.add_int(max_packet_size)
        message.add_string(path)
        message.add_string("")  # reserved
        message.add_int(0)  # reserved
        chan = paramiko.Channel(chanid)
        transport._channels.put(chanid, chan)
        transport.channel_events[chanid] = event = threading.Event()
        transport.channels_seen[chanid] = True
        chan._set_transport(transport)
        chan._set_window(window_size, max_packet_size)
    transport._send_user_message(message)
    deadline = time.monotonic() + timeout
    while not event.wait(0.1):
        if not transport.active:
            raise transport.get_exception() or paramiko.SSHException("Unable to open channel.")
        if time.monotonic() > deadline:
            raise paramiko.SSHException("Timeout opening channel.")
    chan = transport._channels.get(chanid)
    if chan is not None:
        return chan
    raise transport.get_exception() or paramiko.SSHException("Unable to open channel.")
