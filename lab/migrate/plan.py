"""Plan of the container.slice change: what each quadlet file and the slice drop-in become."""

from __future__ import annotations

import enum
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lab.errors import BadInput
from lab.migrate.dropin import (
    DropinPlan,
    RootDropin,
    memory_low_root_dropins,
    memory_low_warning,
    plan_dropin,
)
from lab.migrate.files import is_inside, is_read_only, unified_diff
from lab.migrate.settings import Settings, make_settings
from lab.migrate.units import is_dropin_folder, quadlet_files, service_name
from lab.quadlet import Setting, UnitFile, UnitFileError, effective_section


class FileStatus(enum.Enum):
    """What the change does to the `Slice=` of one quadlet file."""

    WILL_ADD_SLICE = "will-add-slice"
    ALREADY_MIGRATED = "already-migrated"
    OTHER_SLICE_CONFLICT = "other-slice-conflict"
    NO_SERVICE_SECTION = "no-service-section"
    UNREADABLE = "unreadable"


@dataclass(frozen=True)
class FilePlan:
    """The planned change to one quadlet file.

    `detail` explains the status (the current `Slice=` and where it is set, or the parse error
    as `path:line`). `blockers` are the reasons apply would reject the whole change.
    """

    path: Path
    status: FileStatus
    service: str | None
    joins_pod: str | None
    detail: str
    old: bytes | None
    new: bytes | None
    changes: tuple[str, ...]
    skipped: tuple[str, ...]
    blockers: tuple[str, ...]
    diff: str

    @property
    def is_changed(self) -> bool:
        """True when apply would rewrite this file."""
        return self.new is not None and self.new != self.old

    @property
    def labels(self) -> tuple[str, ...]:
        """The status, plus `joins-pod` for a container that joins a pod."""
        extra = ("joins-pod",) if self.joins_pod else ()
        return (self.status.value, *extra)


@dataclass(frozen=True)
class MigrationPlan:
    """Everything apply would do, for review before anything is written."""

    quadlet_dir: Path
    unit_dir: Path
    settings: Settings
    files: tuple[FilePlan, ...]
    dropin: DropinPlan
    warnings: tuple[str, ...]
    root_dropins: tuple[RootDropin, ...]

    @property
    def changed_files(self) -> tuple[FilePlan, ...]:
        """The files apply would rewrite."""
        return tuple(file for file in self.files if file.is_changed)

    @property
    def has_changes(self) -> bool:
        """True when apply would write any file or the drop-in."""
        return bool(self.changed_files) or self.dropin.is_changed

    @property
    def blockers(self) -> tuple[str, ...]:
        """Every reason apply would reject the change, each with what to do."""
        per_file = [blocker for file in self.files for blocker in file.blockers]
        return (*per_file, *self.dropin.blockers)

    def diff(self) -> str:
        """Return the unified diff of every file apply would write."""
        parts = [file.diff for file in self.changed_files]
        if self.dropin.is_changed:
            parts.append(self.dropin.diff)
        return "".join(parts)


def plan(
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
) -> MigrationPlan:
    """Plan the change for every `.container`, `.pod` and `.kube` file directly in quadlet_dir.

    Reads only. Raises BadInput for invalid parameters or a missing quadlet folder. A file
    that cannot be parsed gets the status `unreadable` and blocks apply.
    """
    settings = make_settings(
        slice_name,
        memory_high=memory_high,
        memory_max=memory_max,
        memory_low=memory_low,
        dropin_name=dropin_name,
        replace_existing=replace_existing,
        extra_service_keys=extra_service_keys,
    )
    return plan_with(Path(quadlet_dir), Path(unit_dir), settings)


