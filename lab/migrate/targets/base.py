"""The interface of a migration target, and the user manager check that targets share."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from lab.errors import CommandFailed, LabError
from lab.migrate.generator import Generator
from lab.migrate.restart import Systemctl

T = TypeVar("T")

# `systemctl is-system-running` states in which the manager accepts reloads and restarts.
MANAGER_STATES = ("running", "degraded")


class Target(ABC):
    """A quadlet folder and unit folder to change, and the user manager that runs them.

    `quadlet_dir` and `unit_dir` are the host paths that the file-level plan, apply and rollback
    work on. For the lab machine they are a mirror of its folders.
    """

    name: str

    def __init__(self, quadlet_dir: Path, unit_dir: Path, backup_root: Path) -> None:
        self.quadlet_dir = quadlet_dir
        self.unit_dir = unit_dir
        self.backup_root = backup_root

    @property
    @abstractmethod
    def description(self) -> str:
        """Describe the folders and where they are, for the plan's header."""

    def refresh(self) -> None:
        """Bring quadlet_dir and unit_dir up to date before planning; nothing to do here."""
        return None

    def shown(self, text: str) -> str:
        """Rewrite host paths in text as the user knows them (the lab shows machine paths)."""
        return text

    def write(self, change: Callable[[], T], undo: Callable[[T], None] | None = None) -> T:
        """Run a file-level change and make it take effect where the folders really are.

        When the change cannot be made to take effect, the target restores what it touched,
        calls undo with the change's result and raises LabError.
        """
        return change()

    @abstractmethod
    def generator(self) -> Generator | None:
        """Return podman's quadlet generator where the units run, or None when it is missing."""

    def systemctl(self) -> Systemctl | None:
        """Return the user manager's `systemctl --user`, or None when only files change."""
        return None

    def check_ready(self) -> None:
        """Raise LabError when the user manager cannot be driven; files alone need nothing."""
        return None


def require_user_manager(systemctl: Systemctl, manager: str) -> None:
    """Raise LabError naming manager unless `systemctl --user is-system-running` reports it up."""
    try:
        state = systemctl(["is-system-running"], check=False).strip()
    except CommandFailed as error:
        state = error.stderr.strip()
    if state not in MANAGER_STATES:
        raise LabError(
            f"{manager} cannot be driven: `systemctl --user is-system-running` returned {state!r}",
            hint="run this in the user's login session (with a session bus), "
            "or change the files only with --target dir",
        )
