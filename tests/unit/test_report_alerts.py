"""Prometheus alerting rules for a slice: thresholds, and promtool's syntax and behaviour checks."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from lab.errors import BadInput
from lab.report.alerts import SliceLimits, render_rules, slice_cgroup
from lab.run import run
from tests.conftest import skip_or_fail

GIB = 1 << 30
SLICE = "/user.slice/user-1000.slice/user@1000.service/container.slice"
LIMITS = SliceLimits(cgroup=SLICE, memory_high=8 * GIB, memory_max=10 * GIB)


def _promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        skip_or_fail("promtool is not installed (Debian package prometheus)")
    assert path is not None
    return path


def _rules() -> list[dict[str, object]]:
    document = yaml.safe_load(render_rules(LIMITS))
    return document["groups"][0]["rules"]


def test_alert_thresholds_7g_9g() -> None:
    assert LIMITS.warning == 7 * GIB
    assert LIMITS.critical == 9 * GIB
    expressions = {rule["alert"]: rule["expr"] for rule in _rules()}
    working_set = f'container_memory_working_set_bytes{{id="{SLICE}"}}'
    assert expressions["SliceMemoryHighApproaching"] == f"{working_set} > {7 * GIB}"
    assert expressions["SliceMemoryMaxApproaching"] == f"{working_set} > {9 * GIB}"
    assert "container_pressure_memory_stalled_seconds_total" in str(expressions["SliceMemoryPressure"])


def test_alert_header_names_cadvisor_needs() -> None:
    header = render_rules(LIMITS).split("groups:", 1)[0]
    assert "MemoryHigh=8G, MemoryMax=10G: warning above 7G, critical above 9G." in header
    assert "v0.52.1" in header
    assert "--docker_only=false" in header
    assert f"--raw_cgroup_prefix_whitelist={SLICE}" in header
    assert all(line.startswith("#") for line in header.splitlines())


def test_slice_cgroup_paths() -> None:
    assert slice_cgroup("container.slice", 1000) == SLICE
    assert slice_cgroup("/custom/path.slice/", 1000) == "/custom/path.slice"
    with pytest.raises(BadInput, match="invalid slice name"):
        slice_cgroup("container", 1000)


def test_alert_limits_rejected() -> None:
    with pytest.raises(BadInput, match="is above --memory-max"):
        render_rules(SliceLimits(SLICE, memory_high=10 * GIB, memory_max=8 * GIB))


def test_promtool_check_rules(tmp_path: Path) -> None:
    promtool = _promtool()
    rules = tmp_path / "slice.rules.yml"
    rules.write_text(render_rules(LIMITS))
    result = run([promtool, "check", "rules", rules])
    assert "SUCCESS: 5 rules found" in result.stdout


PROMTOOL_TESTS = """
rule_files: [slice.rules.yml]
evaluation_interval: 15s
tests:
  - interval: 15s
    input_series:
      - series: 'container_memory_working_set_bytes{{id="{slice}"}}'
        values: '8053063680x80'
      - series: 'container_pressure_memory_stalled_seconds_total{{id="{slice}"}}'
        values: '0+9x80'
    alert_rule_test:
      - eval_time: 10m
        alertname: SliceMemoryHighApproaching
        exp_alerts:
          - exp_labels: {{severity: warning, id: "{slice}"}}
            exp_annotations:
              summary: container.slice working set above 7G
              description: 7.5GiB in use; MemoryHigh=8G starts reclaim and throttling
      - eval_time: 10m
        alertname: SliceMemoryMaxApproaching
        exp_alerts: []
      - eval_time: 10m
        alertname: SliceMemoryPressureCritical
        exp_alerts:
          - exp_labels: {{severity: critical, id: "{slice}"}}
            exp_annotations:
              summary: container.slice stalls on memory most of the time
              description: >-
                every task stalled on memory for 60 % of the last minute; systemd-oomd kills
                in a watched slice whose pressure stays above its limit
      - eval_time: 10m
        alertname: SliceMetricsMissing
        exp_alerts: []
  - interval: 15s
    input_series:
      - series: 'container_memory_working_set_bytes{{id="/system.slice"}}'
        values: '1x80'
    alert_rule_test:
      - eval_time: 15m
        alertname: SliceMetricsMissing
        exp_alerts:
          - exp_labels: {{severity: warning, id: "{slice}"}}
            exp_annotations:
              summary: cAdvisor reports no memory for container.slice
              description: >-
                check cAdvisor's version, --docker_only, --raw_cgroup_prefix_whitelist
                and its /sys mount
"""


def test_promtool_alerts_fire(tmp_path: Path) -> None:
    promtool = _promtool()
    (tmp_path / "slice.rules.yml").write_text(render_rules(LIMITS))
    tests = tmp_path / "slice.tests.yml"
    tests.write_text(PROMTOOL_TESTS.format(slice=SLICE))
    result = run([promtool, "test", "rules", tests.name], cwd=tmp_path, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
