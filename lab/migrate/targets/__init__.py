"""The targets of the container.slice change: `dir` (files only), `host` and `lab`.

`plan_change`, `apply_change` and `rollback_change` run the file-level migration of
`lab.migrate` on a target and then drive its user manager: daemon-reload and restarts in order.
"""

from __future__ import annotations

from lab import lifecycle
from lab.errors import BadInput
from lab.migrate.targets.base import Target
from lab.migrate.targets.commands import (
    Applied,
    Planned,
    RollbackStep,
    RolledBack,
    apply_change,
    choose_validator,
    find_backup,
    plan_change,
    preview_rollback,
    rollback_change,
)
from lab.migrate.targets.lab_machine import LabTarget
from lab.migrate.targets.local import DirTarget, HostTarget

TARGETS = ("dir", "host", "lab")


def open_target(kind: str | None, quadlet_dir: str | None, unit_dir: str | None) -> Target:
    """Return the target named kind; `lab` attaches to the running lab.

    Raises BadInput when kind is missing or unknown, and LabError when no lab is running.
    """
    if kind is None:
        raise BadInput(
            "--target is required: this command writes files",
            hint="pass --target dir (files only), --target host (also this machine's user "
            "manager) or --target lab (the running lab machine)",
        )
    if kind == "dir":
        return DirTarget(quadlet_dir, unit_dir)
    if kind == "host":
        return HostTarget(quadlet_dir, unit_dir)
    if kind == "lab":
        lab = lifecycle.attach()
        return LabTarget(lab.machine, lab.record.lab_id, quadlet_dir, unit_dir)
    raise BadInput(f"invalid --target: {kind!r}", hint=f"use one of: {', '.join(TARGETS)}")


__all__ = [
    "TARGETS",
    "Applied",
    "DirTarget",
    "HostTarget",
    "LabTarget",
    "Planned",
    "RollbackStep",
    "RolledBack",
    "Target",
    "apply_change",
    "choose_validator",
    "find_backup",
    "open_target",
    "plan_change",
    "preview_rollback",
    "rollback_change",
]
