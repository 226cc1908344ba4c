"""Apply the container.slice change to the files: all of it, or nothing.

Only files change here. The caller runs `systemctl --user daemon-reload` and restarts
`ApplyResult.changed_units` afterwards (see `lab.migrate.order` for the restart order).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from lab.errors import BadInput, LabError
from lab.log import step
from lab.migrate.backup import (
    BackedUpFile,
    Manifest,
    check_backup_root,
    create_backup,
    default_backup_root,
)
from lab.migrate.files import sha256, write_atomic
from lab.migrate.plan import FilePlan, MigrationPlan, plan_with
from lab.migrate.settings import make_settings

log = logging.getLogger(__name__)

# Receives the quadlet folder and the new content of every file apply would rewrite, keyed by
# the file's resolved path. It raises a LabError to reject the change, and then nothing is written.
Validator = Callable[[Path, Mapping[Path, bytes]], None]


@dataclass(frozen=True)
class ApplyResult:
    """Files apply changed, and the backup it made (None when there was nothing to change)."""

    plan: MigrationPlan
    changed_files: tuple[Path, ...]
    changed_units: tuple[str, ...]
    backup: Path | None
    dropin: Path
    dropin_created: bool
    dropin_changed: bool

    @property
    def changed(self) -> bool:
        """True when apply wrote any file."""
        return bool(self.changed_files) or self.dropin_changed

    def summary(self) -> str:
        """Describe the outcome in one line."""
        if not self.changed:
            return (
                f"nothing to change: the quadlets already use {self.plan.settings.slice_name} "
                f"and {self.dropin} is up to date"
            )
        dropin = "created" if self.dropin_created else "updated" if self.dropin_changed else "kept"
        return (
            f"changed {len(self.changed_files)} quadlet files, drop-in {self.dropin} {dropin}, "
            f"backup in {self.backup}"
        )


def apply(
    quadlet_dir: Path,
    unit_dir: Path,
    slice_name: str = "container.slice",
    *,
    memory_high: str | int,
    memory_max: str | int,
    memory_low: str | int | None = None,
    dropin_name: str = "memory.conf",
    replace_existing: bool = False,
    extra_service_keys: Sequence[str] = (),
    backup_root: Path | None = None,
    validate: Validator | None = None,
    now: Callable[[], datetime] = datetime.now,
) -> ApplyResult:
    """Back up the quadlet folder, then write the changed quadlets and the slice drop-in.

    Raises BadInput, with nothing written, when a file cannot be parsed or written, when the
    folder is missing or when the backup root is inside it. A second apply finds nothing to
    change and makes no backup.
    """
    quadlet_dir, unit_dir = Path(quadlet_dir), Path(unit_dir)
    backup_root = Path(backup_root) if backup_root is not None else default_backup_root()
    settings = make_settings(
        slice_name,
        memory_high=memory_high,
        memory_max=memory_max,
        memory_low=memory_low,
        dropin_name=dropin_name,
        replace_existing=replace_existing,
        extra_service_keys=extra_service_keys,
    )
    migration = plan_with(quadlet_dir, unit_dir, settings)
    check_backup_root(backup_root, quadlet_dir)
    _raise_blockers(migration)
    if not migration.has_changes:
        result = _result(migration, backup=None)
        log.debug("%s", result.summary())
        return result
    changed = _unique_targets(migration.changed_files)
    if validate is not None:
        validate(quadlet_dir, {target: file.new or b"" for target, file in changed.items()})
    with step(f"Backing up {quadlet_dir}"):
        started = now()
        manifest = _manifest(migration, changed, started)
        backup = create_backup(
            backup_root, quadlet_dir, manifest, _previous_dropin(migration), started
        )
    with step(f"Writing {len(changed)} quadlet files and {migration.dropin.path.name}"):
        _write_all(migration, changed, backup)
    result = _result(migration, backup=backup)
    log.debug("%s", result.summary())
    return result


def _raise_blockers(migration: MigrationPlan) -> None:
    blockers = migration.blockers
    if not blockers:
        return
    listed = "\n".join(f"  {blocker}" for blocker in blockers)
    raise BadInput(
        f"cannot apply the change, nothing was written; {len(blockers)} problems:\n{listed}",
        hint="fix each file as listed, then run apply again",
    )


def _unique_targets(files: tuple[FilePlan, ...]) -> dict[Path, FilePlan]:
    # A symlink inside the folder and its target are the same file: write it once.
    return {file.path.resolve(): file for file in files}


def _previous_dropin(migration: MigrationPlan) -> bytes | None:
    return migration.dropin.old if migration.dropin.is_changed else None


def _manifest(migration: MigrationPlan, changed: dict[Path, FilePlan], now: datetime) -> Manifest:
    root = migration.quadlet_dir.resolve()
    files = tuple(
        BackedUpFile(
            path=str(target.relative_to(root)),
            sha256_before=sha256(file.old or b""),
            sha256_after=sha256(file.new or b""),
        )
        for target, file in sorted(changed.items())
    )
    dropin = migration.dropin
    return Manifest(
        quadlet_dir=str(root),
        unit_dir=str(migration.unit_dir.resolve()),
        slice_name=migration.settings.slice_name,
        created=now.isoformat(timespec="seconds"),
        files=files,
        dropin_path=str(dropin.path.absolute()),
        dropin_created=dropin.old is None,
        dropin_sha256_after=sha256(dropin.new) if dropin.is_changed else None,
    )


def _write_all(migration: MigrationPlan, changed: dict[Path, FilePlan], backup: Path) -> None:
    written: list[tuple[Path, bytes, int]] = []
    dropin = migration.dropin
    try:
        for target, file in changed.items():
            mode = target.stat().st_mode
            write_atomic(target, file.new or b"", mode)
            written.append((target, file.old or b"", mode))
        if dropin.is_changed:
            dropin.path.parent.mkdir(parents=True, exist_ok=True)
            mode = dropin.path.stat().st_mode if dropin.old is not None else 0o644
            write_atomic(dropin.path, dropin.new, mode)
    except OSError as error:
        for target, old, mode in reversed(written):
            write_atomic(target, old, mode)
        raise LabError(
            f"writing failed, the files already written were restored: {error}",
            hint=f"fix the cause and run apply again; the backup stays in {backup}",
        ) from error


def _result(migration: MigrationPlan, backup: Path | None) -> ApplyResult:
    changed = migration.changed_files if backup is not None else ()
    dropin_changed = backup is not None and migration.dropin.is_changed
    return ApplyResult(
        plan=migration,
        changed_files=tuple(file.path for file in changed),
        changed_units=tuple(file.service for file in changed if file.service),
        backup=backup,
        dropin=migration.dropin.path,
        dropin_created=dropin_changed and migration.dropin.old is None,
        dropin_changed=dropin_changed,
    )
