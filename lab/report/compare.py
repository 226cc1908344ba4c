"""Compare two runs: each service's outcome change and each watched cgroup's peak pressure.

Strategies pair by name. Two runs with one strategy each pair even when the names differ, which
is the before/after case: the same scenario run under `none` and then under `container-slice`.
"""

from __future__ import annotations

from typing import Any

from lab.errors import BadInput
from lab.report.facts import Table, outcome_cell
from lab.report.markdown import render_table


def pair_runs(before: dict[str, Any], after: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Return (before, after) strategy runs to compare, or raise BadInput when no strategies pair."""
    after_runs = {run["strategy"]: run for run in after["runs"]}
    pairs = [(run, after_runs[run["strategy"]]) for run in before["runs"] if run["strategy"] in after_runs]
    if not pairs and len(before["runs"]) == 1 and len(after["runs"]) == 1:
        pairs = [(before["runs"][0], after["runs"][0])]
    if not pairs:
        names = ", ".join(run["strategy"] for run in before["runs"])
        other = ", ".join(run["strategy"] for run in after["runs"])
        raise BadInput(f"the runs share no strategy: [{names}] and [{other}]",
                       hint="compare runs of one strategy each, or runs that share a strategy")  # fmt: skip
    return pairs


def outcome_changes(before: dict[str, Any], after: dict[str, Any]) -> Table:
    """Return per service its outcome in both runs and whether it changed."""
    rows = []
    for first, second in pair_runs(before, after):
        earlier = {service["name"]: service for service in first["services"]}
        later = {service["name"]: service for service in second["services"]}
        for name in [*earlier, *(name for name in later if name not in earlier)]:
            old = outcome_cell(earlier[name]) if name in earlier else "-"
            new = outcome_cell(later[name]) if name in later else "-"
            change = "same" if old == new else f"{old} → {new}"
            rows.append((_strategies(first, second), name, old, new, change))
    return Table(("strategies", "service", "before", "after", "change"), rows)


def pressure_changes(before: dict[str, Any], after: dict[str, Any]) -> Table:
    """Return per watched cgroup the peak full avg10 in both runs and the difference."""
    rows = []
    for first, second in pair_runs(before, after):
        earlier = {item["cgroup"]: item for item in first["pressure"]}
        later = {item["cgroup"]: item for item in second["pressure"]}
        for cgroup in [*earlier, *(path for path in later if path not in earlier)]:
            old, new = earlier.get(cgroup), later.get(cgroup)
            difference = "-" if old is None or new is None else \
                f"{new['peak_full_avg10'] - old['peak_full_avg10']:+.2f} points"  # fmt: skip
            rows.append((_strategies(first, second), cgroup, _peak(old), _peak(new), difference))
    return Table(("strategies", "watched cgroup", "before", "after", "change"), rows)


def _strategies(first: dict[str, Any], second: dict[str, Any]) -> str:
    if first["strategy"] == second["strategy"]:
        return first["strategy"]
    return f"{first['strategy']} → {second['strategy']}"


def _peak(item: dict[str, Any] | None) -> str:
    if item is None:
        return "not watched"
    mark = "met" if item["condition_met"] else "not met"
    return f"{item['peak_full_avg10']:.2f} % / {item['limit']:g} % ({mark})"


def render_comparison(before: dict[str, Any], after: dict[str, Any]) -> str:
    """Render both tables as Markdown, under a line naming the two runs."""
    title = (
        f"# {before['scenario']} started {before['started']} → "
        f"{after['scenario']} started {after['started']}"
    )
    return "\n\n".join([
        title,
        "## Outcome per service",
        render_table(outcome_changes(before, after)),
        "## Peak memory pressure",
        render_table(pressure_changes(before, after)),
    ]) + "\n"  # fmt: skip
