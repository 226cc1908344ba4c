"""A minimal QMP client: enough to ask a VM to power down or to quit."""

from __future__ import annotations

import json
import socket
from io import BufferedRWPair
from pathlib import Path


def qmp_command(qmp_socket: Path, command: str, timeout: float = 5.0) -> dict[str, object]:
    """Send one QMP command after the capabilities handshake and return its reply."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(str(qmp_socket))
        stream = sock.makefile("rwb")
        json.loads(stream.readline())  # the greeting
        for execute in ("qmp_capabilities", command):
            stream.write(json.dumps({"execute": execute}).encode() + b"\n")
            stream.flush()
            reply = _read_reply(stream)
        return reply


def _read_reply(stream: BufferedRWPair) -> dict[str, object]:
    # Events such as SHUTDOWN may arrive before the reply; skip them.
    while True:
        line = stream.readline()
        if not line:
            return {}
        message = json.loads(line)
        if "return" in message or "error" in message:
            return message
