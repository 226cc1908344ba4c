"""Key figures of a recorded run as tables, shared by summary.md and report.html.

Every table is a `Table`: a header and rows of cell text, so each writer only decides markup.
Sizes print in MiB, since the lab machine is a scaled-down model measured in MiB.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lab.observe.timeline import Sample
from lab.report.run_folder import RecordedRun

OUTCOME_LABELS = {
    "survived": "ok",
    "oomd": "OOMD",
    "kernel-oom": "KERNEL-OOM",
    "killed": "KILLED",
    "restarted": "restarted",
    "failed": "FAILED",
}


def result_text(report: dict[str, Any]) -> str:
    """Return the one-line result of a report, saying so when the run stopped early."""
    checked = any(run["expectations"] for run in report["runs"])
    if not checked:
        result = "no expectation to check, only findings"
    else:
        result = "all expectations held" if report["passed"] else "an expectation FAILED"
    if not report.get("complete", True):
        result += f" in the {len(report['runs'])} strategies that ran before the run stopped"
    return result


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: Sequence[tuple[str, ...]]


def mib(size: float) -> str:
    return f"{size / (1 << 20):.0f} MiB"


def outcome_cell(service: dict[str, Any]) -> str:
    """Return a service's outcome as the terminal matrix prints it, e.g. 'OOMD×2 (+1 restarts)'."""
    outcome = service["outcome"]
    text = OUTCOME_LABELS.get(outcome, outcome)
    if outcome == "oomd" and service["oomd_kills"] > 1:
        text += f"×{service['oomd_kills']}"
    if service["restarts"] and outcome != "restarted":
        text += f" (+{service['restarts']} restarts)"
    return text


def verdict_matrix(report: dict[str, Any]) -> Table:
    """Return services × strategies. A cell also names the expectation on it and its status."""
    runs = report["runs"]
    names = [service["name"] for service in runs[0]["services"]] if runs else []
    columns = []
    for run in runs:
        services = {service["name"]: service for service in run["services"]}
        expected = {item["unit"]: item for item in run["expectations"]}
        columns.append([_matrix_cell(services.get(name), expected) for name in names])
    rows = [(name, *(column[index] for column in columns)) for index, name in enumerate(names)]
    return Table(("service", *(run["strategy"] for run in runs)), rows)


def _matrix_cell(service: dict[str, Any] | None, expected: dict[str, dict[str, Any]]) -> str:
    if service is None:
        return "-"
    cell = outcome_cell(service)
    expectation = expected.get(service["unit"])
    if expectation:
        cell += f" (expected {expectation['expected']}: {expectation['status'].upper()})"
    return cell


def expectation_table(report: dict[str, Any]) -> Table:
    rows = [
        (run["strategy"], item["unit"], item["expected"], item["status"].upper(), item["reason"])
        for run in report["runs"]
        for item in run["expectations"]
    ]
    return Table(("strategy", "unit", "expected", "status", "reason"), rows)


def pressure_table(report: dict[str, Any]) -> Table:
    """Return the peak full avg10 of each watched cgroup against oomd's limit and duration."""
    rows = [
        (
            run["strategy"],
            item["cgroup"],
            f"{item['peak_full_avg10']:.2f} %",
            f"{item['limit']:g} %",
            "-" if item["peak_t"] is None else f"{item['peak_t']:.0f} s",
            f"{item['seconds_above']:g} s",
            f"{item['longest_above']:g} s of {item['duration']:g} s",
            "met" if item["condition_met"] else "not met",
        )
        for run in report["runs"]
        for item in run["pressure"]
    ]
    header = ("strategy", "watched cgroup", "peak full avg10", "oomd limit", "peak at",
              "time above", "longest above", "oomd condition")  # fmt: skip
    return Table(header, rows)


def kill_table(report: dict[str, Any]) -> Table:
    """Return each systemd-oomd kill notice with its journal line."""
    rows = [
        (
            run["strategy"],
            kill["cgroup"],
            kill["watched"] or "-",
            "-" if kill["pressure"] is None else f"{kill['pressure']:g} % > {kill['limit']:g} %",
            kill["line"],
        )
        for run in report["runs"]
        for kill in run["kills"]
    ]
    return Table(("strategy", "killed cgroup", "watched cgroup", "pressure", "journal line"), rows)


def finding_table(report: dict[str, Any]) -> Table:
    rows = [
        (run["strategy"], item["unit"], item["expected"] or "-", item["observed"] or "-", item["note"])
        for run in report["runs"]
        for item in run["findings"]
    ]
    return Table(("strategy", "unit", "expected", "observed", "note"), rows)


def headroom_table(recorded: RecordedRun) -> Table:
    """Return, per cgroup with MemoryHigh or MemoryMax, its peak memory and the least headroom.

    Headroom is the limit minus memory.current at the sample closest to the limit. A negative
    value means that the cgroup went above its MemoryHigh, where the kernel throttles and reclaims.
    """
    rows: list[tuple[str, ...]] = []
    for run in recorded.report["runs"]:
        samples = recorded.record(run["strategy"]).samples
        rows.extend((run["strategy"], *row) for row in _headroom_rows(samples))
    header = ("strategy", "cgroup", "peak memory", "peak at", "MemoryHigh", "least headroom to high",
              "MemoryMax", "least headroom to max")  # fmt: skip
    return Table(header, rows)


def _headroom_rows(samples: Sequence[Sample]) -> list[tuple[str, ...]]:
    limited = sorted({
        path for sample in samples for path, reading in sample.cgroups.items()
        if reading.memory_high is not None or reading.memory_max is not None
    })  # fmt: skip
    return [_headroom_row(samples, path) for path in limited]


def _headroom_row(samples: Sequence[Sample], path: str) -> tuple[str, ...]:
    readings = [(sample.t, sample.cgroups[path]) for sample in samples if path in sample.cgroups]
    peak_t, peak = max(readings, key=lambda item: item[1].memory_current)
    high = [r.memory_high - r.memory_current for _, r in readings if r.memory_high is not None]
    top = [r.memory_max - r.memory_current for _, r in readings if r.memory_max is not None]
    return (
        path,
        mib(peak.memory_current),
        f"{peak_t:.0f} s",
        mib(peak.memory_high) if peak.memory_high is not None else "-",
        mib(min(high)) if high else "-",
        mib(peak.memory_max) if peak.memory_max is not None else "-",
        mib(min(top)) if top else "-",
    )


def pressure_above(cgroup: str | None, pressures: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the report's pressure entries of watched cgroups that contain cgroup, itself included."""
    if cgroup is None:
        return []
    return [
        item for item in pressures
        if cgroup == item["cgroup"] or cgroup.startswith(item["cgroup"].rstrip("/") + "/")
    ]  # fmt: skip


def describe_peak(item: dict[str, Any]) -> str:
    """Return one pressure entry as a sentence, e.g. '.../app.slice peaked at 97.12 % full avg10…'."""
    return (
        f"{item['cgroup']} peaked at {item['peak_full_avg10']:.2f} % full avg10 (oomd limit "
        f"{item['limit']:g} %), longest above {item['longest_above']:g} s of {item['duration']:g} s"
    )