def plan_with(quadlet_dir: Path, unit_dir: Path, settings: Settings) -> MigrationPlan:
    """Plan the change with settings already validated by make_settings."""
    if not quadlet_dir.is_dir():
        raise BadInput(
            f"quadlet folder not found: {quadlet_dir}",
            hint="pass the folder that holds the .container files, "
            "usually ~/.config/containers/systemd",
        )
    files = tuple(plan_file(path, quadlet_dir, settings) for path in quadlet_files(quadlet_dir))
    warnings = [*subfolder_warnings(quadlet_dir), *outside_pod_warnings(files, quadlet_dir, settings)]
    root_dropins: tuple[RootDropin, ...] = ()
    if settings.memory_low is not None:
        warnings.append(memory_low_warning(settings))
        root_dropins = memory_low_root_dropins(settings.memory_low)
    return MigrationPlan(
        quadlet_dir=quadlet_dir,
        unit_dir=unit_dir,
        settings=settings,
        files=files,
        dropin=plan_dropin(unit_dir, settings),
        warnings=tuple(warnings),
        root_dropins=root_dropins,
    )


def plan_file(path: Path, quadlet_dir: Path, settings: Settings) -> FilePlan:
    """Plan the change for one quadlet file, with the status `unreadable` on a read error."""
    try:
        old = path.read_bytes()
        unit = UnitFile.parse(old, path)
        effective = effective_section(path)
    except UnitFileError as error:
        return _unreadable(path, f"{error.message} ({error.hint})")
    except OSError as error:
        return _unreadable(path, f"{path}: cannot read: {error.strerror}")
    status, detail, slice_change, skipped = _plan_slice(unit, effective, settings)
    changes = [slice_change] if slice_change else []
    if path.suffix == ".pod":
        change, skip = _plan_pod_parent(unit, settings.slice_name)
        changes += [change] if change else []
        skipped += [skip] if skip else []
    for key, value in settings.extra_service_keys:
        change, skip = _plan_key(unit, effective, key, value, settings.replace_existing)
        changes += [change] if change else []
        skipped += [skip] if skip else []
    new = unit.to_bytes()
    changed = new != old
    return FilePlan(
        path=path,
        status=status,
        service=service_name(path, unit),
        joins_pod=unit.get_last("Container", "Pod") if path.suffix == ".container" else None,
        detail=detail,
        old=old,
        new=new,
        changes=tuple(changes),
        skipped=tuple(skipped),
        blockers=_write_blockers(path, quadlet_dir) if changed else (),
        diff=unified_diff(old, new, path) if changed else "",
    )


def _unreadable(path: Path, detail: str) -> FilePlan:
    return FilePlan(
        path=path,
        status=FileStatus.UNREADABLE,
        service=None,
        joins_pod=None,
        detail=detail,
        old=None,
        new=None,
        changes=(),
        skipped=(),
        blockers=(detail,),
        diff="",
    )


def _last(effective: dict[str, list[Setting]], key: str) -> Setting | None:
    values = effective.get(key)
    return values[-1] if values else None


def _plan_slice(
    unit: UnitFile, effective: dict[str, list[Setting]], settings: Settings
) -> tuple[FileStatus, str, str | None, list[str]]:
    wanted = settings.slice_name
    current = _last(effective, "Slice")
    if current is None:
        status = (
            FileStatus.WILL_ADD_SLICE
            if unit.has_section("Service")
            else FileStatus.NO_SERVICE_SECTION
        )
        unit.add("Service", "Slice", wanted)
        return status, "no Slice= yet", f"Slice={wanted}", []
    where = f"{current.path}:{current.line}"
    if current.value == wanted:
        return FileStatus.ALREADY_MIGRATED, f"Slice={wanted} at {where}", None, []
    detail = f"Slice={current.value} at {where}"
    if current.path != unit.path:
        return FileStatus.OTHER_SLICE_CONFLICT, detail, None, [f"{detail} (drop-in: edit by hand)"]
    if not settings.replace_existing:
        return FileStatus.OTHER_SLICE_CONFLICT, detail, None, [f"{detail} (kept)"]
    unit.set("Service", "Slice", wanted)
    return FileStatus.OTHER_SLICE_CONFLICT, detail, f"Slice={wanted}", []


def _plan_key(
    unit: UnitFile,
    effective: dict[str, list[Setting]],
    key: str,
    value: str,
    replace_existing: bool,
) -> tuple[str | None, str | None]:
    current = _last(effective, key)
    if current is None:
        unit.add("Service", key, value)
        return f"{key}={value}", None
    if current.value == value:
        return None, None
    where = f"{key}={current.value} at {current.path}:{current.line}"
    if current.path != unit.path:
        return None, f"{where} (drop-in: edit by hand)"
    if not replace_existing:
        return None, f"{where} (kept)"
    unit.set("Service", key, value)
    return f"{key}={value}", None


