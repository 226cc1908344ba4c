"""PNG plots of a run: memory per slice and memory pressure over time, one figure per strategy.

Each figure has two panels on one time axis. The top panel stacks memory.current of each
slice and draws MemoryHigh and MemoryMax of slices that have them. The bottom panel plots full
avg10 of each cgroup systemd-oomd watches, with its limit line and the stretches above it
shaded. A vertical line marks each kill. Every strategy's figure uses the same axis ranges and
slice colours, so figures of one run compare at a glance. Rendering uses the Agg canvas
directly, without pyplot's global state.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from lab.report.kills import KillMarker, kill_markers
from lab.report.run_folder import RecordedRun, StrategyRecord

MIB = 1 << 20
# Direct children of the user manager, e.g. .../user@1000.service/app.slice, and the
# system slice: disjoint cgroups, so their memory stacks without counting anything twice.
_STACKED_SLICE = re.compile(r"(/user\.slice/user-\d+\.slice/user@\d+\.service/[^/]+\.slice|/system\.slice)")
_COLOURS = ("tab:blue", "tab:orange", "tab:green", "tab:purple", "tab:brown", "tab:pink",
            "tab:olive", "tab:cyan", "tab:gray")  # fmt: skip


@dataclass(frozen=True)
class SharedAxes:
    """Axis ranges and slice colours that every strategy's figure of one run uses."""

    seconds: float
    memory_mib: float
    colours: dict[str, str]


def build_figures(recorded: RecordedRun) -> dict[str, Figure]:
    """Build one figure per strategy of the run, keyed by strategy name, on shared axes."""
    shared = shared_axes(recorded)
    scenario = recorded.report["scenario"]
    return {
        run["strategy"]: build_figure(scenario, run, recorded.record(run["strategy"]), shared)
        for run in recorded.report["runs"]
    }


def shared_axes(recorded: RecordedRun) -> SharedAxes:
    records = [recorded.record(run["strategy"]) for run in recorded.report["runs"]]
    # Timeline and phases, not the run's `seconds`, which also count placing the services.
    ends = [phase["end"] for run in recorded.report["runs"] for phase in run["phases"]]
    seconds = max([1.0, *ends, *(sample.t for record in records for sample in record.samples)])
    slices = sorted({path for record in records for path in stacked_slices(record)})
    memory = max((_stacked_peak(record, slices) for record in records), default=0.0)
    colours = {path: _COLOURS[index % len(_COLOURS)] for index, path in enumerate(slices)}
    return SharedAxes(seconds=seconds, memory_mib=max(memory, 1.0) * 1.1 / MIB, colours=colours)


def stacked_slices(record: StrategyRecord) -> list[str]:
    """Return the slices stacked in the memory panel, slices with limits first (at the bottom)."""
    paths = {path for sample in record.samples for path in sample.cgroups if _STACKED_SLICE.fullmatch(path)}
    return sorted(paths, key=lambda path: (not _has_limits(record, path), path))


def _has_limits(record: StrategyRecord, path: str) -> bool:
    readings = (sample.cgroups.get(path) for sample in record.samples)
    return any(r is not None and (r.memory_high is not None or r.memory_max is not None) for r in readings)


def _stacked_peak(record: StrategyRecord, slices: Sequence[str]) -> float:
    totals = [
        sum(sample.cgroups[path].memory_current for path in slices if path in sample.cgroups)
        for sample in record.samples
    ]
    limits = [
        limit
        for sample in record.samples
        for path in slices
        if path in sample.cgroups
        for limit in (sample.cgroups[path].memory_high, sample.cgroups[path].memory_max)
        if limit is not None
    ]
    return float(max([*totals, *limits], default=0))


def build_figure(scenario: str, run: dict[str, Any], record: StrategyRecord, shared: SharedAxes) -> Figure:
    """Build the two-panel figure of one strategy's run."""
    figure = Figure(figsize=(11, 7.5), layout="constrained")
    memory_axes, pressure_axes = figure.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    figure.suptitle(f"{scenario}, strategy {run['strategy']}: {run['description']}", fontsize=11)
    _plot_memory(memory_axes, record, shared)
    _plot_pressure(pressure_axes, run, record, shared)
    _mark_phases(memory_axes, pressure_axes, run["phases"])
    _mark_kills(memory_axes, pressure_axes, kill_markers(run, record))
    memory_axes.set_xlim(0, shared.seconds)
    memory_axes.set_ylim(0, shared.memory_mib)
    pressure_axes.set_ylim(0, 100)
    pressure_axes.set_xlabel("seconds since the run started")
    return figure


def _plot_memory(axes: Axes, record: StrategyRecord, shared: SharedAxes) -> None:
    slices = stacked_slices(record)
    times = [sample.t for sample in record.samples]
    if slices:
        series = [[_current_mib(sample.cgroups.get(path)) for sample in record.samples] for path in slices]
        axes.stackplot(times, series, labels=[short_cgroup(path) for path in slices],
                       colors=[shared.colours[path] for path in slices], alpha=0.75)  # fmt: skip
    for path in slices:
        _plot_limits(axes, record, path, shared.colours[path])
    axes.set_ylabel("memory.current, MiB (stacked)")
    axes.set_title("Memory per slice", fontsize=10, loc="left")
    axes.grid(alpha=0.3)
    if slices:
        axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)


