"""Journal lines about OOM kills, and the unit a killed cgroup belongs to.

systemd-oomd logs one notice per kill. systemd 257 writes
`Killed <cgroup> due to memory pressure for <watched cgroup> being 90.52% > 80.00% for > 20s
with reclaim activity`; later versions write `Marked <cgroup> for killing due to ...` with the
same tail, because the kill then waits for pre-kill hooks. Swap-based kills read
`... due to memory used (N) / total (N) and swap used (N) / total (N) being more than 90.00%`
with the same two verbs. The service manager adds its own line per unit:
`<unit>: systemd-oomd killed N process(es) in this unit.` for oomd and
`<unit>: A process of this unit has been killed by the OOM killer.` for the kernel.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class KillReason(StrEnum):
    MEMORY_PRESSURE = "memory-pressure"
    SWAP = "swap"


@dataclass(frozen=True)
class OomdKill:
    """One kill notice of systemd-oomd.

    `marked` is True for the newer `Marked ... for killing` form. For pressure kills,
    `pressure` and `limit` are percentages and `duration` is systemd's timespan text ("20s").
    For swap kills, `limit` is the SwapUsedLimit percentage and `watched` is None.
    """

    cgroup: str
    reason: KillReason
    marked: bool
    line: str
    watched: str | None = None
    pressure: float | None = None
    limit: float | None = None
    duration: str | None = None


class Killer(StrEnum):
    OOMD = "oomd"
    KERNEL = "kernel"


@dataclass(frozen=True)
class ManagerOomMessage:
    """The service manager's per-unit line about an OOM kill. `count` is None for 'some'."""

    unit: str
    killer: Killer
    count: int | None
    line: str


_VERB = r"(?P<verb>Killed|Marked) (?P<cgroup>/\S*) (?:for killing )?due to "
_PRESSURE_KILL = re.compile(
    _VERB + r"memory pressure for (?P<watched>/\S*) being (?P<pressure>\d+(?:\.\d+)?)% > "
    r"(?P<limit>\d+(?:\.\d+)?)% for > (?P<duration>.+?) with reclaim activity"
)
_SWAP_KILL = re.compile(
    _VERB + r"memory used \(\d+\) / total \(\d+\) and swap used \(\d+\) / total \(\d+\) "
    r"being more than (?P<limit>\d+(?:\.\d+)?)%"
)
_UNIT = r"(?:^|\s)(?P<unit>\S+\.(?:service|scope)): "
_MANAGER_OOMD = re.compile(_UNIT + r"systemd-oomd killed (?P<count>\d+|some) process\(es\)")
_MANAGER_KERNEL = re.compile(
    _UNIT + r"A process (?:of this unit )?has been killed by the OOM killer"
)
_USER_MANAGER = re.compile(r"user@\d+\.service")


def parse_oomd_line(line: str) -> OomdKill | None:
    """Parse one systemd-oomd kill notice, or return None for any other line.

    The line may carry a journal prefix such as a timestamp and `systemd-oomd[588]:`.
    """
    match = _PRESSURE_KILL.search(line)
    if match:
        return OomdKill(
            cgroup=match["cgroup"],
            reason=KillReason.MEMORY_PRESSURE,
            marked=match["verb"] == "Marked",
            line=line.strip(),
            watched=match["watched"],
            pressure=float(match["pressure"]),
            limit=float(match["limit"]),
            duration=match["duration"],
        )
    match = _SWAP_KILL.search(line)
    if match:
        return OomdKill(
            cgroup=match["cgroup"],
            reason=KillReason.SWAP,
            marked=match["verb"] == "Marked",
            line=line.strip(),
            limit=float(match["limit"]),
        )
    return None


def parse_manager_line(line: str) -> ManagerOomMessage | None:
    """Parse the service manager's per-unit OOM line, or return None for any other line."""
    match = _MANAGER_OOMD.search(line)
    if match:
        count = None if match["count"] == "some" else int(match["count"])
        return ManagerOomMessage(match["unit"], Killer.OOMD, count, line.strip())
    match = _MANAGER_KERNEL.search(line)
    if match:
        return ManagerOomMessage(match["unit"], Killer.KERNEL, 1, line.strip())
    return None


def parse_oomd_kills(lines: Iterable[str]) -> list[OomdKill]:
    """Return the systemd-oomd kill notices among `lines`, in order."""
    return [kill for kill in map(parse_oomd_line, lines) if kill is not None]


def unit_cgroup(cgroup: str) -> tuple[str, str] | None:
    """Return the unit that owns `cgroup` and that unit's own cgroup path, or None.

    The owner is the outermost service or scope below the user manager, so
    `.../container.slice/jellyfin.service/libpod-payload-<id>` and `.../jellyfin.service/runtime`
    belong to `jellyfin.service`, and `.../app.slice/app-firefox-1.scope` to that scope. A
    slice, such as a watched one, belongs to no unit here.
    """
    parts = cgroup.strip("/").split("/")
    for index, part in enumerate(parts):
        if _USER_MANAGER.fullmatch(part):
            continue
        if part.endswith((".service", ".scope")):
            return part, "/" + "/".join(parts[: index + 1])
    return None


def unit_of_cgroup(cgroup: str) -> str | None:
    """Return the service or scope that owns `cgroup` as `unit_cgroup` finds it, or None."""
    found = unit_cgroup(cgroup)
    return found[0] if found else None
