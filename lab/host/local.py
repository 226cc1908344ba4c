"""The local host: the user's own podman on a cgroup-v2 kernel with the memory controller and PSI."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import subprocess
from pathlib import Path

import docker

from lab.errors import LabError
from lab.paths import runtime_dir
from lab.retry import NotYet, policy

log = logging.getLogger(__name__)


def usable_reason() -> str | None:
    """Return why this host cannot run the lab locally, or None when it can."""
    controllers = Path("/sys/fs/cgroup/cgroup.controllers")
    if not controllers.exists():
        return "the host has no unified cgroup v2 hierarchy at /sys/fs/cgroup"
    if "memory" not in controllers.read_text().split():
        return "the cgroup v2 memory controller is not enabled"
    try:
        Path("/proc/pressure/memory").read_text()
    except OSError:
        return "PSI is off (/proc/pressure/memory is not readable; boot the kernel with psi=1)"
    if not shutil.which("podman"):
        return "podman is not installed"
    return None


def socket_candidates() -> list[str]:
    """API addresses to try, in order: CONTAINER_HOST, the rootless socket, the rootful one."""
    candidates = []
    if os.environ.get("CONTAINER_HOST"):
        candidates.append(os.environ["CONTAINER_HOST"])
    runtime = os.environ.get("XDG_RUNTIME_DIR") or f"/run/user/{os.getuid()}"
    candidates.append(f"unix://{runtime}/podman/podman.sock")
    candidates.append("unix:///run/podman/podman.sock")
    return candidates


class LocalHost:
    """The host's own podman; runs a private `podman system service` when no socket listens."""

    kind = "local"
    accel = "native"

    def __init__(self, base_url: str, service: subprocess.Popen[bytes] | None = None) -> None:
        self.base_url = base_url
        self.service = service

    def describe(self) -> str:
        return f"local ({self.base_url})"

    def client(self, timeout: int = 600) -> docker.DockerClient:
        return docker.DockerClient(base_url=self.base_url, timeout=timeout)

    def stop(self, clean: bool = True) -> None:
        if self.service and self.service.poll() is None:
            self.service.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.service.wait(10)


def connect_local() -> LocalHost:
    """Connect to the first podman socket that responds, or start a private one on a 0600 socket."""
    for url in socket_candidates():
        with contextlib.suppress(docker.errors.DockerException, OSError):
            docker.DockerClient(base_url=url, timeout=5).version()
            return LocalHost(url)
    socket = runtime_dir() / "podman.sock"
    socket.unlink(missing_ok=True)
    log.info("No podman socket responds; starting a private `podman system service` at %s", socket)
    service = subprocess.Popen(
        ["podman", "system", "service", "--time=0", f"unix://{socket}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    host = LocalHost(f"unix://{socket}", service)
    try:
        for attempt in policy(30.0, 0.5, on=(NotYet, docker.errors.DockerException, OSError)):
            with attempt:
                if service.poll() is not None:
                    raise LabError("`podman system service` exited at once",
                                   hint="run `podman info` to see what podman reports")  # fmt: skip
                host.client(timeout=5).version()
    except (NotYet, docker.errors.DockerException, OSError) as error:
        host.stop()
        raise LabError(f"the private podman service did not respond: {error}",
                       hint="start the socket: `systemctl --user enable --now podman.socket`") from error
    socket.chmod(0o600)
    return host
