"""The build server's messages: each one its length, then its JSON, with file descriptors passed
alongside (``SCM_RIGHTS``); and the signals a process can hand on (:mod:`previz.cli.serving`).

This module imports the standard library only: the client runs it before anything else loads.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import struct
from typing import Any

_HEADER = struct.Struct(">I")


_MAX_MESSAGE = 1 << 24


def send(connection: socket.socket, message: dict[str, Any], fds: list[int] | None = None) -> None:
    """One message: its length, then its JSON (with ``fds`` passed alongside)."""
    body = json.dumps(message).encode()
    data = _HEADER.pack(len(body)) + body
    sent = socket.send_fds(connection, [data], fds) if fds else connection.send(data)
    if sent < len(data):  # (sending nothing to a peer that already answered and left: EPIPE)
        connection.sendall(data[sent:])


class Channel:
    """Messages read from a connection as they come: a message may arrive in pieces, or two in
    one read; descriptors come with the piece they were sent with."""

    def __init__(self, connection: socket.socket) -> None:
        self.connection = connection
        self.buffer = b""
        self.fds: list[int] = []

    def feed(self, max_fds: int = 0) -> bool:
        """Read what is there (blocking if the connection blocks); False when the peer closed."""
        data, fds, _flags, _address = socket.recv_fds(self.connection, 65536, max_fds)
        self.fds.extend(fds)
        self.buffer += data
        return bool(data)

    def message(self) -> dict[str, Any] | None:
        """The next whole message read so far, or None."""
        if len(self.buffer) < _HEADER.size:
            return None
        (length,) = _HEADER.unpack_from(self.buffer)
        if length > _MAX_MESSAGE:
            raise ValueError("message too long")
        if len(self.buffer) < _HEADER.size + length:
            return None
        body = self.buffer[_HEADER.size : _HEADER.size + length]
        self.buffer = self.buffer[_HEADER.size + length :]
        message = json.loads(body)
        if not isinstance(message, dict):
            raise ValueError("not a message")
        return message

    def receive(self, max_fds: int = 0) -> dict[str, Any]:
        """The next message, waiting for it; ``EOFError`` when the peer closed first."""
        while (message := self.message()) is None:
            if not self.feed(max_fds):
                raise EOFError
        return message

    def close(self) -> None:
        """Close the connection and any descriptor received and not taken."""
        for fd in self.fds:
            os.close(fd)
        self.fds = []
        self.connection.close()


def catchable() -> list[int]:
    """The signals a process can handle or ignore."""
    return sorted(set(signal.valid_signals()) - {signal.SIGKILL, signal.SIGSTOP})


def ignored() -> list[int]:
    """The signals this process ignores (inherited ignored, as ``nohup`` leaves SIGHUP)."""
    found = []
    for number in catchable():
        with contextlib.suppress(OSError, ValueError):
            if signal.getsignal(number) == signal.SIG_IGN:
                found.append(int(number))
    return found


def peer_uid(connection: socket.socket) -> int:
    """The user id of the process at the other end (where the system cannot say, the socket's
    folder, which no one else may enter, is the only guard)."""
    option = getattr(socket, "SO_PEERCRED", None)
    if option is None:
        return os.getuid()
    credentials = connection.getsockopt(socket.SOL_SOCKET, option, struct.calcsize("3i"))
    return int(struct.unpack("3i", credentials)[1])
