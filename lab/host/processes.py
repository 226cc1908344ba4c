"""Host processes that slicelab started and tracks by pid and by a name on their command line."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from lab.retry import NotYet, policy


def is_running(pid: int, marker: str) -> bool:
    """Tell whether pid is alive and its command line contains marker (so a reused pid is not it)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return marker.encode() in cmdline


def pids_with_marker(marker: str) -> list[int]:
    """Find every process whose command line contains marker."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and is_running(int(entry.name), marker):
            found.append(int(entry.name))
    return found


def terminate(pid: int, marker: str, grace: float = 10.0) -> None:
    """SIGTERM pid, then SIGKILL it if it is still running after grace seconds."""
    if not is_running(pid, marker):
        return
    os.kill(pid, signal.SIGTERM)
    try:
        wait_for_exit(pid, marker, grace)
    except NotYet:
        if is_running(pid, marker):
            os.kill(pid, signal.SIGKILL)
        wait_for_exit(pid, marker, 5.0)


def wait_for_exit(pid: int, marker: str, seconds: float) -> None:
    """Wait until pid has exited; raise NotYet after seconds."""
    for attempt in policy(seconds, 0.2):
        with attempt:
            if is_running(pid, marker):
                raise NotYet(f"pid {pid} still running")
