"""The slice drop-in with the memory limits, and the root drop-ins that MemoryLow needs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lab.migrate.files import is_read_only, unified_diff
from lab.migrate.settings import Settings
from lab.sizes import systemd_size


@dataclass(frozen=True)
class DropinPlan:
    """The slice drop-in with the memory limits, as it is now (None: missing) and will be."""

    path: Path
    old: bytes | None
    new: bytes
    diff: str
    blockers: tuple[str, ...]

    @property
    def is_changed(self) -> bool:
        """True when apply would write the drop-in."""
        return self.new != self.old


@dataclass(frozen=True)
class RootDropin:
    """A drop-in for a system-manager unit that only root can install."""

    path: Path
    content: str


def dropin_content(settings: Settings) -> str:
    """Render the slice drop-in with the memory limits."""
    lines = [
        f"# Memory limits of {settings.slice_name}. MemoryHigh throttles and reclaims above its",
        "# value and MemoryMax is where the kernel OOM killer acts. Neither reserves memory.",
        "[Slice]",
        f"MemoryHigh={systemd_size(settings.memory_high)}",
        f"MemoryMax={systemd_size(settings.memory_max)}",
    ]
    if settings.memory_low is not None:
        lines.append(f"MemoryLow={systemd_size(settings.memory_low)}")
    return "\n".join(lines) + "\n"


def dropin_path(unit_dir: Path, settings: Settings) -> Path:
    """Return where the slice drop-in goes: `<unit_dir>/<slice>.d/<dropin_name>`."""
    return unit_dir / f"{settings.slice_name}.d" / settings.dropin_name


def plan_dropin(unit_dir: Path, settings: Settings) -> DropinPlan:
    """Plan the slice drop-in, replacing an existing one with other content."""
    path = dropin_path(unit_dir, settings)
    new = dropin_content(settings).encode()
    old: bytes | None = None
    blockers: list[str] = []
    if path.is_symlink() or path.exists():
        try:
            old = path.read_bytes()
        except OSError as error:
            blockers.append(f"{path}: cannot read the drop-in: {error.strerror}")
    if old is not None and old != new and is_read_only(path):
        blockers.append(f"{path}: file is read-only; make it writable: chmod u+w {path}")
    existing_parent = next((p for p in path.parents if p.exists()), None)
    if existing_parent is not None and not existing_parent.is_dir():
        blockers.append(f"{existing_parent}: not a folder; move it away to create {path.parent}")
    diff = unified_diff(old or b"", new, path) if old != new else ""
    return DropinPlan(path=path, old=old, new=new, diff=diff, blockers=tuple(blockers))


def memory_low_warning(settings: Settings) -> str:
    """Explain that MemoryLow on the slice needs protection on every ancestor as well."""
    low = systemd_size(settings.memory_low or 0)
    return (
        f"MemoryLow={low} on {settings.slice_name} protects only if every ancestor is "
        f"protected too. user.slice, user-UID.slice and user@UID.service belong to the "
        "system manager, so install the root drop-ins listed below as root, then run "
        "`sudo systemctl daemon-reload`."
    )


def memory_low_root_dropins(memory_low: int) -> tuple[RootDropin, ...]:
    """Return the system-manager drop-ins that extend MemoryLow up to the user manager."""
    low = systemd_size(memory_low)
    base = Path("/etc/systemd/system")
    name = "50-memory-low.conf"
    return (
        RootDropin(base / "user.slice.d" / name, f"[Slice]\nMemoryLow={low}\n"),
        # `user-.slice.d` applies to every user-UID.slice (prefix drop-ins, systemd.unit(5)).
        RootDropin(base / "user-.slice.d" / name, f"[Slice]\nMemoryLow={low}\n"),
        RootDropin(base / "user@.service.d" / name, f"[Service]\nMemoryLow={low}\n"),
    )
