"""The VM host's disk: a Debian trixie tree made with debootstrap, cached by a hash of its inputs.

The cache holds the kernel, the initrd, an ext4 disk image and the tarball that becomes the
lab image's base. Each boot writes to a qcow2 overlay, so the cached disk stays clean once the
lab images are baked into it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from lab.errors import LabError
from lab.log import step
from lab.paths import REPO, cache_dir
from lab.run import run

log = logging.getLogger(__name__)

SUITE = "trixie"
# The VM and the lab machine's base share one package set, so one tree serves both.
# The cloud kernel is small and ships zram as a module; swap is a file on the VM disk.
PACKAGES = (
    "systemd", "systemd-sysv", "systemd-oomd", "dbus", "dbus-user-session", "udev", "kmod",
    "podman", "crun", "passt", "uidmap", "fuse-overlayfs", "nftables", "netavark",
    "aardvark-dns", "catatonit", "python3", "procps", "iproute2", "util-linux",
    "linux-image-cloud-amd64", "initramfs-tools",
)  # fmt: skip
DISK_SIZE = "16G"
VM_FILES = REPO / "containers" / "vm"
# Left out of the lab image's base: what only a VM boots with, and what no program reads there.
BASE_EXCLUDES = (
    "./boot", "./usr/lib/modules", "./var/cache/apt/archives/*.deb", "./var/lib/apt/lists/*",
    "./usr/share/doc", "./usr/share/man", "./usr/share/locale", "./usr/share/info",
    "./etc/fstab", "./etc/hostname",
)  # fmt: skip
# Units the VM must not run: consoles no user logs in on, and systemd-oomd, which belongs to
# the lab machine inside the VM and must not act on the lab machine as a whole.
VM_MASKED_UNITS = (
    "serial-getty@ttyS0.service", "getty@tty1.service", "systemd-oomd.service", "systemd-oomd.socket",
)  # fmt: skip


@dataclass(frozen=True)
class VmDisk:
    """A built VM disk in the cache."""

    folder: Path

    @property
    def kernel(self) -> Path:
        return self.folder / "vmlinuz"

    @property
    def initrd(self) -> Path:
        return self.folder / "initrd.img"

    @property
    def disk(self) -> Path:
        return self.folder / "disk.raw"

    @property
    def base_tarball(self) -> Path:
        return self.folder / "base.tar"

    @property
    def baked_marker(self) -> Path:
        """Present once the lab images are in the disk; it names the image cache key."""
        return self.folder / "baked"

    def is_complete(self) -> bool:
        return all(p.exists() for p in (self.kernel, self.initrd, self.disk, self.base_tarball))


def cache_key() -> str:
    """Hash everything the disk is made of: suite, packages, the VM's own files, this module."""
    digest = hashlib.sha256()
    digest.update(SUITE.encode())
    digest.update("\0".join(PACKAGES).encode())
    digest.update(DISK_SIZE.encode())
    for path in sorted(VM_FILES.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(VM_FILES)).encode())
            digest.update(path.read_bytes())
    digest.update(Path(__file__).read_bytes())
    return digest.hexdigest()[:16]


def cached_disk() -> VmDisk:
    return VmDisk(cache_dir() / "vm" / cache_key())


def ensure_disk() -> VmDisk:
    """Return the cached VM disk, building it first when the cache has none for these inputs."""
    disk = cached_disk()
    if disk.is_complete():
        log.info("VM disk: cached at %s", disk.folder)
        return disk
    partial = disk.folder.with_name(disk.folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    try:
        _build(VmDisk(partial))
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    shutil.rmtree(disk.folder, ignore_errors=True)
    partial.rename(disk.folder)
    return disk


def _privileged() -> list[str]:
    """The prefix that runs tree commands as root: none as root, `sudo -n` with sudo rights."""
    if os.geteuid() == 0:
        return []
    if shutil.which("sudo") and run(["sudo", "-n", "true"], check=False).returncode == 0:
        return ["sudo", "-n"]
    raise LabError(
        "building the VM disk needs root (debootstrap and a chroot), and sudo is not available",
        hint="run once as root: `sudo .venv/bin/inv lab.up --host vm`, or use --host local",
    )


def _build(disk: VmDisk) -> None:
    for tool in ("debootstrap", "mkfs.ext4"):
        if not shutil.which(tool) and not Path("/usr/sbin", tool).exists():
            raise LabError(
                f"{tool} is not installed; the VM host builds its disk with it",
                hint="sudo apt-get install debootstrap e2fsprogs qemu-system-x86 qemu-utils",
            )
    sudo = _privileged()
    tree = disk.folder / "tree"
    try:
        with step(f"Building the VM's Debian {SUITE} tree with debootstrap (about a minute)"):
            run([*sudo, "debootstrap", "--variant=minbase", f"--include={','.join(PACKAGES)}",
                 SUITE, tree], timeout=1800)  # fmt: skip
        with step("Packing the lab image's base tarball"):
            _pack_base(sudo, tree, disk.base_tarball)
        with step("Configuring the VM tree"):
            _configure_vm(sudo, tree, disk)
        with step(f"Writing the VM disk image ({DISK_SIZE}, sparse)"):
            run([*sudo, "mkfs.ext4", "-q", "-F", "-L", "slicelab", "-d", tree, disk.disk,
                 DISK_SIZE])  # fmt: skip
            if sudo:
                run([*sudo, "chown", f"{os.getuid()}:{os.getgid()}", disk.disk, disk.kernel,
                     disk.initrd, disk.base_tarball])  # fmt: skip
    finally:
        run([*sudo, "rm", "-rf", "--one-file-system", tree], check=False)


def _pack_base(sudo: list[str], tree: Path, tarball: Path) -> None:
    excludes = [f"--exclude={pattern}" for pattern in BASE_EXCLUDES]
    run([*sudo, "tar", "--numeric-owner", "--xattrs", "--xattrs-include=*", "-C", tree,
         *excludes, "-cf", tarball, "."])  # fmt: skip


def _configure_vm(sudo: list[str], tree: Path, disk: VmDisk) -> None:
    run([*sudo, "cp", "-r", "--no-preserve=ownership", f"{VM_FILES}/.", tree])
    run([*sudo, "chroot", tree, "systemctl", "enable", "systemd-networkd.service",
         "slicelab-api.service", "slicelab-swap.service"])  # fmt: skip
    run([*sudo, "chroot", tree, "systemctl", "mask", *VM_MASKED_UNITS])
    run([*sudo, "sh", "-c", 'rm -f "$1"/var/cache/apt/archives/*.deb', "sh", tree])
    boot = tree / "boot"
    kernels = sorted(run([*sudo, "ls", boot]).stdout.split())
    vmlinuz = next((name for name in kernels if name.startswith("vmlinuz-")), None)
    initrd = next((name for name in kernels if name.startswith("initrd.img-")), None)
    if not vmlinuz or not initrd:
        raise LabError(f"the VM tree has no kernel or initrd in /boot: {kernels}")
    run([*sudo, "cp", boot / vmlinuz, disk.kernel])
    run([*sudo, "cp", boot / initrd, disk.initrd])
