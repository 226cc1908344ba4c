"""The verdict matrix for the terminal: services × strategies, who killed what, and when."""

from __future__ import annotations

from typing import Any

from lab.report.facts import outcome_cell, result_text


def render_matrix(report: dict[str, Any]) -> str:
    runs = report["runs"]
    names = [s["name"] for s in runs[0]["services"]] if runs else []
    width = max((len(n) for n in names), default=10) + 2
    columns = [run["strategy"] for run in runs]
    by_run = [{s["name"]: s for s in run["services"]} for run in runs]
    rows = {name: [outcome_cell(services[name]) if name in services else "-" for services in by_run]
            for name in names}  # fmt: skip
    # A column is as wide as its widest cell, e.g. 'OOMD (+1 restarts)', so the next stays aligned.
    colw = max(16, *(len(text) + 2 for text in [*columns, *(c for row in rows.values() for c in row)]))
    machine = report["machine"]
    lines = [
        f"scenario {report['scenario']} (policy {report['policy']}, lab "
        f"{machine['lab_memory'] >> 20} MiB models {machine['modelled_memory'] >> 30} GiB)",
        "".ljust(width) + "".join(c.ljust(colw) for c in columns),
    ]
    for name, cells in rows.items():
        lines.append(name.ljust(width) + "".join(c.ljust(colw) for c in cells))
    lines.append("")
    for run in runs:
        lines.append(f"[{run['strategy']}] pressure (peak full avg10, longest above limit):")
        for p in run["pressure"]:
            mark = "MET" if p["condition_met"] else "not met"
            lines.append(
                f"    {p['cgroup']}: {p['peak_full_avg10']:.1f}% / {p['limit']:g}%, "
                f"{p['longest_above']:.0f} s of {p['duration']:g} s ({mark})"
            )
        for kill in run["kills"]:
            lines.append(f"    killed: {kill['line']}")
        for result in run["expectations"]:
            lines.append(f"    {result['status'].upper():<12} {result['unit']}: {result['reason']}")
        for finding in run["findings"]:
            lines.append(f"    FINDING      {finding['unit']}: {_finding_text(finding)} ({finding['note']})")
    lines.append("RESULT: " + result_text(report))
    return "\n".join(lines)


def _finding_text(finding: dict[str, Any]) -> str:
    """Return what was observed, and whether the scenario anticipated it."""
    expected, observed = finding["expected"], finding["observed"] or "nothing"
    if expected is None:
        return f"observed {observed}"
    if expected == observed:
        return f"observed {observed}, as anticipated"
    return f"observed {observed}, NOT the anticipated {expected}"
