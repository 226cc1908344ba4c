"""Per-unit outcomes decided from independent evidence.

Each source is read on its own: systemd-oomd's kill notices, the service manager's per-unit
OOM lines, `Result=`/`ActiveState=`/`NRestarts`, `memory.events` `oom_kill` per cgroup, the
oomd xattrs and podman's `State.OOMKilled`. An outcome lists every item that supports it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from lab.observe.journal import Killer, parse_manager_line, parse_oomd_line, unit_cgroup
from lab.observe.timeline import Sample, count_oom_kills
from lab.scenario import Outcome

_KILLS = (Outcome.OOMD, Outcome.KERNEL_OOM, Outcome.KILLED)


class EvidenceSource(StrEnum):
    OOMD_JOURNAL = "oomd-journal"
    MANAGER_JOURNAL = "manager-journal"
    UNIT_STATE = "unit-state"
    MEMORY_EVENTS = "memory-events"
    OOMD_XATTR = "oomd-xattr"
    PODMAN = "podman"


_EVENT_SOURCES = frozenset({EvidenceSource.OOMD_JOURNAL, EvidenceSource.MANAGER_JOURNAL})
"""Sources with one item per event, so their counts add up. Other sources report counters,
and several items of one source, such as a service's cgroup and its payload's, overlap."""


@dataclass(frozen=True)
class Evidence:
    """One observation about a unit: where it came from, what it read and what it supports.

    `subject` is the cgroup or unit the observation is about, and `count` is the number of kills
    or restarts it reports.
    """

    source: EvidenceSource
    subject: str
    text: str
    supports: Outcome
    count: int = 1


@dataclass(frozen=True)
class UnitState:
    """A unit's properties at the end of the run, and `NRestarts` at its start."""

    unit: str
    active_state: str
    result: str
    n_restarts: int
    n_restarts_baseline: int = 0
    control_group: str | None = None


@dataclass(frozen=True)
class OomKillCount:
    """`oom_kill` from a cgroup's memory.events before and after the run."""

    cgroup: str
    baseline: int
    final: int


@dataclass(frozen=True)
class OomdXattrs:
    """systemd-oomd's counters on a cgroup: `user.oomd_ooms` (kill attempts) and
    `user.oomd_kill` (processes killed)."""

    cgroup: str
    ooms: int
    kills: int


@dataclass(frozen=True)
class PodmanState:
    """A container's `State.OOMKilled`. `unit` comes from its PODMAN_SYSTEMD_UNIT label."""

    container: str
    unit: str
    oom_killed: bool


@dataclass(frozen=True)
class Observations:
    """Everything collected from one run. `journal` contains lines of any unit, in order."""

    journal: Sequence[str] = ()
    units: Sequence[UnitState] = ()
    oom_kill_counts: Sequence[OomKillCount] = ()
    xattrs: Sequence[OomdXattrs] = ()
    podman: Sequence[PodmanState] = ()
    samples: Sequence[Sample] = ()


@dataclass(frozen=True)
class UnitOutcome:
    """The decided outcome of one unit and the evidence behind it.

    The outcome is the first that applies of: oomd, kernel-oom, killed (only `Result=oom-kill`
    names the kill), failed, restarted, survived. Kill counts are the highest count that any
    one source reports, because sources count different things (notices, processes, attempts).
    """

    unit: str
    outcome: Outcome
    evidence: tuple[Evidence, ...]
    control_group: str | None = None
    oomd_kills: int = 0
    kernel_oom_kills: int = 0
    restarts: int = 0

    @property
    def was_killed(self) -> bool:
        return self.outcome in _KILLS

    def shows(self, expected: Outcome) -> bool:
        """Check whether the evidence shows `expected`. `killed` matches any killer."""
        match expected:
            case Outcome.SURVIVED:
                return self.outcome is Outcome.SURVIVED
            case Outcome.OOMD:
                return self.oomd_kills > 0
            case Outcome.KERNEL_OOM:
                return self.kernel_oom_kills > 0
            case Outcome.KILLED:
                return self.was_killed
            case Outcome.RESTARTED:
                return self.restarts > 0
            case Outcome.FAILED:
                return any(item.supports is Outcome.FAILED for item in self.evidence)


def decide_outcomes(observations: Observations) -> dict[str, UnitOutcome]:
    """Decide the outcome of every unit that any source mentions, keyed by unit name."""
    found: dict[str, list[Evidence]] = defaultdict(list)
    cgroups: dict[str, str] = {}
    for unit, cgroup, item in _collect(observations):
        found[unit].append(item)
        if cgroup:
            cgroups.setdefault(unit, cgroup)
    for state in observations.units:
        if state.control_group:
            cgroups[state.unit] = state.control_group
    return {unit: _decide(unit, items, cgroups.get(unit)) for unit, items in found.items()}


_Found = tuple[str, str | None, Evidence]


