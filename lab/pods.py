"""Pod cgroups of the lab user: where podman put each pod's processes, with their memory.

A container that joins a pod runs in its own service's cgroup (quadlet's `--cgroups=split`).
Podman puts the pod's infra container in a `*-libpod_pod_<id>.slice` of its own, below the
pod's cgroup parent: user.slice unless `--cgroup-parent` sets another. A quadlet's `Slice=`
does not move it, so lab.status lists these cgroups to show stray processes.
"""

from __future__ import annotations

from dataclasses import dataclass

from lab.machine import Machine
from lab.policy import USER_MANAGER

# One line per pod cgroup: path, memory.current, and the command names of its processes.
LIST_SCRIPT = r"""
root=/sys/fs/cgroup$1
[ -d "$root" ] || exit 0
find "$root" -type d -name '*libpod_pod_*.slice' | while read -r folder; do
    names=$(find "$folder" -name cgroup.procs -exec cat {} + \
        | while read -r pid; do cat "/proc/$pid/comm" 2>/dev/null; done | sort -u | paste -sd,)
    printf '%s\t%s\t%s\n' "${folder#/sys/fs/cgroup}" "$(cat "$folder/memory.current")" "$names"
done
"""


@dataclass(frozen=True)
class PodCgroup:
    """A pod's cgroup under the user manager, its memory.current and its processes' names."""

    path: str
    memory_current: int
    processes: tuple[str, ...]


def parse_pod_cgroups(text: str) -> list[PodCgroup]:
    """Parse LIST_SCRIPT's output."""
    found = []
    for line in text.splitlines():
        path, memory, names = [*line.split("\t"), "", ""][:3]
        if path:
            memory_current = int(memory) if memory.isdigit() else 0
            found.append(PodCgroup(path, memory_current, tuple(filter(None, names.split(",")))))
    return found


def read_pod_cgroups(machine: Machine) -> list[PodCgroup]:
    """List the pod cgroups under the lab user's manager."""
    listed = machine.exec(["sh", "-c", LIST_SCRIPT, "pods", USER_MANAGER], check=False)
    return parse_pod_cgroups(listed.stdout)
