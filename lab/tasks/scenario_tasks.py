"""scenario.* and demo: run scenarios against the lab and print who was killed, by what."""

from __future__ import annotations

from invoke import task
from invoke.context import Context
from invoke.exceptions import Exit

from lab import lifecycle
from lab.scenario import load_scenario
from lab.scenarios import find_scenario, run_scenario, scenario_paths, select_strategies
from lab.sizes import parse_size
from lab.tasks.cli import reports_errors
from lab.tasks.lab_tasks import DEFAULT_MEMORY, DEFAULT_SWAP, HELP

DEMO_SCENARIOS = ("incident", "container-growth")


@task
@reports_errors
def list_(c: Context) -> None:
    """List the scenarios in scenarios/ with their strategies and description."""
    for path in scenario_paths():
        scenario = load_scenario(path)
        strategies = ", ".join(s.name for s in scenario.strategies)
        print(f"{scenario.name:<18} [{strategies}]\n    {' '.join(scenario.description.split())}")


@task(
    iterable=["strategy"],
    help={
        "name": "a scenario name from `./slicelab scenario.list`, or a path to a YAML file",
        "strategy": "run only this strategy (repeat for several; default: the scenario's own list)",
        "verbose": HELP["verbose"],
    },
)
@reports_errors
def run(c: Context, name: str, strategy: list[str] | None = None, verbose: bool = False) -> None:
    """Run one scenario on the running lab; exit 1 when an expectation fails."""
    path = find_scenario(name)
    select_strategies(load_scenario(path), strategy or [])  # bad input fails before the lab check
    lab = lifecycle.attach()
    folder, report = run_scenario(lab, path, strategy or [])
    print(f"results: {folder}")
    if not report["passed"]:
        raise Exit(code=1)


@task(help={"host": HELP["host"], "keep": "leave the lab running afterwards", "verbose": HELP["verbose"]})
@reports_errors
def demo(c: Context, host: str | None = None, keep: bool = False, verbose: bool = False) -> None:
    """The main job: incident and container-growth under all four strategies, with verdicts."""
    running = lifecycle.find_running()
    lab = running or lifecycle.up(host, "fedora-42", parse_size(DEFAULT_MEMORY), parse_size(DEFAULT_SWAP))
    failed = False
    try:
        for name in DEMO_SCENARIOS:
            folder, report = run_scenario(lab, find_scenario(name), [])
            print(f"results: {folder}\n")
            failed = failed or not report["passed"]
    finally:
        if running is None and not keep:
            lifecycle.down()
    if failed:
        raise Exit(code=1)