def _current_mib(reading: Any) -> float:
    return 0.0 if reading is None else reading.memory_current / MIB


def _plot_limits(axes: Axes, record: StrategyRecord, path: str, colour: str) -> None:
    for field, style, name in (("memory_high", "--", "MemoryHigh"), ("memory_max", ":", "MemoryMax")):
        points = [
            (sample.t, getattr(sample.cgroups[path], field) / MIB)
            for sample in record.samples
            if path in sample.cgroups and getattr(sample.cgroups[path], field) is not None
        ]
        if points:
            times, values = zip(*points, strict=True)
            axes.plot(times, values, linestyle=style, color=colour, linewidth=1.6,
                      label=f"{short_cgroup(path)} {name}")  # fmt: skip


def _plot_pressure(axes: Axes, run: dict[str, Any], record: StrategyRecord, shared: SharedAxes) -> None:
    """Plot each watched cgroup's full avg10. A stacked slice keeps its colour from the memory panel."""
    spare = [colour for colour in _COLOURS if colour not in shared.colours.values()] or list(_COLOURS)
    for index, watched in enumerate(run["pressure"]):
        colour = shared.colours.get(watched["cgroup"], spare[index % len(spare)])
        points = [(s.t, s.cgroups[watched["cgroup"]].full_avg10) for s in record.samples
                  if watched["cgroup"] in s.cgroups]  # fmt: skip
        if not points:
            continue
        times, values = zip(*points, strict=True)
        axes.plot(times, values, color=colour, linewidth=1.4, label=short_cgroup(watched["cgroup"]))
        _shade_above(axes, points, watched["limit"], watched["duration"])
    for limit in sorted({watched["limit"] for watched in run["pressure"]}):
        axes.axhline(limit, color="tab:red", linestyle="--", linewidth=1.2, label=f"oomd limit {limit:g} %")
    axes.set_ylabel("full avg10, %")
    axes.set_title("Memory pressure of watched cgroups (light: above the limit; dark: above it for "
                   "longer than oomd's duration)", fontsize=10, loc="left")  # fmt: skip
    axes.grid(alpha=0.3)
    if run["pressure"]:
        axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)


def _shade_above(axes: Axes, points: Sequence[tuple[float, float]], limit: float, duration: float) -> None:
    """Shade each stretch above limit lightly, and darker from where it lasted `duration` seconds."""
    for start, end in stretches_above(points, limit):
        axes.axvspan(start, end, color="tab:red", alpha=0.08)
        if end - start >= duration:
            axes.axvspan(start + duration, end, color="tab:red", alpha=0.18)


def stretches_above(points: Iterable[tuple[float, float]], limit: float) -> list[tuple[float, float]]:
    """Return (first, last) times of each run of consecutive readings above limit."""
    stretches: list[tuple[float, float]] = []
    first: float | None = None
    latest = 0.0
    for t, value in points:
        if value > limit:
            first = t if first is None else first
            latest = t
        elif first is not None:
            stretches.append((first, latest))
            first = None
    if first is not None:
        stretches.append((first, latest))
    return stretches


def _mark_phases(memory_axes: Axes, pressure_axes: Axes, phases: Sequence[dict[str, Any]]) -> None:
    """Draw thin lines where each phase starts and ends, with phase names above the top panel."""
    for phase in phases:
        for axes in (memory_axes, pressure_axes):
            for t in (phase["start"], phase["end"]):
                axes.axvline(t, color="black", linewidth=0.6, alpha=0.4)
    if phases:
        top = memory_axes.secondary_xaxis("top")
        top.set_xticks([(p["start"] + p["end"]) / 2 for p in phases], [f"phase {p['name']}" for p in phases])
        top.tick_params(length=0, labelsize=8)


def _mark_kills(memory_axes: Axes, pressure_axes: Axes, markers: Sequence[KillMarker]) -> None:
    for marker in markers:
        for axes in (memory_axes, pressure_axes):
            axes.axvline(marker.t, color="black", linewidth=1.4)
        memory_axes.annotate(f"✕ {marker.label}", xy=(marker.t, 1.0), xycoords=("data", "axes fraction"),
                             xytext=(3, -4), textcoords="offset points", rotation=90, va="top",
                             fontsize=8, fontweight="bold")  # fmt: skip


def short_cgroup(path: str) -> str:
    """Shorten a cgroup path below a user manager to start there: 'user@1000.service/app.slice'."""
    parts = path.strip("/").split("/")
    for index, part in enumerate(parts):
        if part.startswith("user@"):
            return "/".join(parts[index:])
    return path


def figure_png(figure: Figure, dpi: int = 100) -> bytes:
    """Render the figure as PNG bytes with the Agg canvas."""
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()
