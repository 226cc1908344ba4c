"""A ready VM host: the cached disk, with the lab images baked in, booted on an overlay."""

from __future__ import annotations

import contextlib
import fcntl
import logging
from collections.abc import Iterator
from pathlib import Path

from lab.host.vm import VmHost, boot_vm
from lab.host.vmdisk import VmDisk, ensure_disk
from lab.image import LOCAL_BASE, ensure_lab_image, image_tag, import_base
from lab.log import step

log = logging.getLogger(__name__)

CPUS = 2


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on the cached disk while one command writes into it."""
    with (folder / "lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def ensure_baked(disk: VmDisk, memory_mib: int) -> None:
    """Bake the base and lab images into the cached disk unless it contains the current ones."""
    wanted = image_tag(LOCAL_BASE)
    with _locked(disk.folder):
        if disk.baked_marker.exists() and disk.baked_marker.read_text().strip() == wanted:
            return
        with step("Baking the lab images into the cached VM disk (once per change of inputs)"):
            host = boot_vm(disk, memory_mib, CPUS, writable_base=True)
            try:
                client = host.client()
                import_base(client, disk.base_tarball)
                ensure_lab_image(client, LOCAL_BASE)
            finally:
                host.stop(clean=True)
        disk.baked_marker.write_text(wanted + "\n")


def start_vm(memory_mib: int) -> tuple[VmHost, str]:
    """Return a booted VM with the lab images in place, and the lab image's tag."""
    disk = ensure_disk()
    ensure_baked(disk, memory_mib)
    return boot_vm(disk, memory_mib, CPUS), image_tag(LOCAL_BASE)
