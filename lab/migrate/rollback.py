"""Roll the container.slice change back from a backup made by apply.

Only the files apply rewrote are restored, byte-identical, and only while nobody edited them
after apply (their SHA-256 still matches the manifest). The caller runs daemon-reload and
restarts `RollbackResult.changed_units` afterwards.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from lab.errors import BadInput
from lab.log import step
from lab.migrate.backup import (
    COPY_NAME,
    PREVIOUS_DROPIN_NAME,
    Manifest,
    default_backup_root,
    newest_backup,
    read_manifest,
)
from lab.migrate.files import sha256, write_atomic
from lab.migrate.units import KINDS, service_name
from lab.quadlet import UnitFile, UnitFileError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RollbackResult:
    """What rollback restored, and what it found already as before apply."""

    backup: Path
    restored_files: tuple[Path, ...]
    unchanged_files: tuple[Path, ...]
    changed_units: tuple[str, ...]
    dropin: Path
    dropin_removed: bool
    dropin_restored: bool

    @property
    def changed(self) -> bool:
        """True when rollback wrote or removed any file."""
        return bool(self.restored_files) or self.dropin_removed or self.dropin_restored


def rollback(
    quadlet_dir: Path,
    unit_dir: Path,
    backup: Path | None = None,
    *,
    force: bool = False,
    keep_dropin: bool = False,
    backup_root: Path | None = None,
) -> RollbackResult:
    """Restore the files that apply changed, from backup (default: the newest one).

    Raises BadInput, with nothing written, when a file or the drop-in was edited after apply,
    unless force is set; force restores the backup copy and loses those edits. The drop-in is
    removed when apply created it, or restored when apply replaced it, unless keep_dropin.
    """
    quadlet_dir = Path(quadlet_dir)
    root = Path(backup_root) if backup_root is not None else default_backup_root()
    backup = Path(backup) if backup is not None else newest_backup(root, quadlet_dir)
    manifest = read_manifest(backup)
    _check_folders(manifest, quadlet_dir, Path(unit_dir), backup)
    restore, unchanged, edited = _classify_files(manifest, backup)
    dropin = Path(manifest.dropin_path)
    dropin_action = None if keep_dropin else _dropin_action(manifest, backup)
    if dropin_action == "edited":
        edited.append(f"{dropin}: edited after apply")
    if edited and not force:
        _raise_edited(edited, backup)
    with step(f"Restoring {len(restore)} files from {backup}"):
        for target, source in restore:
            write_atomic(target, source.read_bytes(), source.stat().st_mode)
        removed, restored = _roll_back_dropin(dropin, backup, dropin_action)
    return RollbackResult(
        backup=backup,
        restored_files=tuple(target for target, _ in restore),
        unchanged_files=tuple(unchanged),
        changed_units=tuple(_service(target) for target, _ in restore),
        dropin=dropin,
        dropin_removed=removed,
        dropin_restored=restored,
    )


def _check_folders(manifest: Manifest, quadlet_dir: Path, unit_dir: Path, backup: Path) -> None:
    for kind, expected, given in (
        ("quadlet", manifest.quadlet_dir, quadlet_dir),
        ("unit", manifest.unit_dir, unit_dir),
    ):
        if Path(expected) != given.resolve():
            raise BadInput(
                f"backup {backup} was made for the {kind} folder {expected}, not {given}",
                hint=f"pass {expected}, or the backup made for {given}",
            )


def _classify_files(
    manifest: Manifest, backup: Path
) -> tuple[list[tuple[Path, Path]], list[Path], list[str]]:
    root = Path(manifest.quadlet_dir)
    restore: list[tuple[Path, Path]] = []
    unchanged: list[Path] = []
    edited: list[str] = []
    for entry in manifest.files:
        target = root / entry.path
        source = backup / COPY_NAME / entry.path
        current = sha256(target.read_bytes()) if target.is_file() else None
        if current == entry.sha256_before:
            unchanged.append(target)
            continue
        if current is None:
            edited.append(f"{target}: deleted after apply")
        elif current != entry.sha256_after:
            edited.append(f"{target}: edited after apply (SHA-256 differs from the manifest)")
        restore.append((target, source))
    return restore, unchanged, edited


def _dropin_action(manifest: Manifest, backup: Path) -> str | None:
    if manifest.dropin_sha256_after is None:
        return None
    path = Path(manifest.dropin_path)
    if not path.is_file():
        return None
    if sha256(path.read_bytes()) != manifest.dropin_sha256_after:
        return "edited"
    return "remove" if manifest.dropin_created else "restore"


def _raise_edited(edited: list[str], backup: Path) -> None:
    listed = "\n".join(f"  {line}" for line in edited)
    raise BadInput(
        f"cannot roll back, nothing was written; {len(edited)} files changed after apply:\n"
        f"{listed}",
        hint=f"compare them with the copies in {backup / COPY_NAME}; roll back with force "
        "to restore the backup copies and lose these edits",
    )


def _roll_back_dropin(dropin: Path, backup: Path, action: str | None) -> tuple[bool, bool]:
    previous = backup / PREVIOUS_DROPIN_NAME
    if action == "edited":
        action = "restore" if previous.is_file() else "remove"
    if action == "restore" and previous.is_file():
        write_atomic(dropin, previous.read_bytes(), dropin.stat().st_mode)
        return False, True
    if action == "remove":
        dropin.unlink()
        _remove_if_empty(dropin.parent)
        return True, False
    return False, False


def _remove_if_empty(folder: Path) -> None:
    if folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()


def _service(path: Path) -> str:
    if path.suffix not in KINDS:
        return path.name
    try:
        return service_name(path, UnitFile.read(path))
    except (OSError, UnitFileError):
        return service_name(path)
