"""junit.xml: one test case per scenario × strategy × expectation, for CI test viewers.

The layout follows the JUnit XML that pytest, Jenkins and GitLab read: <testsuites> with one
<testsuite> per scenario, test cases with `classname` "<scenario>.<strategy>", a <failure> with
the evidence for a failed expectation and a <skipped> with the peak pressure for an
inconclusive one.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from typing import Any

from lab.report.facts import describe_peak, pressure_above

# Characters that XML 1.0 does not allow, even escaped. Journal lines may contain them.
_INVALID_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def render_junit(report: dict[str, Any]) -> str:
    """Render report.json as a JUnit XML document."""
    suite = ElementTree.Element("testsuite", name=report["scenario"], timestamp=report["started"])
    properties = ElementTree.SubElement(suite, "properties")
    for name in ("policy", "source"):
        ElementTree.SubElement(properties, "property", name=name, value=_clean(str(report[name])))
    for run in report["runs"]:
        for expectation in run["expectations"]:
            suite.append(_testcase(report["scenario"], run, expectation))
    _count(suite, seconds=sum(run["seconds"] for run in report["runs"]))
    root = ElementTree.Element("testsuites", name="slicelab")
    root.append(suite)
    _count(root, seconds=float(suite.get("time", "0")))
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _testcase(scenario: str, run: dict[str, Any], expectation: dict[str, Any]) -> ElementTree.Element:
    case = ElementTree.Element(
        "testcase",
        classname=f"{scenario}.{run['strategy']}",
        name=f"{expectation['unit']} expected {expectation['expected']}",
    )
    status = expectation["status"]
    if status == "fail":
        failure = ElementTree.SubElement(case, "failure", message=_clean(expectation["reason"]),
                                         type="ExpectationFailed")  # fmt: skip
        failure.text = _clean(evidence_text(run, expectation))
    elif status == "inconclusive":
        ElementTree.SubElement(case, "skipped", message=_clean(_inconclusive_message(run, expectation)))
    elif status != "pass":
        error = ElementTree.SubElement(case, "error", message=f"unknown expectation status {status!r}")
        error.text = _clean(expectation["reason"])
    return case


def evidence_text(run: dict[str, Any], expectation: dict[str, Any]) -> str:
    """Return what the run recorded about the expectation's unit, one fact per line."""
    service = _service(run, expectation["unit"])
    lines = [expectation["reason"]]
    if service is None:
        lines.append(f"no record of {expectation['unit']} in this run")
    else:
        lines.append(
            f"observed {service['outcome']}: {service['oomd_kills']} systemd-oomd kills, "
            f"{service['kernel_oom_kills']} kernel OOM kills, {service['restarts']} restarts, "
            f"cgroup {service['cgroup'] or 'unknown'}"
        )
        lines.extend(
            f"evidence [{item['source']}] {item['subject']}: {item['text']} (supports {item['supports']})"
            for item in service["evidence"]
        )
        lines.extend(f"pressure: {describe_peak(item)}"
                     for item in pressure_above(service["cgroup"], run["pressure"]))  # fmt: skip
    kills = run["kills"]
    lines.extend(f"systemd-oomd: {kill['line']}" for kill in kills)
    if not kills:
        lines.append("systemd-oomd killed nothing in this run")
    return "\n".join(lines)


def _inconclusive_message(run: dict[str, Any], expectation: dict[str, Any]) -> str:
    service = _service(run, expectation["unit"])
    cgroup = service["cgroup"] if service else None
    above = pressure_above(cgroup, run["pressure"])
    if above:
        peaks = "; ".join(describe_peak(item) for item in above)
    elif cgroup:
        peaks = f"no watched cgroup contains {cgroup}"
    else:
        peaks = f"the cgroup of {expectation['unit']} is unknown"
    return f"inconclusive: {peaks}"


def _service(run: dict[str, Any], unit: str) -> dict[str, Any] | None:
    return next((service for service in run["services"] if service["unit"] == unit), None)


def _count(element: ElementTree.Element, seconds: float) -> None:
    cases = list(element.iter("testcase"))
    element.set("tests", str(len(cases)))
    element.set("failures", str(sum(case.find("failure") is not None for case in cases)))
    element.set("errors", str(sum(case.find("error") is not None for case in cases)))
    element.set("skipped", str(sum(case.find("skipped") is not None for case in cases)))
    element.set("time", f"{seconds:.1f}")


def _clean(text: str) -> str:
    return _INVALID_XML.sub("?", text)
