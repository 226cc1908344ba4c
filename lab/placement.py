"""Place the lab's services as a strategy defines, and put them back in app.slice afterwards.

The migration tool does the work, on the running lab machine (target `lab`): the same code
path a user's `./slicelab migrate.apply --target lab` takes.
"""

from __future__ import annotations

import logging

from lab.lifecycle import Lab
from lab.machine import LAB_UID, FileSpec
from lab.migrate import make_settings
from lab.migrate.targets import LabTarget, apply_change, choose_validator, plan_change, rollback_change
from lab.migrate.targets.commands import find_backup
from lab.oomd import check_watched
from lab.policy import get_profile
from lab.services import service_names, unit_name
from lab.strategy import Strategy

log = logging.getLogger(__name__)

USER_UNIT_DIR = "/home/lab/.config/systemd/user"
# Sorts after Fedora's 10-oomd-per-slice-defaults.conf, so it wins for this slice.
UNWATCHED_DROPIN = "99-slicelab-unwatched.conf"
AVOID_KEYS = ("ManagedOOMPreference=avoid", "OOMPolicy=kill")


def _target(lab: Lab) -> LabTarget:
    return LabTarget(lab.machine, lab.record.lab_id, None, None)


def place_services(lab: Lab, strategy: Strategy) -> None:
    """Apply strategy to the lab's quadlets with the migration tool (none changes nothing)."""
    if not strategy.moves_services:
        return
    high = strategy.memory_high.lab if strategy.memory_high else "infinity"
    maximum = strategy.memory_max.lab if strategy.memory_max else "infinity"
    settings = make_settings(
        strategy.slice,
        memory_high=high,
        memory_max=maximum,
        memory_low=strategy.memory_low.lab if strategy.memory_low else None,
        extra_service_keys=AVOID_KEYS if strategy.avoid else (),
    )
    target = _target(lab)
    if not strategy.watch_container_slice:
        path = f"{USER_UNIT_DIR}/{strategy.slice}.d/{UNWATCHED_DROPIN}"
        content = "[Slice]\n# Stop systemd-oomd from watching this slice.\nManagedOOMMemoryPressure=auto\n"
        lab.machine.put_files({path: FileSpec(content, 0o644, LAB_UID)})
    applied = apply_change(target, plan_change(target, settings, None), choose_validator(target, True))
    log.info("  strategy %s: %s", strategy.name, applied.result.summary())
    unwatched = frozenset() if strategy.watch_container_slice else frozenset({strategy.slice})
    check_watched(lab.machine, get_profile(lab.record.policy), reloaded=True, unwatched=unwatched)


def restore_default(lab: Lab, strategy: Strategy) -> None:
    """Undo place_services: quadlets back in app.slice, the drop-ins removed, all services up."""
    machine = lab.machine
    if strategy.moves_services:
        target = _target(lab)
        machine.exec(["rm", "-f", f"{USER_UNIT_DIR}/{strategy.slice}.d/{UNWATCHED_DROPIN}"])
        rollback_change(target, find_backup(target, None), None, force=True, keep_dropin=False)
    # Services a run killed may still be failed or waiting to restart.
    machine.exec(["systemctl", "--user", "reset-failed"], user=True, check=False)
    units = [unit_name(name) for name in service_names()]
    machine.exec(["systemctl", "--user", "start", *units], user=True, check=False)
