"""report.html: one self-contained page with the summary tables and the plots as inline PNGs.

The page loads nothing: styles are inline and each plot is a base64 data: URL, so the file
can be archived as a CI artifact or mailed and still render offline.
"""

from __future__ import annotations

import base64
from html import escape

from lab.report import facts
from lab.report.plots import build_figures, figure_png
from lab.report.run_folder import RecordedRun

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 1.6em; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0; max-width: 100%; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.5em; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
td.journal { font-family: monospace; font-size: 0.9em; overflow-wrap: anywhere; }
.passed { color: #176117; } .failed { color: #a11; }
.cell-fail { background: #fbe3e3; } .cell-pass { background: #e3f5e3; }
.cell-inconclusive { background: #fff4d6; }
figure { margin: 1em 0; } img { max-width: 100%; border: 1px solid #ddd; }
"""


def render_html(recorded: RecordedRun) -> str:
    """Render the run as an HTML document with its tables and one plot per strategy."""
    report = recorded.report
    result = facts.result_text(report)
    css_class = "passed" if report["passed"] else "failed"
    machine = report["machine"]
    body = [
        f"<h1>slicelab scenario {escape(report['scenario'])}: "
        f"<span class=\"{css_class}\">{result}</span></h1>",
        f"<p>{escape(' '.join(report['description'].split()))}</p>",
        f"<p>Started {escape(report['started'])}, systemd-oomd policy {escape(report['policy'])}; "
        f"the lab's {facts.mib(machine['lab_memory'])} model "
        f"{machine['modelled_memory'] / (1 << 30):g} GiB at scale {machine['scale']:g}.</p>",
        _section("Verdict matrix", facts.verdict_matrix(report), "No service was recorded"),
        _section("Expectations", facts.expectation_table(report), "The scenario sets no expectation"),
        _plots(recorded),
        _section("Memory pressure in watched cgroups", facts.pressure_table(report),
                 "No cgroup was watched by systemd-oomd"),
        _section("Kills by systemd-oomd", facts.kill_table(report),
                 "No kill notice from systemd-oomd in the journal"),
        _section("Headroom to MemoryHigh and MemoryMax", facts.headroom_table(recorded),
                 "No cgroup in the timeline had MemoryHigh or MemoryMax set"),
        _section("Findings", facts.finding_table(report), "The scenario records no finding"),
    ]  # fmt: skip
    title = f"slicelab {escape(report['scenario'])} {escape(report['started'])}"
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>{title}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


def _plots(recorded: RecordedRun) -> str:
    parts = ["<h2>Memory and pressure over time</h2>"]
    runs = {run["strategy"]: run for run in recorded.report["runs"]}
    for strategy, figure in build_figures(recorded).items():
        encoded = base64.b64encode(figure_png(figure)).decode("ascii")
        caption = f"Strategy {strategy}: {runs[strategy]['description']}"
        parts.append(
            f"<figure><img alt=\"{escape(caption)}\" src=\"data:image/png;base64,{encoded}\">"
            f"<figcaption>{escape(caption)}</figcaption></figure>"
        )
    return "\n".join(parts)


def _section(title: str, table: facts.Table, empty: str) -> str:
    if not table.rows:
        return f"<h2>{escape(title)}</h2>\n<p><em>{escape(empty)}.</em></p>"
    return f"<h2>{escape(title)}</h2>\n{render_table(table)}"


def render_table(table: facts.Table) -> str:
    head = "".join(f"<th>{escape(cell)}</th>" for cell in table.header)
    rows = "\n".join(
        "<tr>" + "".join(_cell(name, cell) for name, cell in zip(table.header, row, strict=True)) + "</tr>"
        for row in table.rows
    )
    return f"<table>\n<tr>{head}</tr>\n{rows}\n</table>"


def _cell(column: str, text: str) -> str:
    css_class = _cell_class(column, text)
    attribute = f' class="{css_class}"' if css_class else ""
    return f"<td{attribute}>{escape(text)}</td>"


def _cell_class(column: str, text: str) -> str | None:
    if column == "journal line":
        return "journal"
    for status in ("FAIL", "PASS", "INCONCLUSIVE"):
        if text == status or text.endswith(f": {status})"):
            return f"cell-{status.lower()}"
    return None

