"""Plan, apply and roll back the container.slice change on a target, then reload and restart.

Files change all together or not at all (see `Target.write`). Reload and restarts come after,
so a failed restart leaves the new files in place and names the unit; rollback undoes them.
"""

from __future__ import annotations

import logging
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from lab.errors import BadInput
from lab.log import step
from lab.migrate.apply import ApplyResult, Validator, apply
from lab.migrate.backup import COPY_NAME, Manifest, newest_backup, read_manifest
from lab.migrate.files import sha256, unified_diff
from lab.migrate.generator import generator_validator
from lab.migrate.order import RestartOrder, restart_tiers
from lab.migrate.plan import MigrationPlan, plan_with
from lab.migrate.restart import RESTART_SECONDS, RestartReport, restart_services
from lab.migrate.rollback import RollbackResult, rollback
from lab.migrate.settings import Settings
from lab.migrate.targets.base import Target

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Planned:
    """The plan, and the restart order of all quadlet services (None while the plan is blocked)."""

    plan: MigrationPlan
    order: RestartOrder | None


@dataclass(frozen=True)
class Applied:
    """The outcome of apply: files, reload and restarts (None for the `dir` target)."""

    result: ApplyResult
    order: RestartOrder
    restarts: RestartReport | None
    seconds: float


@dataclass(frozen=True)
class RolledBack:
    """The outcome of rollback: files, reload and restarts (None for the `dir` target)."""

    result: RollbackResult
    order: RestartOrder
    restarts: RestartReport | None


@dataclass(frozen=True)
class RollbackStep:
    """The action rollback would take on one file (restore or unchanged), with its diff."""

    path: Path
    action: str
    diff: str


def plan_change(target: Target, settings: Settings, tier_file: Path | None) -> Planned:
    """Refresh the target's folders and plan the change; writes nothing where the units are."""
    target.refresh()
    migration = plan_with(target.quadlet_dir, target.unit_dir, settings)
    order = None if migration.blockers else restart_order(target, tier_file)
    return Planned(migration, order)


def restart_order(target: Target, tier_file: Path | None) -> RestartOrder:
    """Return the restart order of every quadlet service of the target."""
    return restart_tiers(target.quadlet_dir, unit_dir=target.unit_dir, tier_file=tier_file)


def choose_validator(target: Target, validate: bool) -> Validator | None:
    """Return the generator check, or None with validate off; BadInput without a generator."""
    generator = target.generator()
    if not validate:
        log.warning("Not checking the new files with podman's quadlet generator (--no-validate)")
        return None
    if generator is None:
        raise BadInput(
            f"podman's quadlet generator is not installed for {target.description}, so the "
            "new files cannot be checked before they are written",
            hint="install podman (it ships /usr/libexec/podman/quadlet), or pass --no-validate "
            "to apply without the check",
        )
    return generator_validator(generator)


def apply_change(
    target: Target,
    planned: Planned,
    validator: Validator | None,
    *,
    restart_timeout: float = RESTART_SECONDS,
) -> Applied:
    """Write the planned change, then reload and restart the changed services in order.

    planned must come from plan_change on the same target just before.
    """
    migration = planned.plan
    target.check_ready()
    started = time.monotonic()
    result = target.write(
        lambda: apply(
            target.quadlet_dir,
            target.unit_dir,
            migration.settings.slice_name,
            memory_high=migration.settings.memory_high,
            memory_max=migration.settings.memory_max,
            memory_low=migration.settings.memory_low,
            dropin_name=migration.settings.dropin_name,
            replace_existing=migration.settings.replace_existing,
            extra_service_keys=[f"{k}={v}" for k, v in migration.settings.extra_service_keys],
            backup_root=target.backup_root,
            validate=validator,
        ),
        undo=_discard_backup,
    )
    order = (planned.order or RestartOrder((), ())).only(result.changed_units)
    restarts = _reload_and_restart(target, order, restart_timeout) if result.changed else None
    return Applied(result, order, restarts, time.monotonic() - started)


def _discard_backup(result: ApplyResult) -> None:
    # The change never took effect, so its backup must not become the newest one to roll back.
    if result.backup is not None:
        shutil.rmtree(result.backup, ignore_errors=True)


def _reload_and_restart(
    target: Target, order: RestartOrder, restart_timeout: float
) -> RestartReport | None:
    systemctl = target.systemctl()
    if systemctl is None:
        return None
    with step("Reloading the user manager (systemctl --user daemon-reload)"):
        systemctl(["daemon-reload"])
    return restart_services(systemctl, order, timeout=restart_timeout)


def find_backup(target: Target, backup: str | None) -> Path:
    """Return the backup folder given, or the newest backup of the target's quadlet folder."""
    if backup is not None:
        return Path(backup).expanduser().absolute()
    return newest_backup(target.backup_root, target.quadlet_dir)


def preview_rollback(target: Target, backup: Path) -> tuple[Manifest, list[RollbackStep]]:
    """List what rollback would do to each file apply changed, with a diff; writes nothing."""
    manifest = read_manifest(backup)
    steps = []
    for entry in manifest.files:
        path = Path(manifest.quadlet_dir) / entry.path
        saved = (backup / COPY_NAME / entry.path).read_bytes()
        current = path.read_bytes() if path.is_file() else None
        if current is not None and sha256(current) == entry.sha256_before:
            steps.append(RollbackStep(path, "unchanged", ""))
            continue
        edited = current is None or sha256(current) != entry.sha256_after
        action = "restore (edited after apply: needs --force)" if edited else "restore"
        steps.append(RollbackStep(path, action, unified_diff(current or b"", saved, path)))
    return manifest, steps


def rollback_change(
    target: Target,
    backup: Path,
    tier_file: Path | None,
    *,
    force: bool,
    keep_dropin: bool,
    restart_timeout: float = RESTART_SECONDS,
) -> RolledBack:
    """Restore the files from backup, then reload and restart the restored services in order."""
    target.check_ready()
    order = restart_order(target, tier_file)
    result = target.write(
        lambda: rollback(
            target.quadlet_dir,
            target.unit_dir,
            backup,
            force=force,
            keep_dropin=keep_dropin,
            backup_root=target.backup_root,
        )
    )
    order = order.only(result.changed_units)
    restarts = _reload_and_restart(target, order, restart_timeout) if result.changed else None
    return RolledBack(result, order, restarts)
