"""Prometheus alerting rules for a slice with MemoryHigh and MemoryMax, on cAdvisor's metrics.

cAdvisor reports every cgroup it tracks with an `id` label that is the cgroup's path, so a
rootless user's slice is `id="/user.slice/user-1000.slice/user@1000.service/container.slice"`.
The thresholds sit below the limits: warning at 7/8 of MemoryHigh and critical at 9/10 of
MemoryMax (7G and 9G for MemoryHigh=8G, MemoryMax=10G).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import yaml

from lab.errors import BadInput
from lab.sizes import format_size, systemd_size

WARNING_OF_HIGH = Fraction(7, 8)
CRITICAL_OF_MAX = Fraction(9, 10)
# Share of time in which every task of the slice stalled on memory, averaged over one minute,
# in percent. systemd-oomd acts on its own 10 s average against its limit (80 % for 20 s in the
# Fedora 42 profile this lab models), so these fire on stalls that build up towards a kill.
PRESSURE_WARNING_PERCENT = 10
PRESSURE_CRITICAL_PERCENT = 50

HEADER = """\
# Alerting rules for {cgroup}
# MemoryHigh={high}, MemoryMax={max}: warning above {warning}, critical above {critical}.
#
# Metrics come from cAdvisor's per-cgroup series, selected by the cgroup path in `id`:
#   container_memory_working_set_bytes  memory.current minus inactive file pages
#   container_memory_usage_bytes        memory.current, which the kernel compares with
#                                       MemoryHigh. Reclaimable page cache keeps it close to
#                                       MemoryHigh by design, so the thresholds use working set.
#   container_pressure_memory_stalled_seconds_total
#                                       the "full" total of memory.pressure, in seconds
# cAdvisor needs:
#   - v0.52.1 or later for the container_pressure_* series (added by cAdvisor pull request
#     3649; Kubernetes 1.33 builds its PSI metrics on v0.52.1), on cgroup v2 with PSI enabled;
#   - the `pressure` metric kind enabled: keep it out of --disable_metrics, and list it in
#     --enable_metrics when that flag is set;
#   - raw cgroup tracking: --docker_only=false (the default), or with --docker_only=true the
#     slice's path in --raw_cgroup_prefix_whitelist={cgroup};
#   - the host's /sys/fs/cgroup visible inside its container (mount /sys read-only).
# SliceMetricsMissing fires when cAdvisor reports nothing for the slice, which is what a
# missing flag or mount looks like.
"""


@dataclass(frozen=True)
class SliceLimits:
    """A slice's cgroup path and its limits in bytes."""

    cgroup: str
    memory_high: int
    memory_max: int

    @property
    def warning(self) -> int:
        return int(self.memory_high * WARNING_OF_HIGH)

    @property
    def critical(self) -> int:
        return int(self.memory_max * CRITICAL_OF_MAX)


def slice_cgroup(slice_name: str, uid: int) -> str:
    """Return the cgroup path of a user manager's slice. A path starting with '/' is returned as given."""
    if slice_name.startswith("/"):
        return slice_name.rstrip("/")
    if not slice_name.endswith(".slice") or "/" in slice_name:
        hint = "give a unit name such as container.slice, or a cgroup path starting with /"
        raise BadInput(f"invalid slice name {slice_name!r}", hint=hint)
    return f"/user.slice/user-{uid}.slice/user@{uid}.service/{slice_name}"


def check_limits(limits: SliceLimits) -> None:
    if limits.memory_high <= 0 or limits.memory_max <= 0:
        raise BadInput("--memory-high and --memory-max must be above 0")
    if limits.memory_high > limits.memory_max:
        raise BadInput(
            f"--memory-high {_size(limits.memory_high)} is above --memory-max {_size(limits.memory_max)}",
            hint="MemoryHigh must not exceed MemoryMax",
        )


def render_rules(limits: SliceLimits) -> str:
    """Render a Prometheus rule file with memory and pressure alerts for the slice."""
    check_limits(limits)
    header = HEADER.format(cgroup=limits.cgroup, high=_size(limits.memory_high),
                           max=_size(limits.memory_max), warning=_size(limits.warning),
                           critical=_size(limits.critical))  # fmt: skip
    document = {"groups": [{"name": "slicelab-slice-memory", "rules": _rules(limits)}]}
    return header + yaml.safe_dump(document, sort_keys=False, width=4096)


def _rules(limits: SliceLimits) -> list[dict[str, Any]]:
    selector = f'{{id="{limits.cgroup}"}}'
    working_set = f"container_memory_working_set_bytes{selector}"
    stalled = f"rate(container_pressure_memory_stalled_seconds_total{selector}[1m]) * 100"
    name = limits.cgroup.rsplit("/", 1)[-1]
    return [
        _rule("SliceMemoryHighApproaching", f"{working_set} > {limits.warning}", "5m", "warning",
              f"{name} working set above {_size(limits.warning)}",
              f"{{{{ $value | humanize1024 }}}}B in use; MemoryHigh={_size(limits.memory_high)} "
              "starts reclaim and throttling"),
        _rule("SliceMemoryMaxApproaching", f"{working_set} > {limits.critical}", "2m", "critical",
              f"{name} working set above {_size(limits.critical)}",
              f"{{{{ $value | humanize1024 }}}}B in use; at MemoryMax={_size(limits.memory_max)} "
              "the kernel OOM killer acts inside the slice"),
        _rule("SliceMemoryPressure", f"{stalled} > {PRESSURE_WARNING_PERCENT}", "5m", "warning",
              f"{name} stalls on memory",
              "every task stalled on memory for {{ $value | humanize }} % of the last minute"),
        _rule("SliceMemoryPressureCritical", f"{stalled} > {PRESSURE_CRITICAL_PERCENT}", "1m", "critical",
              f"{name} stalls on memory most of the time",
              "every task stalled on memory for {{ $value | humanize }} % of the last minute; "
              "systemd-oomd kills in a watched slice whose pressure stays above its limit"),
        _rule("SliceMetricsMissing", f"absent({working_set})", "10m", "warning",
              f"cAdvisor reports no memory for {name}",
              "check cAdvisor's version, --docker_only, --raw_cgroup_prefix_whitelist and its /sys mount"),
    ]  # fmt: skip


def _size(value: int) -> str:
    """Format bytes as systemd does where exact ('7G'), else rounded ('7.2G')."""
    exact = systemd_size(value)
    return format_size(value) if exact.isdigit() else exact


def _rule(
    alert: str, expr: str, duration: str, severity: str, summary: str, description: str
) -> dict[str, Any]:
    return {
        "alert": alert,
        "expr": expr,
        "for": duration,
        "labels": {"severity": severity},
        "annotations": {"summary": summary, "description": description},
    }
