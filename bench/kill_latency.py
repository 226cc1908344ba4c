"""Time from the start of the pressure phase to each oomd kill, against the policy's floor.

The floor is what the policy allows at best: full avg10 is an average over 10 s, so under a
full stall it passes a limit of L % after 10·ln(1/(1 − L/100)) seconds; oomd then needs the
pressure to stay above the limit for DurationSec and polls once a second. The ratio
measured / floor is printed per kill (goal: ≤ 1.3), with the sampler's CPU overhead.

Each kill's time is split in three, from the watched cgroup's own samples:
- ramp: the phase began, the loads allocated, and no task stalled yet. It is the scenario's
  and the emulated machine's, not oomd's.
- stall: from the onset of the stall (the first interval that stalled at least half of the
  time) to full avg10 passing the limit for the last time before the kill. A stall below
  100 % makes this longer than the floor's ramp.
- hold: from then to the kill, which the policy sets to DurationSec plus the poll.
The second ratio measures from the onset of the stall, so it shows what oomd and the kernel's
averaging added on their own.

A later kill in the same run is measured from the previous one. When the pressure stayed
above the limit through that kill, oomd's own wait after a kill bounds it: systemd-oomd takes
no action for 15 s after a kill (POST_ACTION_DELAY_USEC in oomd-manager.h), then polls.

Usage: .venv/bin/python bench/kill_latency.py RESULTS_FOLDER...
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

POLL_SECONDS = 1.0
POST_ACTION_DELAY_SECONDS = 15.0
# An interval counts as the stall's onset when all tasks of the cgroup stalled on memory at
# once ("full" pressure) for at least this share of it.
ONSET_SHARE = 0.5


@dataclass(frozen=True)
class Split:
    """Times of the stall's onset, the last crossing of the limit and the kill, on the timeline's clock."""

    onset: float | None
    crossing: float | None
    kill: float


def floor_seconds(limit_percent: float, duration: float) -> float:
    ramp = 10.0 * math.log(1.0 / (1.0 - limit_percent / 100.0))
    return ramp + duration + POLL_SECONDS


def kill_wall_time(line: str) -> float | None:
    stamp = line.split(" ", 1)[0]
    try:
        return datetime.fromisoformat(stamp).timestamp()
    except ValueError:
        return None


def stall_onset(samples: list[tuple[float, dict]], start: float) -> float | None:
    """Return the end of the first interval after start that stalled for ONSET_SHARE of its time."""
    previous = None
    for t, cgroup in samples:
        if previous is not None and t >= start:
            elapsed_us = (t - previous[0]) * 1e6
            if elapsed_us > 0 and (cgroup["full_total"] - previous[1]) / elapsed_us >= ONSET_SHARE:
                return t
        previous = (t, cgroup["full_total"])
    return None


def last_crossing(samples: list[tuple[float, dict]], limit: float, kill: float) -> float | None:
    """Return the first sample of the stretch above the limit that the kill ended."""
    crossing = None
    for t, cgroup in samples:
        if t > kill:
            break
        if cgroup["full_avg10"] <= limit:
            crossing = None
        elif crossing is None:
            crossing = t
    return crossing


def split_kill(timeline: list[dict], watched: str, limit: float, start: float, kill: float) -> Split:
    """Split one kill's latency, measured from start: the phase's start or the previous kill.

    All times are on the timeline's clock (its `t`).
    """
    samples = [(row["t"], row["cgroups"][watched]) for row in timeline if watched in row["cgroups"]]
    onset = stall_onset(samples, start)
    if onset is None or onset > kill:
        onset = None
    return Split(onset=onset, crossing=last_crossing(samples, limit, kill), kill=kill)


def victim_name(cgroup: str) -> str:
    """Return the unit a killed cgroup belongs to: jellyfin.service, not its payload leaf."""
    units = [part for part in cgroup.split("/") if part.endswith((".service", ".scope"))]
    return units[-1] if units else cgroup.rsplit("/", 1)[-1]


def describe_first(split: Split, start: float, floor: float, origin: str = "the phase began") -> str:
    """Describe a run's first kill against the policy's floor, from origin and from the stall."""
    text = f"killed {split.kill - start:.1f} s after {origin}; floor {floor:.1f} s; " \
           f"ratio {(split.kill - start) / floor:.2f}"  # fmt: skip
    if split.onset is None or split.crossing is None:
        return text + " (no stall onset in the samples)"
    return (f"{text}; ramp {split.onset - start:.1f} s, stall {split.crossing - split.onset:.1f} s, "
            f"hold {split.kill - split.crossing:.1f} s; from the stall's onset "
            f"{split.kill - split.onset:.1f} s, ratio {(split.kill - split.onset) / floor:.2f}")  # fmt: skip


def describe_next(split: Split, previous: float, floor: float) -> str:
    """Describe a later kill, measured from the previous kill of the run."""
    if split.crossing is not None and split.crossing <= previous:
        wait = POST_ACTION_DELAY_SECONDS + POLL_SECONDS
        seconds = split.kill - previous
        return (f"killed {seconds:.1f} s after the previous kill, with the pressure above the limit "
                f"all along; floor {wait:.1f} s; ratio {seconds / wait:.2f}")  # fmt: skip
    return describe_first(split, previous, floor, origin="the previous kill")


def report_run(folder: Path) -> None:
    report = json.loads((folder / "report.json").read_text())
    for run in report["runs"]:
        path = folder / f"timeline-{run['strategy']}.jsonl"
        timeline = [json.loads(line) for line in path.open()] if path.exists() else []
        if not timeline:
            continue
        first, last = timeline[0], timeline[-1]
        pressure_phase = next((p for p in run["phases"] if p["end"] > p["start"]), None)
        start = pressure_phase["start"] if pressure_phase else 0.0
        previous: float | None = None
        for kill in run["kills"]:
            when = kill_wall_time(kill["line"])
            if when is None or kill["limit"] is None:
                continue
            watched = next((p for p in run["pressure"] if p["cgroup"] == kill["watched"]), None)
            floor = floor_seconds(kill["limit"], watched["duration"] if watched else 20.0)
            since = start if previous is None else previous
            split = split_kill(timeline, kill["watched"], kill["limit"], since, when - first["wall"])
            if previous is None:
                text = describe_first(split, start, floor)
            else:
                text = describe_next(split, previous, floor)
            print(f"{report['scenario']}/{run['strategy']}: {victim_name(kill['cgroup'])} {text}")
            previous = split.kill
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
