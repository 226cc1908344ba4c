"""Find scenario files and run them against the lab, writing the results folder."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from lab import lifecycle
from lab.errors import BadInput, LabError
from lab.paths import REPO
from lab.report import json_report
from lab.report.outputs import write_all
from lab.report.results import new_run_folder, write_text_atomic
from lab.report.terminal import render_matrix
from lab.runner import StrategyRun, run_strategy
from lab.scenario import Scenario, load_scenario

log = logging.getLogger(__name__)

SCENARIOS_DIR = REPO / "scenarios"


def scenario_paths() -> list[Path]:
    return sorted(SCENARIOS_DIR.glob("*.yaml"))


def find_scenario(name: str) -> Path:
    """Resolve a scenario name (scenarios/NAME.yaml) or a path to a YAML file."""
    path = Path(name)
    if path.suffix in (".yaml", ".yml") and path.exists():
        return path
    candidate = SCENARIOS_DIR / f"{name}.yaml"
    if candidate.exists():
        return candidate
    known = ", ".join(p.stem for p in scenario_paths())
    raise BadInput(f"unknown scenario: {name!r}", hint=f"use one of: {known}, or a path to a YAML file")


def select_strategies(scenario: Scenario, names: list[str]) -> Scenario:
    """Keep only the named strategies (all of the scenario's when names is empty)."""
    if not names:
        return scenario
    known = {s.name: s for s in scenario.strategies}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise BadInput(
            f"scenario {scenario.name} has no strategy {', '.join(unknown)}",
            hint=f"its strategies: {', '.join(known)}",
        )
    return dataclasses.replace(scenario, strategies=tuple(known[name] for name in names))


def check_policy(lab: lifecycle.Lab, scenario: Scenario) -> None:
    if lab.record.policy != str(scenario.policy):
        raise LabError(
            f"the running lab uses policy {lab.record.policy}, "
            f"scenario {scenario.name} needs {scenario.policy}",
            hint=f"`./slicelab lab.down`, then `./slicelab lab.up --policy {scenario.policy}` and run again",
        )


def run_scenario(
    lab: lifecycle.Lab, path: Path, strategies: list[str], progress: Callable[[str], None] = print
) -> tuple[Path, dict[str, Any]]:
    """Run every selected strategy of the scenario at path; return the results folder and report."""
    scenario = select_strategies(load_scenario(path), strategies)
    check_policy(lab, scenario)
    scaled = scenario.scaled(lab.record.memory)
    started = datetime.now()
    folder = new_run_folder(scenario.name, started)
    log.info("Scenario %s: %d strategies, results in %s", scenario.name, len(scaled.strategies), folder)
    runs: list[StrategyRun] = []
    try:
        _run_strategies(lab, scaled, folder, runs, started, progress)
    except BaseException:
        if not any(folder.iterdir()):
            folder.rmdir()  # an interrupted first strategy leaves nothing worth keeping
        elif len(runs) < len(scaled.strategies):
            log.error("Scenario %s stopped during strategy %s; %s keeps the %d strategies that ran",
                      scenario.name, scaled.strategies[len(runs)].name, folder, len(runs))  # fmt: skip
        raise
    report = json_report.build_report(lab, scaled, runs, started)
    write_all(folder, report)
    progress(render_matrix(report))
    return folder, report


def _run_strategies(lab: lifecycle.Lab, scaled: Scenario, folder: Path, runs: list[StrategyRun],
                    started: datetime, progress: Callable[[str], None]) -> None:  # fmt: skip
    for strategy in scaled.strategies:
        progress(f"── {scaled.name} under strategy {strategy.name}: {strategy.description}")
        run = run_strategy(lab, scaled, strategy, progress)
        runs.append(run)
        write_text_atomic(folder / f"timeline-{strategy.name}.jsonl", run.timeline)
        write_text_atomic(folder / f"journal-{strategy.name}.txt", "\n".join(run.journal) + "\n")
        report = json_report.build_report(lab, scaled, runs, started)
        write_text_atomic(folder / "report.json", json_report.dumps(report))
