"""Armed stand-in bursts and their release, as real processes on this machine."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
STANDIN = REPO / "containers" / "standin" / "standin.py"
RELEASE = REPO / "containers" / "lab" / "runtime" / "release.py"
BURST_BYTES = 64 << 20


def _resident_kib(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmRSS:")).split()[1])


def _armed_burst(seconds: float) -> subprocess.Popen[bytes]:
    environment = {**os.environ, "STANDIN_ARMED": "1"}
    command = [sys.executable, "-S", "-u", str(STANDIN), "hold", str(BURST_BYTES), str(seconds)]
    return subprocess.Popen(command, env=environment)


def _release(count: int, timeout: float) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(RELEASE), str(count), str(timeout)]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout + 10)


def test_armed_burst_waits_then_allocates() -> None:
    burst = _armed_burst(2.0)
    try:
        released = _release(1, 10.0)
        assert released.returncode == 0, released.stderr
        assert "released 1 bursts" in released.stdout
        deadline = time.monotonic() + 10.0
        while _resident_kib(burst.pid) < BURST_BYTES // 1024 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _resident_kib(burst.pid) >= BURST_BYTES // 1024
        assert burst.wait(timeout=10.0) == 0
    finally:
        burst.kill()


def test_armed_burst_holds_nothing_before_release() -> None:
    burst = _armed_burst(30.0)
    try:
        time.sleep(1.0)
        assert burst.poll() is None
        assert _resident_kib(burst.pid) < BURST_BYTES // 1024 // 2
        burst.terminate()
        assert burst.wait(timeout=10.0) == 0
    finally:
        burst.kill()


def test_release_fails_when_bursts_are_missing() -> None:
    released = _release(1, 0.5)
    assert released.returncode == 1
    assert "only 0 of 1 bursts were armed" in released.stderr