def _collect(observations: Observations) -> Iterable[_Found]:
    yield from _journal_evidence(observations.journal)
    yield from _unit_state_evidence(observations.units)
    yield from _memory_events_evidence(observations.oom_kill_counts, observations.samples)
    yield from _xattr_evidence(observations.xattrs)
    yield from _podman_evidence(observations.podman)


def _journal_evidence(lines: Iterable[str]) -> Iterable[_Found]:
    for line in lines:
        kill = parse_oomd_line(line)
        owner = unit_cgroup(kill.cgroup) if kill else None
        if kill and owner:
            yield (
                owner[0],
                owner[1],
                Evidence(EvidenceSource.OOMD_JOURNAL, kill.cgroup, kill.line, Outcome.OOMD),
            )
        message = parse_manager_line(line)
        if message:
            supports = Outcome.OOMD if message.killer is Killer.OOMD else Outcome.KERNEL_OOM
            yield (
                message.unit,
                None,
                Evidence(EvidenceSource.MANAGER_JOURNAL, message.unit, message.line, supports),
            )


def _unit_state_evidence(states: Iterable[UnitState]) -> Iterable[_Found]:
    for state in states:
        for item in _unit_state_items(state):
            yield state.unit, None, item


def _unit_state_items(state: UnitState) -> list[Evidence]:
    text = f"ActiveState={state.active_state} Result={state.result}"
    restarts = state.n_restarts - state.n_restarts_baseline
    supports = []
    if state.result == "oom-kill":
        supports.append(Outcome.KILLED)
    if state.active_state == "failed" or state.result not in ("success", "oom-kill"):
        supports.append(Outcome.FAILED)
    if not supports and restarts <= 0:
        supports.append(Outcome.SURVIVED)
    items = [Evidence(EvidenceSource.UNIT_STATE, state.unit, text, outcome) for outcome in supports]
    if restarts > 0:
        text = f"NRestarts {state.n_restarts_baseline} → {state.n_restarts}"
        items.append(
            Evidence(EvidenceSource.UNIT_STATE, state.unit, text, Outcome.RESTARTED, restarts)
        )
    return items


def _memory_events_evidence(
    counts: Iterable[OomKillCount], samples: Sequence[Sample]
) -> Iterable[_Found]:
    for count in counts:
        owner = unit_cgroup(count.cgroup)
        if owner and count.final > count.baseline:
            text = f"memory.events oom_kill {count.baseline} → {count.final}"
            kills = count.final - count.baseline
            evidence = Evidence(
                EvidenceSource.MEMORY_EVENTS, count.cgroup, text, Outcome.KERNEL_OOM, kills
            )
            yield owner[0], owner[1], evidence
    paths = {path for sample in samples for path in sample.cgroups}
    for path in sorted(paths):
        owner = unit_cgroup(path)
        kills = count_oom_kills(samples, path) if owner else 0
        if owner and kills:
            text = f"memory.events oom_kill rose by {kills} during the run (timeline)"
            evidence = Evidence(EvidenceSource.MEMORY_EVENTS, path, text, Outcome.KERNEL_OOM, kills)
            yield owner[0], owner[1], evidence


def _xattr_evidence(readings: Iterable[OomdXattrs]) -> Iterable[_Found]:
    for reading in readings:
        owner = unit_cgroup(reading.cgroup)
        # user.oomd_ooms rises before the kill is sent, so only user.oomd_kill proves a kill.
        if owner and reading.kills > 0:
            text = f"user.oomd_ooms={reading.ooms} user.oomd_kill={reading.kills}"
            evidence = Evidence(
                EvidenceSource.OOMD_XATTR, reading.cgroup, text, Outcome.OOMD, max(reading.ooms, 1)
            )
            yield owner[0], owner[1], evidence


def _podman_evidence(states: Iterable[PodmanState]) -> Iterable[_Found]:
    for state in states:
        if state.oom_killed:
            text = f"container {state.container}: State.OOMKilled=true"
            yield (
                state.unit,
                None,
                Evidence(EvidenceSource.PODMAN, state.container, text, Outcome.KERNEL_OOM),
            )


def _decide(unit: str, evidence: list[Evidence], control_group: str | None) -> UnitOutcome:
    def highest(outcome: Outcome) -> int:
        per_source: dict[EvidenceSource, int] = defaultdict(int)
        for item in evidence:
            if item.supports is not outcome:
                continue
            if item.source in _EVENT_SOURCES:
                per_source[item.source] += item.count
            else:
                per_source[item.source] = max(per_source[item.source], item.count)
        return max(per_source.values(), default=0)

    supported = {item.supports for item in evidence}
    order = (Outcome.OOMD, Outcome.KERNEL_OOM, Outcome.KILLED, Outcome.FAILED, Outcome.RESTARTED)
    outcome = next((candidate for candidate in order if candidate in supported), Outcome.SURVIVED)
    return UnitOutcome(
        unit=unit,
        outcome=outcome,
        evidence=tuple(evidence),
        control_group=control_group,
        oomd_kills=highest(Outcome.OOMD),
        kernel_oom_kills=highest(Outcome.KERNEL_OOM),
        restarts=highest(Outcome.RESTARTED),
    )
