"""Plots built from the recorded timeline, shared axes across strategies, and kill markers."""

from __future__ import annotations

import io
from pathlib import Path

from matplotlib.image import imread

from lab.report.kills import kill_markers
from lab.report.plots import build_figures, figure_png, short_cgroup, stacked_slices, stretches_above
from lab.report.run_folder import load_run
from tests.unit.report_runs import CONTAINER_SLICE, KILL_T, TEST55, two_strategy_run

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_plot_png_from_recorded_timeline() -> None:
    figures = build_figures(load_run(TEST55))
    assert list(figures) == ["none"]
    png = figure_png(figures["none"])
    assert png.startswith(PNG_SIGNATURE)
    pixels = imread(io.BytesIO(png))
    height, width = pixels.shape[:2]
    assert (width, height) == (1100, 750)
    colours = {tuple(row) for row in pixels.reshape(-1, pixels.shape[2])[::7].round(2).tolist()}
    assert len(colours) > 20


def test_plot_strategies_share_axes(tmp_path: Path) -> None:
    figures = build_figures(load_run(two_strategy_run(tmp_path / "run")))
    assert list(figures) == ["none", "container-slice"]
    limits = [[(axes.get_xlim(), axes.get_ylim()) for axes in figure.axes[:2]] for figure in figures.values()]
    assert limits[0] == limits[1]
    memory_axes = figures["none"].axes[0]
    assert memory_axes.get_xlim() == (0.0, 96.004)


def test_plot_draws_slice_limits(tmp_path: Path) -> None:
    figure = build_figures(load_run(two_strategy_run(tmp_path / "run")))["container-slice"]
    labels = [line.get_label() for line in figure.axes[0].get_lines()]
    assert "user@1000.service/container.slice MemoryHigh" in labels
    assert "user@1000.service/container.slice MemoryMax" in labels


def test_kill_marker_from_journal_line(tmp_path: Path) -> None:
    recorded = load_run(two_strategy_run(tmp_path / "run"))
    run = recorded.report["runs"][1]
    markers = kill_markers(run, recorded.record("container-slice"))
    assert len(markers) == 1
    assert markers[0].unit == "bloat.service"
    assert markers[0].label == "systemd-oomd killed bloat.service"
    assert abs(markers[0].t - KILL_T) < 0.01


def test_kill_marker_from_disappearance(tmp_path: Path) -> None:
    recorded = load_run(two_strategy_run(tmp_path / "run"))
    run = recorded.report["runs"][1]
    run["kills"] = []
    markers = kill_markers(run, recorded.record("container-slice"))
    # bloat.service's cgroup is in every sample up to t=93.005 and gone from t=94.013 on.
    assert [(m.unit, m.t, m.label) for m in markers] == [
        ("bloat.service", 94.013, "bloat.service gone (systemd-oomd)")
    ]


def test_no_kill_markers_in_recorded_run() -> None:
    recorded = load_run(TEST55)
    assert kill_markers(recorded.report["runs"][0], recorded.record("none")) == []


def test_stacked_slices_limits_first(tmp_path: Path) -> None:
    recorded = load_run(two_strategy_run(tmp_path / "run"))
    slices = stacked_slices(recorded.record("container-slice"))
    assert slices[0] == CONTAINER_SLICE
    assert "/system.slice" in slices
    assert all(not path.endswith(".service") for path in slices)


def test_stretches_above_limit() -> None:
    points = [(0.0, 10.0), (1.0, 90.0), (2.0, 95.0), (3.0, 70.0), (4.0, 85.0)]
    assert stretches_above(points, 80.0) == [(1.0, 2.0), (4.0, 4.0)]


def test_short_cgroup_names() -> None:
    assert short_cgroup(CONTAINER_SLICE) == "user@1000.service/container.slice"
    assert short_cgroup("/system.slice") == "/system.slice"
