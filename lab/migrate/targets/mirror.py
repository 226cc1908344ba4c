"""A host copy of folders in the lab machine, and pushing the differences back.

The mirror keeps each machine path at the same path below its root, so
`/home/lab/.config/containers/systemd` lives in `<root>/home/lab/.config/containers/systemd`.
It is refreshed from the machine at the start of every command, so it never drifts for long.
"""

from __future__ import annotations

import io
import os
import shutil
import stat
import tarfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import docker

from lab.errors import BadInput, LabError
from lab.machine import LAB_UID, FileSpec, Machine


@dataclass(frozen=True)
class Entry:
    """One mirrored path: a folder, a file with its content, or a symlink with its target."""

    kind: str
    mode: int
    data: bytes = b""


Snapshot = dict[PurePosixPath, Entry]


class Mirror:
    """Host copies of machine folders below root, and the way back into the machine."""

    def __init__(self, root: Path, machine: Machine) -> None:
        self.root = root
        self.machine = machine

    def local(self, remote: PurePosixPath) -> Path:
        """Return where the machine path remote lives in the mirror."""
        if not remote.is_absolute():
            raise BadInput(
                f"the lab machine's folders need absolute paths, got {remote}",
                hint="pass a path such as /home/lab/.config/containers/systemd",
            )
        return self.root / str(remote).lstrip("/")

    def remote(self, local: Path) -> PurePosixPath:
        """Return the machine path that a path in the mirror stands for."""
        return PurePosixPath("/") / local.relative_to(self.root).as_posix()

    def pull(self, remote: PurePosixPath, *, required: bool) -> None:
        """Replace the mirror of remote with the folder's current content in the machine.

        A missing folder leaves no mirror, or raises BadInput when required.
        """
        local = self.local(remote)
        try:
            chunks, _ = self.machine.container.get_archive(str(remote))
            data = b"".join(chunks)
        except docker.errors.NotFound:
            if required:
                raise BadInput(
                    f"folder not found in the lab machine {self.machine.name}: {remote}",
                    hint="pass the folder that holds the .container files with --dir",
                ) from None
            data = None
        remove_tree(local)
        if data is None:
            return
        local.parent.mkdir(parents=True, exist_ok=True)
        with tarfile.open(fileobj=io.BytesIO(data)) as archive:
            archive.extractall(local.parent, filter=_keep_modes)
        if not local.is_dir():
            raise LabError(f"{remote} in the lab machine is not a folder")

    def snapshot(self) -> Snapshot:
        """Record every path below the root with its kind, mode and content."""
        found: Snapshot = {}
        for folder, folders, files in os.walk(self.root):
            for name in [*folders, *files]:
                path = Path(folder) / name
                found[self.remote(path)] = _entry(path)
        return found

    def push(self, before: Snapshot, after: Snapshot) -> None:
        """Make the machine match after where it matched before.

        Writes new and changed files owned by the lab user, then deletes removed files and
        removed folders, deepest first. Symlinks are never created or changed.
        """
        written = {
            str(path): FileSpec(entry.data, entry.mode, LAB_UID)
            for path, entry in after.items()
            if entry.kind == "file" and before.get(path) != entry
        }
        removed = sorted(p for p, e in before.items() if e.kind != "folder" and p not in after)
        folders = sorted(
            (p for p, e in before.items() if e.kind == "folder" and p not in after),
            key=lambda path: len(path.parts),
            reverse=True,
        )
        if written:
            self.machine.put_files(written)
        if removed:
            self.machine.exec(["rm", "-f", "--", *map(str, removed)], user=True)
        if folders:
            # -d removes only empty folders; -f accepts ones already gone.
            self.machine.exec(["rm", "-d", "-f", "--", *map(str, folders)], user=True)


def _entry(path: Path) -> Entry:
    info = path.lstat()
    mode = stat.S_IMODE(info.st_mode)
    if stat.S_ISLNK(info.st_mode):
        return Entry("symlink", mode, os.readlink(path).encode())
    if stat.S_ISDIR(info.st_mode):
        return Entry("folder", mode)
    return Entry("file", mode, path.read_bytes())


def _keep_modes(member: tarfile.TarInfo, destination: str) -> tarfile.TarInfo:
    """Apply tarfile's safety checks, but keep the permission bits and skip chown.

    The standard filters clear group and other write bits, and a later push would then change
    the machine's modes.
    """
    checked = tarfile.tar_filter(member, destination)
    # None owner fields make tarfile skip chown, also when this runs as root.
    unset: dict[str, None] = {"uid": None, "gid": None, "uname": None, "gname": None}
    return checked.replace(mode=member.mode & 0o777, deep=False, **unset)  # type: ignore[arg-type]


def remove_tree(path: Path) -> None:
    """Delete a mirrored folder, also when a folder in it has lost its write bit."""
    if not path.exists() and not path.is_symlink():
        return
    if path.is_dir() and not path.is_symlink():
        for folder, _, _ in os.walk(path):
            os.chmod(folder, stat.S_IRWXU)
        shutil.rmtree(path)
    else:
        path.unlink()
