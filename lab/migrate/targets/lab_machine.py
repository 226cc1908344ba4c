"""The `lab` target: the quadlet and unit folders of the lab user inside the lab machine.

The file-level plan, apply and rollback run on a host mirror in
`<state dir>/labs/<lab id>/mirror/`, so backups stay on the host in
`<state dir>/labs/<lab id>/backups/`. The files that changed are pushed back afterwards.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from pathlib import Path, PurePosixPath
from typing import TypeVar

import docker

from lab.errors import LabError
from lab.log import step
from lab.machine import Machine
from lab.migrate.generator import Generator, LabGenerator, find_lab_generator
from lab.migrate.restart import Systemctl
from lab.migrate.targets.base import Target, require_user_manager
from lab.migrate.targets.mirror import Mirror, Snapshot
from lab.paths import state_dir

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_QUADLET_DIR = "/home/lab/.config/containers/systemd"
DEFAULT_UNIT_DIR = "/home/lab/.config/systemd/user"


def lab_folder(lab_id: str) -> Path:
    """Return the host folder that contains the mirror and backups of one lab."""
    return state_dir() / "labs" / lab_id


class LabTarget(Target):
    """The lab user's folders in the running lab machine, through a host mirror."""

    name = "lab"

    def __init__(
        self, machine: Machine, lab_id: str, quadlet_dir: str | None, unit_dir: str | None
    ) -> None:
        self.machine = machine
        self.mirror = Mirror(lab_folder(lab_id) / "mirror", machine)
        self.remote_quadlet_dir = PurePosixPath(quadlet_dir or DEFAULT_QUADLET_DIR)
        self.remote_unit_dir = PurePosixPath(unit_dir or DEFAULT_UNIT_DIR)
        super().__init__(
            self.mirror.local(self.remote_quadlet_dir),
            self.mirror.local(self.remote_unit_dir),
            lab_folder(lab_id) / "backups",
        )

    @property
    def description(self) -> str:
        return (
            f"{self.remote_quadlet_dir} and {self.remote_unit_dir} in the lab machine "
            f"{self.machine.name} (mirrored in {self.mirror.root})"
        )

    def refresh(self) -> None:
        with step(f"Copying {self.remote_quadlet_dir} and {self.remote_unit_dir} from the lab"):
            self.mirror.pull(self.remote_quadlet_dir, required=True)
            self.mirror.pull(self.remote_unit_dir, required=False)

    def shown(self, text: str) -> str:
        root = re.escape(str(self.mirror.root))
        # A diff names files `a/<path>`, and a machine path already starts with a slash.
        text = re.sub(rf"\b([ab])/{root}/", r"\1/", text)
        # Only a path below the mirror is rewritten, so the description still names the mirror.
        return re.sub(rf"{root}(?=/)", "", text)

    def write(self, change: Callable[[], T], undo: Callable[[T], None] | None = None) -> T:
        before = self.mirror.snapshot()
        result = change()
        after = self.mirror.snapshot()
        if after == before:
            return result
        try:
            with step(f"Copying the changed files into {self.machine.name}"):
                self.mirror.push(before, after)
        except (LabError, docker.errors.DockerException) as error:
            self._restore(before, after)
            if undo is not None:
                undo(result)
            raise LabError(
                f"copying the changed files into the lab machine failed, the files there "
                f"were restored: {error}",
                hint="check the lab with `./slicelab lab.status`, then run the command again",
            ) from error
        return result

    def _restore(self, before: Snapshot, after: Snapshot) -> None:
        try:
            self.mirror.push(after, before)
        except (LabError, docker.errors.DockerException) as error:
            raise LabError(
                f"copying the changed files into the lab machine failed, and so did restoring "
                f"them: {error}",
                hint=f"compare {self.remote_quadlet_dir} in the machine with {self.quadlet_dir}",
            ) from error

    def generator(self) -> Generator | None:
        binary = find_lab_generator(self.machine)
        return LabGenerator(self.machine, binary) if binary is not None else None

    def systemctl(self) -> Systemctl:
        machine = self.machine

        def lab_systemctl(args: Sequence[str], *, check: bool = True) -> str:
            return machine.exec(["systemctl", "--user", *args], user=True, check=check).stdout

        return lab_systemctl

    def check_ready(self) -> None:
        require_user_manager(self.systemctl(), f"the lab user's systemd manager in {self.machine.name}")
