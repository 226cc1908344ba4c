"""The one-line result of a report, for complete and stopped runs."""

from __future__ import annotations

from lab.report.facts import result_text


def test_result_complete_passed() -> None:
    assert result_text({"passed": True, "complete": True, "runs": [{}]}) == "all expectations held"


def test_result_stopped_early() -> None:
    text = result_text({"passed": True, "complete": False, "runs": [{}, {}]})
    assert text == "all expectations held in the 2 strategies that ran before the run stopped"


def test_result_failed() -> None:
    assert result_text({"passed": False, "complete": True, "runs": []}) == "an expectation FAILED"
