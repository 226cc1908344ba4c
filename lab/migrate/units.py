"""Quadlet kinds, the service names podman's generator gives them, and folder discovery."""

from __future__ import annotations

from pathlib import Path

from lab.quadlet import UnitFile

# Kind suffix → (section quadlet reads, suffix of the generated service name), per
# podman-systemd.unit(5): `x.container` → `x.service`, `x.pod` → `x-pod.service`, and so on.
KINDS: dict[str, tuple[str, str]] = {
    ".container": ("Container", ""),
    ".pod": ("Pod", "-pod"),
    ".kube": ("Kube", ""),
    ".network": ("Network", "-network"),
    ".volume": ("Volume", "-volume"),
    ".image": ("Image", "-image"),
    ".build": ("Build", "-build"),
}

# Kinds whose service keeps running and holds memory. The other kinds also pass [Service]
# through, but their services are oneshot `podman ... create` or `pull` commands.
SERVICE_KINDS = (".container", ".pod", ".kube")


def service_name(path: Path, unit: UnitFile | None = None) -> str:
    """Return the systemd service that podman's generator makes from the quadlet at path.

    A `ServiceName=` in the kind's section replaces the default name, as newer podman does.
    """
    section, suffix = KINDS[path.suffix]
    if unit is not None:
        custom = unit.get_last(section, "ServiceName")
        if custom:
            return custom if custom.endswith(".service") else f"{custom}.service"
    return f"{path.stem}{suffix}.service"


def default_service_name(reference: str) -> str | None:
    """Map a quadlet file name such as `web.network` to its service name, or None if not one."""
    path = Path(reference)
    if path.suffix not in KINDS or not path.stem:
        return None
    return f"{path.stem}{KINDS[path.suffix][1]}.service"


def quadlet_files(folder: Path, kinds: tuple[str, ...] = SERVICE_KINDS) -> list[Path]:
    """List the quadlet files of the given kinds directly in folder, sorted by name."""
    return sorted(
        (path for path in folder.iterdir() if path.suffix in kinds and not path.is_dir()),
        key=lambda path: path.name,
    )


def is_dropin_folder(folder: Path) -> bool:
    """Tell whether a subfolder is a quadlet drop-in folder such as `web.container.d`."""
    if not folder.name.endswith(".d"):
        return False
    base = folder.name[:-2]
    return Path(base).suffix in KINDS or f".{base}" in KINDS or base.endswith("-")
