"""Backups of a quadlet folder outside every quadlet search path, with a JSON manifest.

Layout: `<backup root>/<folder name>-<hash of its path>/<YYYYMMDD-HHMMSS>/` holds `quadlets/`
(a copy of the whole folder with modes, times and symlinks), `manifest.json` and, when apply
replaced an existing slice drop-in, `dropin-before.conf`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from lab.errors import BadInput
from lab.migrate.files import fsync_folder, is_inside

MANIFEST_NAME = "manifest.json"
COPY_NAME = "quadlets"
PREVIOUS_DROPIN_NAME = "dropin-before.conf"
MANIFEST_FORMAT = 1
STAMP_FORMAT = "%Y%m%d-%H%M%S"


@dataclass(frozen=True)
class BackedUpFile:
    """A file apply rewrote: its path relative to the quadlet folder and both SHA-256 digests."""

    path: str
    sha256_before: str
    sha256_after: str


@dataclass(frozen=True)
class Manifest:
    """What apply changed, so rollback can restore exactly that and detect later edits.

    `dropin_sha256_after` is None when apply left the drop-in as it was.
    """

    quadlet_dir: str
    unit_dir: str
    slice_name: str
    created: str
    files: tuple[BackedUpFile, ...]
    dropin_path: str
    dropin_created: bool
    dropin_sha256_after: str | None

    def to_json(self) -> str:
        """Serialize the manifest as indented JSON."""
        data = asdict(self)
        data["format"] = MANIFEST_FORMAT
        return json.dumps(data, indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str, path: Path) -> Manifest:
        """Parse a manifest and raise BadInput when it is not one this code wrote."""
        try:
            data = json.loads(text)
            if data.pop("format") != MANIFEST_FORMAT:
                raise ValueError("unknown format")
            data["files"] = tuple(BackedUpFile(**entry) for entry in data["files"])
            return cls(**data)
        except (ValueError, KeyError, TypeError) as error:
            raise BadInput(
                f"invalid backup manifest {path}: {error}",
                hint="pass another backup, or restore the files from its quadlets/ copy by hand",
            ) from None


def default_backup_root() -> Path:
    """Return `$XDG_STATE_HOME/slicelab/backups`, by default `~/.local/state/slicelab/backups`."""
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "slicelab" / "backups"


def backups_folder(backup_root: Path, quadlet_dir: Path) -> Path:
    """Return the folder holding the backups of one quadlet folder.

    The name joins the folder's name and a hash of its resolved path, so two quadlet folders
    with the same name never share backups.
    """
    resolved = quadlet_dir.resolve()
    digest = hashlib.sha256(str(resolved).encode()).hexdigest()[:12]
    return backup_root / f"{resolved.name}-{digest}"


def check_backup_root(backup_root: Path, quadlet_dir: Path) -> None:
    """Raise BadInput when the backup root lies inside the quadlet folder.

    Podman's quadlet generator reads subfolders, so a backup there would bring its units back.
    """
    if is_inside(backup_root, quadlet_dir):
        raise BadInput(
            f"backup folder {backup_root} is inside the quadlet folder {quadlet_dir}: podman's "
            "quadlet generator reads subfolders, so the backed-up units would stay live",
            hint=f"choose a backup folder outside it, e.g. {default_backup_root()}",
        )


def create_backup(
    backup_root: Path,
    quadlet_dir: Path,
    manifest: Manifest,
    previous_dropin: bytes | None,
    now: datetime,
) -> Path:
    """Copy the quadlet folder, write the manifest and return the new backup folder.

    The copy is built under a temporary name and renamed when complete, so a backup folder
    with a stamp name is always whole.
    """
    parent = backups_folder(backup_root, quadlet_dir)
    parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    final = _free_stamp_folder(parent, now)
    partial = parent / f".partial-{final.name}"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(mode=0o700)
    # copytree copies file modes and times (copy2) and calls copystat on every folder.
    shutil.copytree(quadlet_dir, partial / COPY_NAME, symlinks=True)
    (partial / MANIFEST_NAME).write_text(manifest.to_json())
    if previous_dropin is not None:
        (partial / PREVIOUS_DROPIN_NAME).write_bytes(previous_dropin)
    os.replace(partial, final)
    fsync_folder(parent)
    return final


def _free_stamp_folder(parent: Path, now: datetime) -> Path:
    stamp = now.strftime(STAMP_FORMAT)
    candidate = parent / stamp
    number = 1
    while candidate.exists():
        number += 1
        candidate = parent / f"{stamp}-{number}"
    return candidate


def _stamp_order(folder: Path) -> tuple[str, int]:
    # "20250101-120000-2" is the second backup made in that second.
    date, _, rest = folder.name.partition("-")
    time, _, number = rest.partition("-")
    return f"{date}-{time}", int(number) if number.isdigit() else 1


def newest_backup(backup_root: Path, quadlet_dir: Path) -> Path:
    """Find the newest complete backup of quadlet_dir and raise BadInput when there is none."""
    parent = backups_folder(backup_root, quadlet_dir)
    backups = (
        [p for p in parent.iterdir() if (p / MANIFEST_NAME).is_file() and p.name[:1].isdigit()]
        if parent.is_dir()
        else []
    )
    if not backups:
        raise BadInput(
            f"no backup of {quadlet_dir} found in {parent}",
            hint="apply makes a backup before it changes anything; pass the backup folder "
            "explicitly if it was moved",
        )
    return max(backups, key=_stamp_order)


def read_manifest(backup: Path) -> Manifest:
    """Read the manifest of a backup folder."""
    path = backup / MANIFEST_NAME
    try:
        text = path.read_text()
    except OSError as error:
        raise BadInput(
            f"cannot read backup manifest {path}: {error.strerror}",
            hint="pass a backup folder made by apply (it holds manifest.json and quadlets/)",
        ) from None
    return Manifest.from_json(text, path)
