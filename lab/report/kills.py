"""When each kill of a run happened and who killed what, for markers on the plots.

Times come from three sources, in order of preference. The first is the journal line of the
kill: systemd-oomd's notice or the service manager's kernel OOM line. The second is an increase
of a unit's `oom_kill` counter in the timeline. The last, for a unit that the report records as
killed but that no line or counter places in time, is the sample at which its cgroup disappeared.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from lab.observe.journal import Killer, parse_manager_line, unit_of_cgroup
from lab.observe.timeline import Sample
from lab.report.run_folder import StrategyRecord, journal_time

# Killer named by each report outcome that is a kill.
KILLERS = {"oomd": "systemd-oomd", "kernel-oom": "kernel OOM killer", "killed": "OOM kill, killer unknown"}
# Two sources naming the same unit this close in time describe one kill.
SAME_KILL_SECONDS = 5.0


@dataclass(frozen=True)
class KillMarker:
    """A kill at `t` seconds since the run started, with a label that names the killer and the unit."""

    t: float
    unit: str
    label: str


def kill_markers(run: dict[str, Any], record: StrategyRecord) -> list[KillMarker]:
    """Return the run's kills placed in time, ordered by time, one marker per kill."""
    markers: list[KillMarker] = []
    candidates = [*_oomd_notices(run, record), *_kernel_lines(record), *_counter_increases(record.samples)]
    for marker in candidates:
        if not _already_marked(markers, marker):
            markers.append(marker)
    for marker in _disappearances(run, record.samples):
        if not any(existing.unit == marker.unit for existing in markers):
            markers.append(marker)
    return sorted(markers, key=lambda marker: marker.t)


def _already_marked(markers: Sequence[KillMarker], marker: KillMarker) -> bool:
    return any(m.unit == marker.unit and abs(m.t - marker.t) <= SAME_KILL_SECONDS for m in markers)


def _run_time(line: str, record: StrategyRecord) -> float | None:
    wall = journal_time(line)
    if wall is None or record.wall_offset is None:
        return None
    return wall - record.wall_offset


def _oomd_notices(run: dict[str, Any], record: StrategyRecord) -> list[KillMarker]:
    markers = []
    for kill in run["kills"]:
        t = _run_time(kill["line"], record)
        unit = unit_of_cgroup(kill["cgroup"]) or kill["cgroup"]
        if t is not None:
            markers.append(KillMarker(t, unit, f"systemd-oomd killed {unit}"))
    return markers


def _kernel_lines(record: StrategyRecord) -> list[KillMarker]:
    markers = []
    for line in record.journal:
        message = parse_manager_line(line)
        t = _run_time(line, record) if message and message.killer is Killer.KERNEL else None
        if message and t is not None:
            markers.append(KillMarker(t, message.unit, f"kernel OOM killer in {message.unit}"))
    return markers


def _counter_increases(samples: Sequence[Sample]) -> list[KillMarker]:
    """Return a marker where a unit's cgroup `oom_kill` counter rose between two samples."""
    markers = []
    for previous, sample in pairwise(samples):
        for path, reading in sample.cgroups.items():
            unit = unit_of_cgroup(path)
            before = previous.cgroups.get(path)
            if unit and path.endswith(unit) and before is not None and reading.oom_kill > before.oom_kill:
                markers.append(KillMarker(sample.t, unit, f"kernel OOM killer in {unit}"))
    return markers


def _disappearances(run: dict[str, Any], samples: Sequence[Sample]) -> list[KillMarker]:
    markers = []
    for service in run["services"]:
        killer = KILLERS.get(service["outcome"])
        t = _first_absence(samples, service["cgroup"]) if killer and service["cgroup"] else None
        if killer and t is not None:
            markers.append(KillMarker(t, service["unit"], f"{service['unit']} gone ({killer})"))
    return markers


def _first_absence(samples: Sequence[Sample], cgroup: str) -> float | None:
    seen = False
    for sample in samples:
        if cgroup in sample.cgroups:
            seen = True
        elif seen:
            return sample.t
    return None
