"""Comparing two runs: outcome change per service and peak pressure per watched cgroup."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lab.errors import BadInput
from lab.report.compare import outcome_changes, pair_runs, pressure_changes, render_comparison
from tests.unit.report_runs import APP_SLICE, CONTAINER_SLICE, two_strategy_run


def _split(folder: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return the two strategies of the variant run as two one-strategy reports."""
    report = json.loads((folder / "report.json").read_text())
    before, after = dict(report), dict(report)
    before["runs"], after["runs"] = report["runs"][:1], report["runs"][1:]
    return before, after


def test_compare_outcome_change(tmp_path: Path) -> None:
    before, after = _split(two_strategy_run(tmp_path / "run"))
    rows = {row[1]: row for row in outcome_changes(before, after).rows}
    assert rows["bloat.service"] == ("none → container-slice", "bloat.service", "ok", "OOMD", "ok → OOMD")
    assert rows["jellyfin"][4] == "same"
    assert len(rows) == 22


def test_compare_pressure_peaks(tmp_path: Path) -> None:
    before, after = _split(two_strategy_run(tmp_path / "run"))
    rows = {row[1]: row for row in pressure_changes(before, after).rows}
    assert rows[APP_SLICE][2] == "97.12 % / 80 % (met)"
    assert rows[APP_SLICE][3] == "not watched"
    assert rows[CONTAINER_SLICE][2] == "not watched"
    assert rows["/system.slice"][4] == "+0.00 points"


def test_compare_same_strategy_pairs_by_name(tmp_path: Path) -> None:
    report = json.loads((two_strategy_run(tmp_path / "run") / "report.json").read_text())
    pairs = pair_runs(report, report)
    assert [(a["strategy"], b["strategy"]) for a, b in pairs] == [
        ("none", "none"), ("container-slice", "container-slice")
    ]  # fmt: skip


def test_compare_rejects_unpaired(tmp_path: Path) -> None:
    report = json.loads((two_strategy_run(tmp_path / "run") / "report.json").read_text())
    other = dict(report, runs=[dict(run, strategy=f"other-{run['strategy']}") for run in report["runs"]])
    with pytest.raises(BadInput, match="share no strategy"):
        pair_runs(report, other)


def test_compare_renders_markdown(tmp_path: Path) -> None:
    before, after = _split(two_strategy_run(tmp_path / "run"))
    text = render_comparison(before, after)
    assert text.startswith("# test55 started 2026-12-04T22:16:36 → test55 started 2026-12-04T22:16:36\n")
    assert "| none → container-slice | bloat.service | ok | OOMD | ok → OOMD |" in text
    assert "## Peak memory pressure" in text
