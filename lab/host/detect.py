"""Choose the lab host: local when this host can run the lab, else slicelab's own VM."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass

from lab.errors import BadInput, LabError
from lab.host import local

HOST_KINDS = ("auto", "local", "vm")


@dataclass(frozen=True)
class HostChoice:
    kind: str
    reason: str


def requested_kind(flag: str | None) -> str:
    """The host kind from --host, else SLICELAB_HOST, else auto; reject anything else."""
    kind = (flag or os.environ.get("SLICELAB_HOST") or "auto").strip().lower()
    if kind not in HOST_KINDS:
        raise BadInput(f"unknown host kind: {kind!r}", hint=f"use one of: {', '.join(HOST_KINDS)}")
    return kind


def choose_host(
    flag: str | None, why_not_local: Callable[[], str | None] = local.usable_reason
) -> HostChoice:
    """Resolve auto to local or vm, with the reason; check that the chosen kind can work here.

    why_not_local returns why this host cannot run the lab itself, or None when it can.
    """
    kind = requested_kind(flag)
    reason_not_local = why_not_local()
    if kind == "auto":
        if reason_not_local is None:
            return HostChoice("local", "this host runs podman on cgroup v2 with PSI")
        kind = "vm"
        reason = f"using slicelab's VM because {reason_not_local}"
    elif kind == "local":
        if reason_not_local is not None:
            raise LabError(f"the local host cannot run the lab: {reason_not_local}",
                           hint="use `--host vm` to run the lab in slicelab's own qemu VM")  # fmt: skip
        return HostChoice("local", "requested")
    else:
        reason = "requested"
    if not shutil.which("qemu-system-x86_64"):
        raise LabError("qemu-system-x86_64 is not installed; the VM host needs it",
                       hint="sudo apt-get install qemu-system-x86 qemu-utils debootstrap")  # fmt: skip
    return HostChoice("vm", reason)
