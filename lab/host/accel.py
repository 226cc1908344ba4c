"""Choose KVM or TCG: KVM only when a short probe boot shows a kernel gets going under it."""

from __future__ import annotations

import json
import logging
import os
import platform
import subprocess
import tempfile
from pathlib import Path

from lab.errors import BadInput
from lab.host.qemu import Accel
from lab.host.vmdisk import VmDisk
from lab.retry import NotYet, policy

log = logging.getLogger(__name__)

PROBE_SECONDS = 20.0
# The kernel prints this once it hands over to the initramfs; reaching it proves the
# accelerator runs the guest kernel. The probe has no root disk, so it stops there.
PROBE_SIGN = b"Run /init as init process"


def choose_accel(disk: VmDisk) -> tuple[Accel, str]:
    """Return the accelerator to use and why; SLICELAB_ACCEL=kvm|tcg overrides the probe."""
    forced = os.environ.get("SLICELAB_ACCEL", "").strip().lower()
    if forced:
        if forced not in ("kvm", "tcg"):
            raise BadInput(f"invalid SLICELAB_ACCEL: {forced!r}", hint="use kvm or tcg")
        return Accel(forced), "set by SLICELAB_ACCEL"
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return Accel.TCG, "/dev/kvm is missing or not writable: TCG is much slower"
    cache = disk.folder / f"kvm-probe-{platform.release()}.json"
    cached = cache.exists()
    if cached:
        works = bool(json.loads(cache.read_text())["works"])
    else:
        works = probe_kvm(disk)
        cache.write_text(json.dumps({"works": works}))
    if works:
        return Accel.KVM, "a probe boot under KVM succeeded"
    source = "an earlier probe kernel" if cached else "a probe kernel"
    return Accel.TCG, (
        f"KVM is not usable here: {source} did not start under it within {PROBE_SECONDS:.0f} s,"
        " falling back to TCG (slower)"
    )


def probe_kvm(disk: VmDisk) -> bool:
    """Boot the VM kernel under KVM with no disk and report whether it reached the initramfs."""
    with tempfile.TemporaryDirectory(prefix="slicelab-kvm-probe-") as folder:
        serial = Path(folder) / "serial.log"
        argv = [
            "qemu-system-x86_64", "-name", "slicelab-kvm-probe", "-accel", "kvm", "-cpu", "host",
            "-m", "512", "-nodefaults", "-display", "none", "-no-reboot",
            "-kernel", str(disk.kernel), "-initrd", str(disk.initrd),
            "-append", "console=ttyS0 panic=-1 root=/dev/nonexistent",
            "-serial", f"file:{serial}",
        ]  # fmt: skip
        log.debug("probing KVM: %s", " ".join(argv))
        process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for attempt in policy(PROBE_SECONDS, 0.5):
                with attempt:
                    if serial.exists() and PROBE_SIGN in serial.read_bytes():
                        return True
                    if process.poll() is not None:
                        return False
                    raise NotYet("the probe kernel has not reached the initramfs")
        except NotYet:
            return False
        finally:
            process.kill()
            process.wait()
    return False  # not reached: the policy either returns or raises NotYet
