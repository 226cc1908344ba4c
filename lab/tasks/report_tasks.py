"""report.*: read a run's results folder, compare two runs, write alerting rules for a slice."""

from __future__ import annotations

from pathlib import Path

from invoke import task
from invoke.context import Context

from lab.report.alerts import SliceLimits, render_rules, slice_cgroup
from lab.report.compare import render_comparison
from lab.report.markdown import render_summary
from lab.report.results import write_text_atomic
from lab.report.run_folder import find_run, load_run, read_report
from lab.sizes import parse_size
from lab.tasks.cli import reports_errors

RUN_HELP = "a results folder: a path, or a folder name under results/"


# NOTE: invoke requires every positional argument, so the optional run is a flag: --run NAME.
@task(help={"run": f"{RUN_HELP} (default: the latest run)"})
@reports_errors
def show(c: Context, run: str | None = None) -> None:
    """Print the summary of a run (the latest by default) as Markdown."""
    print(render_summary(load_run(find_run(run))), end="")


@task(help={"before": RUN_HELP, "after": RUN_HELP})
@reports_errors
def compare(c: Context, before: str, after: str) -> None:
    """Print per service the outcome change between two runs, and their peak pressures."""
    print(render_comparison(read_report(find_run(before)), read_report(find_run(after))), end="")


@task(help={
    "memory_high": "the slice's MemoryHigh, e.g. 8G; the warning fires at 7/8 of it",
    "memory_max": "the slice's MemoryMax, e.g. 10G; the critical alert fires at 9/10 of it",
    "slice_": "the user manager's slice (default container.slice), or a cgroup path starting with /",
    "uid": "the user whose manager runs the slice (default 1000)",
    "output": "write the rule file here instead of printing it",
})  # fmt: skip
@reports_errors
def alerts(c: Context, memory_high: str, memory_max: str, slice_: str = "container.slice", uid: int = 1000,
           output: str | None = None) -> None:  # fmt: skip
    """Write Prometheus alerting rules on cAdvisor's metrics for a slice's memory and pressure."""
    limits = SliceLimits(
        cgroup=slice_cgroup(slice_, uid),
        memory_high=parse_size(memory_high, what="--memory-high"),
        memory_max=parse_size(memory_max, what="--memory-max"),
    )
    rules = render_rules(limits)
    if output is None:
        print(rules, end="")
        return
    write_text_atomic(Path(output), rules)
    print(f"wrote {output}")
