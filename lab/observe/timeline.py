"""The sampler's timeline and the pressure condition of each watched cgroup.

The sampler writes JSON Lines, one object per sample, with `t` in seconds since the run
started, per-cgroup readings under `cgroups`, and `mem_available`, `swap_total` and
`swap_free` in bytes from /proc/meminfo.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from lab.errors import LabError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CgroupSample:
    """One cgroup's readings: bytes, PSI percentages, `full_total` in µs, counters."""

    memory_current: int
    memory_high: int | None
    memory_max: int | None
    some_avg10: float
    full_avg10: float
    full_total: int
    pgscan: int
    oom_kill: int


@dataclass(frozen=True)
class Sample:
    """One line of the timeline; `cgroups` is keyed by path below the cgroup root."""

    t: float
    cgroups: dict[str, CgroupSample]
    mem_available: int
    swap_total: int
    swap_free: int


@dataclass(frozen=True)
class WatchedCgroup:
    """A cgroup systemd-oomd watches: kill below it when full avg10 stays above `limit` %
    for `duration` seconds."""

    path: str
    limit: float
    duration: float


@dataclass(frozen=True)
class PressureSummary:
    """A watched cgroup's peak pressure and time above its oomd limit during a run.

    Time above the limit is measured between readings that are both above it, the way
    systemd-oomd measures from its first reading above the limit, so a single reading above
    counts as 0 s. `condition_met` is True when one continuous stretch lasted `duration`.
    A stretch ends at a reading at or below the limit or at a sample without this cgroup.
    """

    watched: WatchedCgroup
    samples: int
    peak_full_avg10: float
    peak_t: float | None
    seconds_above: float
    longest_above: float
    condition_met: bool

    def describe(self) -> str:
        """Return one line for reports, e.g. '.../app.slice peaked at 48.20% (limit 80%)…'."""
        watched = self.watched
        return (
            f"{watched.path} peaked at {self.peak_full_avg10:.2f}% full avg10 (limit "
            f"{watched.limit:g}%), longest above {self.longest_above:g} s of "
            f"{watched.duration:g} s needed"
        )


def parse_timeline(text: str, source: str = "timeline") -> list[Sample]:
    """Parse the sampler's JSON Lines, or raise LabError naming `source` and the line.

    A last line without a newline is an unfinished write from a sampler that was stopped.
    Such a line is skipped with a warning if it does not parse.
    """
    lines = text.split("\n")
    samples: list[Sample] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            sample = _sample(json.loads(line))
        except (ValueError, KeyError, TypeError) as error:
            if number == len(lines):
                log.warning("skipped the unfinished last line %d of %s: %s", number, source, error)
                continue
            raise LabError(f"invalid sample in {source} line {number}: {error}") from error
        if samples and sample.t < samples[-1].t:
            raise LabError(
                f"invalid sample in {source} line {number}: t={sample.t} is before the "
                f"previous sample's t={samples[-1].t}"
            )
        samples.append(sample)
    return samples


def _sample(data: dict[str, Any]) -> Sample:
    cgroups = {path: _cgroup_sample(values) for path, values in data["cgroups"].items()}
    return Sample(
        t=float(data["t"]),
        cgroups=cgroups,
        mem_available=int(data["mem_available"]),
        swap_total=int(data["swap_total"]),
        swap_free=int(data["swap_free"]),
    )


def _cgroup_sample(values: dict[str, Any]) -> CgroupSample:
    def limit(name: str) -> int | None:
        value = values[name]
        return None if value is None else int(value)

    return CgroupSample(
        memory_current=int(values["memory_current"]),
        memory_high=limit("memory_high"),
        memory_max=limit("memory_max"),
        some_avg10=float(values["some_avg10"]),
        full_avg10=float(values["full_avg10"]),
        full_total=int(values["full_total"]),
        pgscan=int(values["pgscan"]),
        oom_kill=int(values["oom_kill"]),
    )


def measure_pressure(
    samples: Iterable[Sample],
    watched: WatchedCgroup,
    *,
    start: float | None = None,
    end: float | None = None,
) -> PressureSummary:
    """Measure the watched cgroup's full avg10 against its limit between `start` and `end`.

    NOTE: systemd-oomd also requires reclaim activity before it kills; this measures the
    pressure condition alone.
    """
    readings = [
        (sample.t, sample.cgroups.get(watched.path))
        for sample in samples
        if (start is None or sample.t >= start) and (end is None or sample.t <= end)
    ]
    present = [(t, reading) for t, reading in readings if reading is not None]
    peak_t, peak = max(present, key=lambda item: item[1].full_avg10, default=(None, None))
    stretches = _stretches_above(readings, watched.limit)
    longest = max(stretches, default=0.0)
    return PressureSummary(
        watched=watched,
        samples=len(present),
        peak_full_avg10=peak.full_avg10 if peak else 0.0,
        peak_t=peak_t,
        seconds_above=sum(stretches),
        longest_above=longest,
        condition_met=bool(present) and longest >= watched.duration,
    )


def _stretches_above(
    readings: Sequence[tuple[float, CgroupSample | None]], limit: float
) -> list[float]:
    """Return the length in seconds of each continuous stretch of readings above `limit`."""
    lengths = []
    first: float | None = None
    latest = 0.0
    for t, reading in readings:
        if reading is not None and reading.full_avg10 > limit:
            first = t if first is None else first
            latest = t
            continue
        if first is not None:
            lengths.append(latest - first)
            first = None
    if first is not None:
        lengths.append(latest - first)
    return lengths


def count_oom_kills(samples: Sequence[Sample], cgroup: str) -> int:
    """Count kernel OOM kills in `cgroup` from its `oom_kill` readings across the run.

    The first sample's value is the baseline. A cgroup that appears later, or disappears and
    comes back as a restarted service's does, is a new cgroup whose counter starts at zero.
    """
    if not samples:
        return 0
    first = samples[0].cgroups.get(cgroup)
    previous = first.oom_kill if first else 0
    kills = 0
    for sample in samples[1:]:
        reading = sample.cgroups.get(cgroup)
        if reading is None:
            previous = 0
            continue
        if reading.oom_kill >= previous:
            kills += reading.oom_kill - previous
        else:  # recreated between two samples
            kills += reading.oom_kill
        previous = reading.oom_kill
    return kills
