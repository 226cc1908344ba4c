"""Run scenarios several times on the running lab and count how often each verdict held.

Loads are designed with margin, so a verdict that holds only some of the time is a finding
about the load, not noise to retry away. Start a lab first (`./slicelab lab.up`), then:

    .venv/bin/python bench/verdict_repeat.py [--repeat 3] SCENARIO[:STRATEGY,...]...

For each scenario and strategy it prints in how many runs oomd's condition was met, and how
often each unit was killed. For each expected unit it prints how many runs held the
expectation, with the observed outcomes. Last, each kill's latency against the policy's
floor (kill_latency.py).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.kill_latency import report_run
from lab import lifecycle
from lab.log import setup_logging
from lab.scenarios import find_scenario, run_scenario


def _quiet(_: str) -> None:
    """Drop the live progress lines, so the figures stay readable."""


def parse_target(text: str) -> tuple[str, list[str]]:
    name, _, strategies = text.partition(":")
    return name, [s for s in strategies.split(",") if s]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("targets", nargs="+", metavar="SCENARIO[:STRATEGY,...]")
    args = parser.parse_args()
    setup_logging()
    lab = lifecycle.attach()
    for target in args.targets:
        name, strategies = parse_target(target)
        statuses: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
        outcomes: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
        pressure_met: Counter[str] = Counter()
        killed: dict[str, Counter[str]] = defaultdict(Counter)
        for attempt in range(1, args.repeat + 1):
            print(f"── {name} run {attempt}/{args.repeat}", flush=True)
            folder, report = run_scenario(lab, find_scenario(name), strategies, progress=_quiet)
            for run in report["runs"]:
                observed = {s["name"]: s["outcome"] for s in run["services"]}
                pressure_met[run["strategy"]] += any(p["condition_met"] for p in run["pressure"])
                killed[run["strategy"]].update(
                    f"{name} ({outcome})" for name, outcome in observed.items()
                    if outcome in ("oomd", "kernel-oom")
                )  # fmt: skip
                for result in run["expectations"]:
                    key = (run["strategy"], result["unit"])
                    statuses[key][result["status"]] += 1
                    unit = result["unit"].removesuffix(".service")
                    outcomes[key][observed.get(unit, observed.get(result["unit"], "absent"))] += 1
            report_run(folder)
        # Findings have no expectation to hold, so what they show is how often each unit died.
        for strategy, met in sorted(pressure_met.items()):
            deaths = ", ".join(f"{unit} ×{n}" for unit, n in killed[strategy].most_common()) or "none"
            print(f"{name}/{strategy}: oomd's condition met in {met}/{args.repeat} runs; killed: {deaths}")
        for (strategy, unit), counts in sorted(statuses.items()):
            passed = counts.get("pass", 0)
            seen = ", ".join(f"{outcome} ×{n}" for outcome, n in outcomes[(strategy, unit)].items())
            print(f"{name}/{strategy}: {unit} passed {passed}/{args.repeat} (observed: {seen}; "
                  f"statuses: {dict(counts)})")  # fmt: skip


if __name__ == "__main__":
    main()