def _plan_pod_parent(unit: UnitFile, slice_name: str) -> tuple[str | None, str | None]:
    """Put the pod's own cgroup, which contains its infra container, under slice_name too.

    Slice= moves only the pod's service (its conmon). Podman creates the pod's cgroup under
    its cgroup parent, by default the user manager's user.slice: measured with podman 5.4.2,
    `--cgroup-parent=container.slice` puts it in `container.slice/container-libpod_pod_<id>.slice`.
    """
    flag = f"--cgroup-parent={slice_name}"
    for value in unit.get("Pod", "PodmanArgs"):
        parent = _cgroup_parent(value)
        if parent == slice_name:
            return None, None
        if parent is not None:
            return None, f"PodmanArgs={value} sets another cgroup parent (kept; edit it by hand)"
    unit.add("Pod", "PodmanArgs", flag)
    return f"PodmanArgs={flag}", None


def _cgroup_parent(podman_args: str) -> str | None:
    """Return the value of `--cgroup-parent` in a PodmanArgs= value, or None without one."""
    try:
        words = shlex.split(podman_args)
    except ValueError:
        words = podman_args.split()
    for index, word in enumerate(words):
        if word.startswith("--cgroup-parent="):
            return word.partition("=")[2]
        if word == "--cgroup-parent":
            return words[index + 1] if index + 1 < len(words) else ""
    return None


def _write_blockers(path: Path, quadlet_dir: Path) -> tuple[str, ...]:
    if path.is_symlink() and not is_inside(path, quadlet_dir):
        return (
            f"{path}: symlink to {path.resolve()} outside the quadlet folder; "
            "copy the file into the folder, or edit it by hand",
        )
    target = path.resolve()
    if is_read_only(target):
        return (f"{target}: file is read-only; make it writable: chmod u+w {target}",)
    if is_read_only(target.parent):
        folder = target.parent
        return (f"{folder}: folder is read-only; make it writable: chmod u+w {folder}",)
    return ()


def outside_pod_warnings(files: Sequence[FilePlan], quadlet_dir: Path, settings: Settings) -> list[str]:
    """Warn about containers that join a pod no `.pod` file in quadlet_dir defines.

    The plan moves a `.pod` file's infra container with `--cgroup-parent`. A pod made some
    other way keeps its infra container where podman put it, by default under user.slice.
    """
    warnings = []
    for file in files:
        pod = file.joins_pod
        if pod is None or (pod.endswith(".pod") and (quadlet_dir / pod).is_file()):
            continue
        warnings.append(
            f"{file.path.name} joins pod {pod}, which no .pod file here defines: the "
            f"container moves to {settings.slice_name}, but the pod's infra container stays "
            f"in the pod's own cgroup (by default under the user manager's user.slice). "
            f"Create the pod with --cgroup-parent={settings.slice_name}, or define it in a "
            ".pod file here."
        )
    return warnings


def subfolder_warnings(quadlet_dir: Path) -> list[str]:
    """Warn about subfolders of the quadlet folder other than drop-in folders.

    Podman's quadlet generator also reads subfolders, hidden ones included (seen with podman
    5.4.2), so units kept in a backup there are live and come back after a daemon-reload.
    """
    warnings = []
    for folder in sorted(p for p in quadlet_dir.iterdir() if p.is_dir()):
        if is_dropin_folder(folder):
            continue
        if "backup" in folder.name.lower():
            warnings.append(
                f"{folder} looks like a backup inside the quadlet folder: podman's quadlet "
                "generator reads subfolders, hidden ones too, so its units are live and "
                "deleted or renamed units come back on the next daemon-reload. Move it out "
                f"of every quadlet search path, e.g. `mv {folder} ~/.local/state/`."
            )
        else:
            warnings.append(
                f"{folder}: podman's quadlet generator reads subfolders, hidden ones too, so "
                "the units in it are live; they are not changed by this migration."
            )
    return warnings
