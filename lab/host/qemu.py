"""The qemu command line of the VM host, kept pure so it can be checked without booting."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path

# The guest's podman API listens here (see containers/vm/); only qemu's user-mode network
# reaches it, through a forward bound to the host's loopback.
GUEST_API_PORT = 8888


class Accel(Enum):
    KVM = "kvm"
    TCG = "tcg"


@dataclass(frozen=True)
class VmSpec:
    """What one VM boot needs; every path is on the host."""

    name: str
    kernel: Path
    initrd: Path
    disk: Path
    disk_format: str
    memory_mib: int
    cpus: int
    accel: Accel
    api_port: int
    serial_log: Path
    pidfile: Path
    qmp_socket: Path
    extra_append: tuple[str, ...] = ()


def kernel_append(spec: VmSpec) -> str:
    """Kernel arguments: cgroup v2 only and PSI on, which Debian kernels leave off by default."""
    args = [
        "root=/dev/vda",
        "rw",
        "console=ttyS0",
        "psi=1",
        "systemd.unified_cgroup_hierarchy=1",
        "quiet",
        "panic=-1",
        *spec.extra_append,
    ]
    return " ".join(args)


def qemu_argv(spec: VmSpec, qemu: str = "qemu-system-x86_64") -> list[str]:
    """Build the argv that boots spec headless and daemonized, with no route out of the guest.

    `restrict=on` cuts the guest off from the host and every other network; only the API
    forward, bound to 127.0.0.1, stays open.
    """
    accel = "kvm" if spec.accel is Accel.KVM else "tcg,thread=multi"
    forward = f"hostfwd=tcp:127.0.0.1:{spec.api_port}-:{GUEST_API_PORT}"
    return [
        qemu,
        "-name", spec.name,
        "-accel", accel,
        "-cpu", "host" if spec.accel is Accel.KVM else "max",
        "-m", str(spec.memory_mib),
        "-smp", str(spec.cpus),
        "-nodefaults",
        "-display", "none",
        "-no-reboot",
        "-kernel", str(spec.kernel),
        "-initrd", str(spec.initrd),
        "-append", kernel_append(spec),
        "-drive", f"file={spec.disk},format={spec.disk_format},if=virtio,cache=unsafe",
        "-nic", f"user,model=virtio-net-pci,restrict=on,{forward}",
        "-serial", f"file:{spec.serial_log}",
        "-qmp", f"unix:{spec.qmp_socket},server=on,wait=off",
        "-pidfile", str(spec.pidfile),
        "-daemonize",
    ]  # fmt: skip
