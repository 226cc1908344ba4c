"""The one-line result of a report, for complete and stopped runs."""

from __future__ import annotations

from lab.report.facts import result_text

CHECKED = {"expectations": [{"status": "pass"}]}
UNCHECKED: dict[str, list[dict[str, str]]] = {"expectations": []}


def test_result_complete_passed() -> None:
    text = result_text({"passed": True, "complete": True, "runs": [CHECKED]})
    assert text == "all expectations held"


def test_result_stopped_early() -> None:
    text = result_text({"passed": True, "complete": False, "runs": [CHECKED, UNCHECKED]})
    assert text == "all expectations held in the 2 strategies that ran before the run stopped"


def test_result_failed() -> None:
    text = result_text({"passed": False, "complete": True, "runs": [CHECKED]})
    assert text == "an expectation FAILED"


def test_result_findings_only() -> None:
    text = result_text({"passed": True, "complete": True, "runs": [UNCHECKED, UNCHECKED]})
    assert text == "no expectation to check, only findings"
