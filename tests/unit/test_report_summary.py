"""summary.md on the recorded test55 run, key figures, and the GitHub step summary."""

from __future__ import annotations

from pathlib import Path

from lab.report import facts
from lab.report.markdown import append_step_summary, render_summary
from lab.report.run_folder import find_run, latest_run, load_run
from tests.unit.report_runs import CONTAINER_SLICE, RUNS, TEST55, copy_test55, two_strategy_run


def test_summary_matches_snapshot() -> None:
    # The snapshot was written from report.json and the timeline by hand: bloat.service peaked
    # at 105558016 B (100.7 MiB) at t=93.005 s against its MemoryHigh of 10 MiB; app.slice
    # peaked at 97.12 % at t=84.006 s and stayed above 80 % from t=20.0 s to t=95.0 s.
    expected = (RUNS / "test55.summary.md").read_text()
    assert render_summary(load_run(TEST55)) == expected


def test_headroom_uses_slice_limits(tmp_path: Path) -> None:
    recorded = load_run(two_strategy_run(tmp_path / "run"))
    rows = {(row[0], row[1]): row for row in facts.headroom_table(recorded).rows}
    slice_row = rows[("container-slice", CONTAINER_SLICE)]
    assert slice_row[4] == "800 MiB"
    assert slice_row[6] == "1000 MiB"
    # app.slice, renamed to container.slice, peaked at 900907008 B (859.2 MiB) at t=93.005 s.
    assert slice_row[2] == "859 MiB"
    assert slice_row[3] == "93 s"
    assert slice_row[5] == "-59 MiB"
    assert slice_row[7] == "141 MiB"
    assert ("none", CONTAINER_SLICE) not in rows


def test_summary_lists_kill_line(tmp_path: Path) -> None:
    summary = render_summary(load_run(two_strategy_run(tmp_path / "run")))
    assert "| service | none | container-slice |" in summary
    assert "| bloat.service | ok (expected oomd: FAIL) | OOMD (expected oomd: PASS) |" in summary
    assert "systemd-oomd[588]: Killed" in summary
    assert "jellyfin idles during this scenario" in summary


def test_step_summary_appended(tmp_path: Path) -> None:
    target = tmp_path / "step-summary.md"
    target.write_text("earlier step\n")
    written = append_step_summary("# slicelab\n", {"GITHUB_STEP_SUMMARY": str(target)})
    assert written == target
    assert target.read_text() == "earlier step\n# slicelab\n"


def test_step_summary_unset_writes_nothing() -> None:
    assert append_step_summary("# slicelab\n", {}) is None


def test_latest_run_picks_newest(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    copy_test55(tmp_path / "20261204-221636-test55")
    copy_test55(tmp_path / "20261205-090000-test55")
    (tmp_path / "tests").mkdir()
    monkeypatch.setenv("SLICELAB_RESULTS", str(tmp_path))
    assert latest_run() == tmp_path / "20261205-090000-test55"
    assert find_run("20261204-221636-test55") == tmp_path / "20261204-221636-test55"


def test_unfinished_timeline_has_no_offset(tmp_path: Path) -> None:
    folder = copy_test55(tmp_path / "run")
    (folder / "timeline-none.jsonl").write_text('{"t": 0.004, "wall": 17964')
    record = load_run(folder).record("none")
    assert record.samples == []
    assert record.wall_offset is None
