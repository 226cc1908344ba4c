"""junit.xml: one test case per scenario × strategy × expectation, parsed back with ElementTree."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from lab.report.junit import render_junit
from tests.unit.report_runs import TEST55, two_strategy_run


def _parse(folder: Path) -> ElementTree.Element:
    report = json.loads((folder / "report.json").read_text())
    return ElementTree.fromstring(render_junit(report).encode())


def test_junit_recorded_run_counts() -> None:
    root = _parse(TEST55)
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [suite.get("name") for suite in suites] == ["test55"]
    for element in (root, suites[0]):
        assert element.get("tests") == "2"
        assert element.get("failures") == "1"
        assert element.get("errors") == "0"
        assert element.get("skipped") == "0"
        assert element.get("time") == "114.6"


def test_junit_failure_carries_evidence() -> None:
    cases = {case.get("name"): case for case in _parse(TEST55).iter("testcase")}
    failed = cases["bloat.service expected oomd"]
    assert failed.get("classname") == "test55.none"
    failure = failed.find("failure")
    assert failure is not None
    assert failure.get("message") == "expected oomd, observed survived"
    text = failure.text or ""
    assert "evidence [unit-state] bloat.service: ActiveState=active Result=success" in text
    assert "app.slice peaked at 97.12 % full avg10 (oomd limit 80 %)" in text
    assert "systemd-oomd killed nothing in this run" in text
    passed = cases["chill.service expected survived"]
    assert list(passed) == []


def test_junit_inconclusive_is_skipped(tmp_path: Path) -> None:
    root = _parse(two_strategy_run(tmp_path / "run"))
    assert root.get("tests") == "4"
    assert root.get("failures") == "1"
    assert root.get("skipped") == "1"
    by_class = [(case.get("classname"), case.get("name")) for case in root.iter("testcase")]
    assert ("test55.container-slice", "chill.service expected survived") in by_class
    skipped = [case.find("skipped") for case in root.iter("testcase") if case.find("skipped") is not None]
    assert len(skipped) == 1
    message = skipped[0].get("message") or ""
    assert message.startswith("inconclusive: ")
    assert "container.slice peaked at 97.12 % full avg10" in message


def test_junit_cleans_control_characters() -> None:
    report = json.loads((TEST55 / "report.json").read_text())
    report["runs"][0]["expectations"][0]["reason"] = "observed \x1b[1mbold\x1b[0m"
    root = ElementTree.fromstring(render_junit(report).encode())
    failure = next(case.find("failure") for case in root.iter("testcase") if case.find("failure") is not None)
    assert failure is not None
    assert failure.get("message") == "observed ?[1mbold?[0m"
