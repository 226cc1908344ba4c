"""The JSON Schema of report.json validates the recorded run and rejects broken reports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from lab.errors import BadInput
from lab.observe.outcome import EvidenceSource
from lab.report.json_report import SCHEMA_VERSION as WRITTEN_VERSION
from lab.report.schema import (
    EVIDENCE_SOURCES,
    OUTCOMES,
    REPORT_SCHEMA,
    SCHEMA_VERSION,
    STATUSES,
    validate_report,
)
from lab.scenario import Outcome
from lab.verdict import Status
from tests.unit.report_runs import TEST55, two_strategy_run


def _report(folder: Path = TEST55) -> dict[str, Any]:
    return json.loads((folder / "report.json").read_text())


def test_schema_is_valid_draft_2020_12() -> None:
    Draft202012Validator.check_schema(REPORT_SCHEMA)


def test_schema_accepts_recorded_run() -> None:
    validate_report(_report())


def test_schema_accepts_kills_and_findings(tmp_path: Path) -> None:
    validate_report(_report(two_strategy_run(tmp_path / "run")))


def test_schema_version_matches_writer() -> None:
    assert SCHEMA_VERSION == WRITTEN_VERSION


def test_schema_enums_match_code() -> None:
    assert set(OUTCOMES) == {str(item) for item in Outcome}
    assert set(STATUSES) == {str(item) for item in Status}
    assert set(EVIDENCE_SOURCES) == {str(item) for item in EvidenceSource} | {"absence"}


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda r: r.update(schema=2), "schema"),
        (lambda r: r["runs"][0]["services"][0].update(outcome="vanished"), "runs/0/services/0/outcome"),
        (lambda r: r["runs"][0]["pressure"][0].pop("limit"), "runs/0/pressure/0"),
        (lambda r: r["machine"].update(lab_memory=-1), "machine/lab_memory"),
        (lambda r: r.update(extra=True), "(top)"),
    ],
)
def test_schema_rejects_broken_report(change, where: str) -> None:  # type: ignore[no-untyped-def]
    report = _report()
    change(report)
    with pytest.raises(BadInput) as raised:
        validate_report(report)
    assert f"{where}: " in raised.value.message
