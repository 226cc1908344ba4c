"""Expectations checked against decided outcomes: pass, fail or inconclusive.

"Survived pressure" needs pressure: an expectation that a unit survives passes only when a
watched cgroup above the unit met its systemd-oomd condition during the run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from lab.observe.outcome import UnitOutcome
from lab.observe.timeline import PressureSummary
from lab.scenario import Expectation, Finding, Outcome


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    INCONCLUSIVE = "inconclusive"


@dataclass(frozen=True)
class ExpectationResult:
    """An expectation's status, why, the unit's outcome and the pressure above the unit."""

    expectation: Expectation
    status: Status
    reason: str
    observed: UnitOutcome | None
    pressure: tuple[PressureSummary, ...] = field(default=())


@dataclass(frozen=True)
class FindingRecord:
    """A finding with the unit's outcome. `matches` is None without an outcome to compare."""

    finding: Finding
    observed: UnitOutcome | None
    matches: bool | None
    pressure: tuple[PressureSummary, ...] = field(default=())


def pressure_above(
    control_group: str | None, pressures: Iterable[PressureSummary]
) -> tuple[PressureSummary, ...]:
    """Return the summaries of watched cgroups that contain `control_group`, itself included."""
    if control_group is None:
        return ()
    return tuple(
        summary
        for summary in pressures
        if control_group == summary.watched.path
        or control_group.startswith(summary.watched.path.rstrip("/") + "/")
    )


def check_expectations(
    expectations: Iterable[Expectation],
    outcomes: Mapping[str, UnitOutcome],
    pressures: Sequence[PressureSummary],
) -> list[ExpectationResult]:
    """Check each expectation against the decided outcomes.

    An expectation that needs pressure is inconclusive, never passed, when its unit survived
    but no watched cgroup above the unit met its condition. A unit with no observations at
    all is inconclusive too.
    """
    return [_check(expectation, outcomes, pressures) for expectation in expectations]


def _check(
    expectation: Expectation,
    outcomes: Mapping[str, UnitOutcome],
    pressures: Sequence[PressureSummary],
) -> ExpectationResult:
    observed = outcomes.get(expectation.unit)
    if observed is None:
        reason = f"no source recorded anything about {expectation.unit}"
        return ExpectationResult(expectation, Status.INCONCLUSIVE, reason, None)
    above = pressure_above(observed.control_group, pressures)
    shown = observed.shows(expectation.outcome)
    summary = f"expected {expectation.outcome}, observed {observed.outcome}"
    pressure_met = any(item.condition_met for item in above)
    if expectation.needs_pressure and observed.outcome is Outcome.SURVIVED and not pressure_met:
        reason = f"{summary}, but {_missing_pressure(observed, above)}"
        return ExpectationResult(expectation, Status.INCONCLUSIVE, reason, observed, above)
    status = Status.PASS if shown else Status.FAIL
    return ExpectationResult(expectation, status, summary, observed, above)


def _missing_pressure(observed: UnitOutcome, above: Sequence[PressureSummary]) -> str:
    if observed.control_group is None:
        return f"the cgroup of {observed.unit} is unknown, so no watched cgroup can be matched"
    if not above:
        return f"no watched cgroup contains {observed.control_group}"
    peaks = "; ".join(item.describe() for item in above)
    return f"no watched cgroup above {observed.unit} met its pressure condition: {peaks}"


def record_findings(
    findings: Iterable[Finding],
    outcomes: Mapping[str, UnitOutcome],
    pressures: Sequence[PressureSummary],
) -> list[FindingRecord]:
    """Record each finding's observed outcome. Records carry no pass or fail status."""
    records = []
    for finding in findings:
        observed = outcomes.get(finding.unit)
        matches = None
        if observed is not None and finding.outcome is not None:
            matches = observed.shows(finding.outcome)
        above = pressure_above(observed.control_group if observed else None, pressures)
        records.append(FindingRecord(finding, observed, matches, above))
    return records
