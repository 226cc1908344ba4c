"""Run a scenario: per strategy, place the services, drive the phases, gather the evidence.

Each strategy run starts from the lab's default state (quadlets in app.slice, every service
active), applies the strategy with the migration tool, runs the phases while the sampler
records, decides every unit's outcome from the evidence, then restores the default state.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from lab.lifecycle import Lab
from lab.loads import Started, install_runtime, start_loads, stop_loads
from lab.machine import Machine
from lab.observe import collect
from lab.observe.journal import OomdKill, parse_oomd_kills
from lab.observe.outcome import UnitOutcome, decide_outcomes
from lab.observe.timeline import PressureSummary, WatchedCgroup, measure_pressure
from lab.oomd import read_watched
from lab.placement import place_services, restore_default
from lab.scenario import Scenario
from lab.services import service_names, unit_name
from lab.sizes import systemd_size
from lab.startup import wait_for_services
from lab.strategy import Size, Strategy
from lab.verdict import ExpectationResult, FindingRecord, check_expectations, record_findings

log = logging.getLogger(__name__)

PROGRESS_SECONDS = 5.0
USER_SLICE = "user-1000.slice"


@dataclass
class PhaseWindow:
    name: str
    start: float
    end: float


@dataclass
class StrategyRun:
    """Everything one strategy's run produced: timeline, pressure, outcomes, verdicts."""

    strategy: Strategy
    swap: int
    watched: list[WatchedCgroup]
    phases: list[PhaseWindow]
    timeline: str
    pressures: list[PressureSummary]
    outcomes: dict[str, UnitOutcome]
    kills: list[OomdKill]
    expectations: list[ExpectationResult]
    findings: list[FindingRecord]
    seconds: float
    journal: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[ExpectationResult]:
        return [result for result in self.expectations if result.status == "fail"]


Progress = Callable[[str], None]


def run_strategy(lab: Lab, scenario: Scenario, strategy: Strategy, progress: Progress) -> StrategyRun:
    """Run scenario (already scaled) under strategy and return the evidence and verdicts."""
    machine = lab.machine
    started = time.monotonic()
    swap = (strategy.swap or scenario.machine.swap).lab
    units = [unit_name(name) for name in service_names()]
    try:
        place_services(lab, strategy)
        set_swap(machine, swap)
        set_user_memory_high(machine, scenario.machine.user_memory_high)
        install_runtime(machine)
        wait_for_services(machine)
        watched = [WatchedCgroup(w.path, w.limit, w.duration) for w in read_watched(machine)]
        baseline = collect.Baseline(machine, units)
        collect.start_sampler(machine)
        phases, load_units = _run_phases(machine, scenario, strategy, watched, progress,
                                         baseline.started_at)
        time.sleep(2.0)  # one more sample after the loads stopped
        text, samples = collect.read_timeline(machine)
        observations = collect.collect(machine, units, baseline, samples, load_units)
    finally:
        collect.stop_sampler(machine)
        restore_default(lab, strategy)
        set_swap(machine, None)
        set_user_memory_high(machine, None)
    pressures = [measure_pressure(samples, item) for item in watched]
    outcomes = decide_outcomes(observations)
    return StrategyRun(
        strategy=strategy, swap=swap, watched=watched, phases=phases, timeline=text,
        pressures=pressures, outcomes=outcomes, kills=parse_oomd_kills(observations.journal),
        expectations=check_expectations(scenario.expectations.get(strategy.name, ()), outcomes, pressures),
        findings=record_findings(scenario.findings.get(strategy.name, ()), outcomes, pressures),
        seconds=time.monotonic() - started, journal=list(observations.journal),
    )  # fmt: skip


def set_swap(machine: Machine, swap: int | None) -> None:
    """Cap the swap the user's processes may use (None lifts the cap again)."""
    if swap is None:
        value = "infinity"
    elif swap == 0:
        value = "0"
    else:
        value = systemd_size(swap)
    machine.exec(["systemctl", "set-property", "--runtime", USER_SLICE, f"MemorySwapMax={value}"])


def set_user_memory_high(machine: Machine, size: Size | None) -> None:
    """Throttle the users' processes above size (None lifts the throttle again)."""
    value = "infinity" if size is None else systemd_size(size.lab)
    machine.exec(["systemctl", "set-property", "--runtime", "user.slice", f"MemoryHigh={value}"])


def _run_phases(
    machine: Machine,
    scenario: Scenario,
    strategy: Strategy,
    watched: list[WatchedCgroup],
    progress: Progress,
    since: str,
) -> tuple[list[PhaseWindow], dict[str, dict[str, str]]]:
    """Run every phase; return the phase windows and the load units' state before they stopped."""
    windows: list[PhaseWindow] = []
    load_units: dict[str, dict[str, str]] = {}
    clock = time.monotonic()
    for phase in scenario.phases:
        started: list[Started] = []
        try:
            started, began = start_loads(machine, phase.loads, phase.duration)
            start = began - clock
            _watch_phase(machine, f"{strategy.name}: {phase.name}", phase.duration, watched, progress,
                         since)
            load_units.update(collect.read_units(machine, [u for item in started for u in item.units]))
        finally:
            stop_loads(machine, started)
        windows.append(PhaseWindow(phase.name, start, time.monotonic() - clock))
    return windows, load_units


def _watch_phase(machine: Machine, title: str, duration: float, watched: list[WatchedCgroup],
                 progress: Progress, since: str) -> None:  # fmt: skip
    """Report the phase's progress every few seconds until its duration has passed.

    Each line shows full avg10 of every watched user slice against its limit, and how many
    kills systemd-oomd logged since the run started.
    """
    begin = time.monotonic()
    while (elapsed := time.monotonic() - begin) < duration:
        time.sleep(min(PROGRESS_SECONDS, max(0.0, duration - elapsed)))
        # Reading the guest takes seconds under TCG, so take the phase's time before it.
        phase_seconds = min(time.monotonic() - begin, duration)
        sample = collect.last_sample(machine)
        kills = len(parse_oomd_kills(collect.oomd_lines_since(machine, since)))
        pressures = []
        for item in watched:
            reading = sample.cgroups.get(item.path) if sample else None
            if reading is not None and item.path != "/system.slice":
                name = item.path.rsplit("/", 1)[-1]
                pressures.append(f"{name} {reading.full_avg10:5.1f}%/{item.limit:g}%")
        progress(f"{title} {phase_seconds:4.0f}/{duration:.0f} s  "
                 f"{'  '.join(pressures) or 'no watched user slice'}  oomd kills: {kills}")
