"""Time from the start of the pressure phase to each oomd kill, against the policy's floor.

The floor is what the policy allows at best: full avg10 is an average over 10 s, so under a
full stall it passes a limit of L % after 10·ln(1/(1 − L/100)) seconds; oomd then needs the
pressure to stay above the limit for DurationSec and polls once a second. The ratio
measured / floor is printed per kill (goal: ≤ 1.3), with the sampler's CPU overhead.

Usage: .venv/bin/python bench/kill_latency.py RESULTS_FOLDER...
"""

from __future__ import annotations

import json
import math
import sys
from datetime import datetime
from pathlib import Path

POLL_SECONDS = 1.0


def floor_seconds(limit_percent: float, duration: float) -> float:
    ramp = 10.0 * math.log(1.0 / (1.0 - limit_percent / 100.0))
    return ramp + duration + POLL_SECONDS


def kill_wall_time(line: str) -> float | None:
    stamp = line.split(" ", 1)[0]
    try:
        return datetime.fromisoformat(stamp).timestamp()
    except ValueError:
        return None


def report_run(folder: Path) -> None:
    report = json.loads((folder / "report.json").read_text())
    for run in report["runs"]:
        timeline = [json.loads(line) for line in (folder / f"timeline-{run['strategy']}.jsonl").open()]
        if not timeline:
            continue
        first, last = timeline[0], timeline[-1]
        pressure_phase = next((p for p in run["phases"] if p["end"] > p["start"]), None)
        phase_start_wall = first["wall"] + (pressure_phase["start"] if pressure_phase else 0.0)
        for kill in run["kills"]:
            when = kill_wall_time(kill["line"])
            if when is None or kill["limit"] is None:
                continue
            watched = next((p for p in run["pressure"] if p["cgroup"] == kill["watched"]), None)
            duration = watched["duration"] if watched else 20.0
            measured = when - phase_start_wall
            floor = floor_seconds(kill["limit"], duration)
            victim = kill["cgroup"].rsplit("/", 1)[-1]
            print(f"{report['scenario']}/{run['strategy']}: {victim} killed {measured:.1f} s after the "
                  f"phase began; floor {floor:.1f} s; ratio {measured / floor:.2f}")
        cpu = last.get("sampler_cpu")
        if cpu is not None and last["t"] > 0:
            overhead = (cpu - first.get("sampler_cpu", 0.0)) / (last["t"] - first["t"])
            print(f"{report['scenario']}/{run['strategy']}: sampler CPU {100 * overhead:.2f} % of one core "
                  f"over {last['t']:.0f} s at {len(timeline) / max(last['t'], 1):.2f} samples/s")


def main() -> None:
    for name in sys.argv[1:]:
        report_run(Path(name))


if __name__ == "__main__":
    main()
