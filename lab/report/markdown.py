"""summary.md: the verdict matrix and the key figures of a run, as GitHub-flavoured Markdown."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lab.report import facts
from lab.report.run_folder import RecordedRun


def render_summary(recorded: RecordedRun) -> str:
    """Render the run's summary: result, verdict matrix, expectations, pressure, kills, headroom."""
    report = recorded.report
    sections = [
        _heading(report),
        _section("Verdict matrix", facts.verdict_matrix(report), "No service was recorded"),
        _section("Expectations", facts.expectation_table(report), "The scenario sets no expectation"),
        _section("Memory pressure in watched cgroups", facts.pressure_table(report),
                 "No cgroup was watched by systemd-oomd"),
        _section("Kills by systemd-oomd", facts.kill_table(report),
                 "No kill notice from systemd-oomd in the journal"),
        _section("Headroom to MemoryHigh and MemoryMax", facts.headroom_table(recorded),
                 "No cgroup in the timeline had MemoryHigh or MemoryMax set"),
        _section("Findings", facts.finding_table(report), "The scenario records no finding"),
    ]  # fmt: skip
    return "\n\n".join(sections) + "\n"


def _heading(report: dict[str, Any]) -> str:
    machine = report["machine"]
    result = facts.result_text(report)
    description = " ".join(str(report["description"]).split())
    return (
        f"# slicelab scenario {report['scenario']}: {result}\n\n"
        f"{_escape(description)}\n\n"
        f"Started {report['started']}, systemd-oomd policy {report['policy']}; the lab's "
        f"{facts.mib(machine['lab_memory'])} model {machine['modelled_memory'] / (1 << 30):g} GiB "
        f"at scale {machine['scale']:g}."
    )


def _section(title: str, table: facts.Table, empty: str) -> str:
    if not table.rows:
        return f"## {title}\n\n_{empty}._"
    return f"## {title}\n\n{render_table(table)}"


def render_table(table: facts.Table) -> str:
    lines = [_row(table.header), "|" + "---|" * len(table.header)]
    lines.extend(_row(row) for row in table.rows)
    return "\n".join(lines)


def _row(cells: tuple[str, ...]) -> str:
    return "| " + " | ".join(_escape(cell) for cell in cells) + " |"


def _escape(text: str) -> str:
    """Escape what would break a table cell or start markup: pipes, backslashes, newlines."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def append_step_summary(text: str, environ: Mapping[str, str] | None = None) -> Path | None:
    """Append text to the file named by $GITHUB_STEP_SUMMARY and return its path (None when unset)."""
    target = (os.environ if environ is None else environ).get("GITHUB_STEP_SUMMARY")
    if not target:
        return None
    path = Path(target)
    with path.open("a") as summary:
        summary.write(text if text.endswith("\n") else text + "\n")
    return path
