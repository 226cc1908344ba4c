"""The VM host: slicelab's own qemu VM whose podman API is forwarded to the host's loopback."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import secrets
import shutil
import socket
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import docker
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from lab.errors import LabError
from lab.host import processes
from lab.host.accel import choose_accel
from lab.host.qemu import Accel, VmSpec, qemu_argv
from lab.host.qmp import qmp_command
from lab.host.vmdisk import VmDisk
from lab.log import step
from lab.paths import state_dir
from lab.retry import NotYet, policy
from lab.run import run

log = logging.getLogger(__name__)

BOOT_TIMEOUT = {Accel.KVM: 120.0, Accel.TCG: 300.0}
BOOT_ATTEMPTS = 3


@dataclass
class VmRecord:
    """The record a running VM leaves in the state folder, so a later command can find or reap it."""

    vm_id: str
    pid: int
    api_port: int
    accel: str
    folder: str

    @property
    def marker(self) -> str:
        return vm_name(self.vm_id)


def vm_name_prefix() -> str:
    """The start of the qemu -name of every VM this state folder owns.

    The hash of the state folder keeps `lab.clean` of one user or one XDG_STATE_HOME from
    reaping the VMs of another.
    """
    owner = hashlib.sha256(str(state_dir()).encode()).hexdigest()[:8]
    return f"slicelab-vm-{owner}-"


def vm_name(vm_id: str) -> str:
    return vm_name_prefix() + vm_id


def vms_dir() -> Path:
    path = state_dir() / "vms"
    path.mkdir(parents=True, exist_ok=True)
    return path


def free_loopback_port() -> int:
    """Ask the kernel for a free TCP port on 127.0.0.1 (qemu binds it a moment later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class VmHost:
    """One booted VM; `client()` talks to its podman through the loopback forward."""

    kind = "vm"

    def __init__(self, record: VmRecord) -> None:
        self.record = record

    @property
    def accel(self) -> str:
        return self.record.accel

    @property
    def base_url(self) -> str:
        return f"tcp://127.0.0.1:{self.record.api_port}"

    def describe(self) -> str:
        return f"vm ({self.record.accel}, {self.base_url})"

    def client(self, timeout: int = 600) -> docker.DockerClient:
        return docker.DockerClient(base_url=self.base_url, timeout=timeout)

    def is_running(self) -> bool:
        return processes.is_running(self.record.pid, self.record.marker)

    def stop(self, clean: bool = True) -> None:
        """Power the VM down (ACPI, then quit, then SIGKILL) and delete its overlay and record."""
        folder = Path(self.record.folder)
        if self.is_running() and clean:
            with contextlib.suppress(OSError, ValueError):
                qmp_command(folder / "qmp.sock", "system_powerdown")
            with contextlib.suppress(NotYet):
                processes.wait_for_exit(self.record.pid, self.record.marker, 60.0)
        if self.is_running():
            with contextlib.suppress(OSError, ValueError):
                qmp_command(folder / "qmp.sock", "quit")
        processes.terminate(self.record.pid, self.record.marker, grace=5.0)
        shutil.rmtree(folder, ignore_errors=True)
        (vms_dir() / f"{self.record.vm_id}.json").unlink(missing_ok=True)


class GuestPanic(LabError):
    """The VM's kernel panicked before the podman API came up."""


def boot_vm(disk: VmDisk, memory_mib: int, cpus: int, *, writable_base: bool = False) -> VmHost:
    """Boot a VM from the cached disk and wait until its podman API responds.

    With writable_base the VM writes straight into the cached disk (used once, to bake the
    lab images in); otherwise into a fresh qcow2 overlay that is deleted when the VM stops.
    """
    # Under TCG the guest kernel once panicked in its timer code a second into a boot, while two
    # VMs shared two cores. A panic that early does not come from the disk, so boot again.
    retrying = Retrying(
        stop=stop_after_attempt(BOOT_ATTEMPTS),
        retry=retry_if_exception_type(GuestPanic),
        before_sleep=_log_panic,
        reraise=True,
    )
    return retrying(_boot_once, disk, memory_mib, cpus, writable_base)


def _log_panic(state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome else None
    hint = getattr(error, "hint", None) or ""
    panic = next((line.strip() for line in hint.splitlines() if "Kernel panic" in line), "no panic line")
    log.warning("The VM's kernel panicked while booting (%s); booting again (attempt %d of %d)",
                panic, state.attempt_number + 1, BOOT_ATTEMPTS)  # fmt: skip


def _boot_once(disk: VmDisk, memory_mib: int, cpus: int, writable_base: bool) -> VmHost:
    vm_id = secrets.token_hex(4)
    folder = vms_dir() / vm_id
    folder.mkdir(mode=0o700)
    accel, reason = choose_accel(disk)
    log.info("Accelerator: %s (%s)", accel.value.upper(), reason)
    if writable_base:
        disk_path, disk_format = disk.disk, "raw"
    else:
        disk_path, disk_format = folder / "overlay.qcow2", "qcow2"
        run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw", "-b", disk.disk, disk_path])
    spec = VmSpec(
        name=vm_name(vm_id), kernel=disk.kernel, initrd=disk.initrd, disk=disk_path,
        disk_format=disk_format, memory_mib=memory_mib, cpus=cpus, accel=accel,
        api_port=free_loopback_port(), serial_log=folder / "serial.log",
        pidfile=folder / "qemu.pid", qmp_socket=folder / "qmp.sock",
    )  # fmt: skip
    with step(f"Booting the VM ({memory_mib} MiB, {cpus} CPUs, {accel.value})"):
        run(qemu_argv(spec), timeout=60, hint="check that qemu-system-x86 is installed")
        pid = int(spec.pidfile.read_text().strip())
        record = VmRecord(vm_id, pid, spec.api_port, accel.value, str(folder))
        (vms_dir() / f"{vm_id}.json").write_text(json.dumps(asdict(record)))
        host = VmHost(record)
        try:
            _wait_for_api(host, spec, BOOT_TIMEOUT[accel])
        except BaseException:
            host.stop(clean=False)
            raise
    return host


def _wait_for_api(host: VmHost, spec: VmSpec, seconds: float) -> None:
    started = time.monotonic()
    try:
        for attempt in policy(seconds, 2.0, on=(NotYet, docker.errors.DockerException, OSError)):
            with attempt:
                if not host.is_running():
                    tail = _serial_tail(spec.serial_log)
                    kind = GuestPanic if "Kernel panic" in tail else LabError
                    raise kind("the VM exited during boot", hint=tail)
                host.client(timeout=5).version()
    except LabError:
        raise
    except Exception as error:
        raise LabError(
            f"the VM's podman API did not respond within {seconds:.0f} s ({error})",
            hint="the serial console's last lines:\n" + _serial_tail(spec.serial_log),
        ) from error
    log.info("  podman API responded after %.0f s", time.monotonic() - started)


def _serial_tail(serial_log: Path, lines: int = 20) -> str:
    try:
        return "\n".join(serial_log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no serial output)"


def recorded_vms() -> list[VmHost]:
    """VMs recorded in the state folder, running or not."""
    hosts = []
    for path in sorted(vms_dir().glob("*.json")):
        try:
            hosts.append(VmHost(VmRecord(**json.loads(path.read_text()))))
        except (OSError, ValueError, TypeError):
            log.warning("Ignoring an unreadable VM record: %s", path)
    return hosts


def reap_vms(keep: frozenset[str] = frozenset()) -> int:
    """Stop every slicelab VM except those whose id is in keep; return how many were stopped.

    This also finds VMs whose record was lost, by the name qemu carries on its command line.
    """
    count = 0
    for host in recorded_vms():
        if host.record.vm_id in keep:
            continue
        host.stop(clean=False)
        count += 1
    kept_markers = [vm_name(vm_id) for vm_id in keep]
    for pid in processes.pids_with_marker(vm_name_prefix()):
        if any(processes.is_running(pid, marker) for marker in kept_markers):
            continue
        processes.terminate(pid, vm_name_prefix())
        count += 1
    return count
