"""The targets on this machine: `dir` changes files only, `host` also drives the user manager."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from lab.migrate.backup import default_backup_root
from lab.migrate.generator import Generator, HostGenerator, find_host_generator
from lab.migrate.restart import Systemctl
from lab.migrate.targets.base import Target, require_user_manager
from lab.run import run

DEFAULT_QUADLET_DIR = "~/.config/containers/systemd"
DEFAULT_UNIT_DIR = "~/.config/systemd/user"


class DirTarget(Target):
    """Folders on this machine; the files change and nothing else does."""

    name = "dir"

    def __init__(self, quadlet_dir: str | None, unit_dir: str | None) -> None:
        super().__init__(
            _local_path(quadlet_dir or DEFAULT_QUADLET_DIR),
            _local_path(unit_dir or DEFAULT_UNIT_DIR),
            default_backup_root(),
        )

    @property
    def description(self) -> str:
        return f"{self.quadlet_dir} and {self.unit_dir} on this machine (files only)"

    def generator(self) -> Generator | None:
        binary = find_host_generator()
        return HostGenerator(binary) if binary is not None else None


class HostTarget(DirTarget):
    """Folders on this machine, and this user's systemd manager for reload and restarts."""

    name = "host"

    @property
    def description(self) -> str:
        return f"{self.quadlet_dir} and {self.unit_dir} on this machine (user manager)"

    def systemctl(self) -> Systemctl:
        return host_systemctl

    def check_ready(self) -> None:
        require_user_manager(host_systemctl, "this user's systemd manager")


def host_systemctl(args: Sequence[str], *, check: bool = True) -> str:
    """Run `systemctl --user ARGS` on this machine and return its stdout."""
    return run(["systemctl", "--user", *args], check=check).stdout


def _local_path(text: str) -> Path:
    return Path(text).expanduser().absolute()
