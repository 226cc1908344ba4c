"""report.json: a versioned record of a scenario run, built from the runner's results.

Schema version 1 (every size in bytes, every time in seconds):
  schema: 1, scenario, description, source, started, host {kind, accel},
  machine {modelled_memory, lab_memory, modelled_swap, modelled_user_memory_high, scale}, policy,
  runs: [{strategy, description, swap, seconds, phases [{name, start, end}],
          pressure [{cgroup, limit, duration, peak_full_avg10, peak_t, seconds_above,
                     longest_above, condition_met}],
          kills [{cgroup, watched, pressure, limit, line}],
          services [{name, unit, outcome, oomd_kills, kernel_oom_kills, restarts, cgroup,
                     evidence [{source, subject, text, supports, count}]}],
          expectations [{unit, expected, status, reason}],
          findings [{unit, expected, observed, note}]}],
  passed: true when no expectation failed
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from lab.lifecycle import Lab
from lab.observe.outcome import UnitOutcome
from lab.runner import StrategyRun
from lab.scenario import Scenario
from lab.services import service_names, unit_name

SCHEMA_VERSION = 1


def build_report(lab: Lab, scenario: Scenario, runs: list[StrategyRun], started: datetime) -> dict[str, Any]:
    """Build the report of the strategies that ran; `complete` is false until all of them did."""
    throttle = scenario.machine.user_memory_high
    return {
        "schema": SCHEMA_VERSION,
        "scenario": scenario.name,
        "description": scenario.description.strip(),
        "source": scenario.source,
        "started": started.isoformat(timespec="seconds"),
        "host": {"kind": lab.record.host, "accel": lab.record.accel},
        "machine": {
            "modelled_memory": scenario.machine.memory.modelled,
            "lab_memory": lab.record.memory,
            "modelled_swap": scenario.machine.swap.modelled,
            "modelled_user_memory_high": throttle.modelled if throttle else None,
            "scale": float(scenario.scale),
        },
        "policy": str(scenario.policy),
        "runs": [_run(run) for run in runs],
        "passed": not any(run.failed for run in runs),
        "complete": len(runs) == len(scenario.strategies),
    }


def _run(run: StrategyRun) -> dict[str, Any]:
    return {
        "strategy": run.strategy.name,
        "description": run.strategy.description,
        "swap": run.swap,
        "seconds": round(run.seconds, 1),
        "phases": [{"name": p.name, "start": round(p.start, 1), "end": round(p.end, 1)} for p in run.phases],
        "pressure": [
            {
                "cgroup": p.watched.path,
                "limit": p.watched.limit,
                "duration": p.watched.duration,
                "peak_full_avg10": p.peak_full_avg10,
                "peak_t": p.peak_t,
                "seconds_above": round(p.seconds_above, 1),
                "longest_above": round(p.longest_above, 1),
                "condition_met": p.condition_met,
            }
            for p in run.pressures
        ],
        "kills": [
            {
                "cgroup": k.cgroup,
                "watched": k.watched,
                "pressure": k.pressure,
                "limit": k.limit,
                "line": k.line,
            }
            for k in run.kills
        ],
        "services": [_service(name, run.outcomes.get(unit_name(name))) for name in service_names()]
        + [
            _service(unit, outcome)
            for unit, outcome in run.outcomes.items()
            if unit not in {unit_name(name) for name in service_names()}
        ],
        "expectations": [
            {
                "unit": r.expectation.unit,
                "expected": str(r.expectation.outcome),
                "status": str(r.status),
                "reason": r.reason,
            }
            for r in run.expectations
        ],
        "findings": [
            {
                "unit": f.finding.unit,
                "expected": str(f.finding.outcome) if f.finding.outcome else None,
                "observed": str(f.observed.outcome) if f.observed else None,
                "note": f.finding.note,
            }
            for f in run.findings
        ],
    }


def _service(name: str, outcome: UnitOutcome | None) -> dict[str, Any]:
    unit = name if name.endswith((".service", ".scope")) else unit_name(name)
    if outcome is None:
        return {
            "name": name,
            "unit": unit,
            "outcome": "survived",
            "oomd_kills": 0,
            "kernel_oom_kills": 0,
            "restarts": 0,
            "cgroup": None,
            "evidence": [
                {
                    "source": "absence",
                    "subject": unit,
                    "text": "no source reported a kill, a restart or a failure",
                    "supports": "survived",
                    "count": 0,
                }
            ],
        }
    return {
        "name": name,
        "unit": unit,
        "outcome": str(outcome.outcome),
        "oomd_kills": outcome.oomd_kills,
        "kernel_oom_kills": outcome.kernel_oom_kills,
        "restarts": outcome.restarts,
        "cgroup": outcome.control_group,
        "evidence": [
            {
                "source": str(e.source),
                "subject": e.subject,
                "text": e.text,
                "supports": str(e.supports),
                "count": e.count,
            }
            for e in outcome.evidence
        ],
    }


def dumps(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2) + "\n"
