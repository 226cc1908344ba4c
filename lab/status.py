"""lab.status: host, policy, oomd's watched set, units and memory, as a dict and as text."""

from __future__ import annotations

from typing import Any

from lab.lifecycle import Lab
from lab.oomd import read_watched
from lab.pods import read_pod_cgroups
from lab.services import service_names, unit_name
from lab.sizes import format_size

SLICES = ("app.slice", "session.slice", "background.slice", "container.slice")


def collect_status(lab: Lab) -> dict[str, Any]:
    """Gather the lab's state; the keys are the `lab.status --json` schema."""
    machine = lab.machine
    units = [unit_name(name) for name in service_names()]
    props = "Id,ActiveState,ControlGroup,MemoryCurrent,MemoryHigh,MemoryMax,MemoryPeak"
    shown = machine.exec(["systemctl", "--user", "show", f"--property={props}", *units, *SLICES],
                         user=True, check=False).stdout  # fmt: skip
    blocks = [dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
              for block in shown.strip().split("\n\n")]  # fmt: skip
    by_id = {block.get("Id", ""): block for block in blocks}
    return {
        "host": {"kind": lab.record.host, "accel": lab.record.accel, "api": lab.record.base_url},
        "machine": {"name": lab.record.machine, "memory": lab.record.memory, "swap": lab.record.swap},
        "policy": lab.record.policy,
        "oomd_watched": [
            {"path": w.path, "limit": w.limit, "duration": w.duration} for w in read_watched(machine)
        ],
        "units": [_unit(by_id.get(unit, {"Id": unit})) for unit in units],
        "slices": [_slice(by_id[s]) for s in SLICES if by_id.get(s, {}).get("ActiveState") == "active"],
        "pod_cgroups": [
            {"cgroup": pod.path, "memory_current": pod.memory_current, "processes": list(pod.processes)}
            for pod in read_pod_cgroups(machine)
        ],
    }


def _number(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _unit(block: dict[str, str]) -> dict[str, Any]:
    return {
        "name": block.get("Id"),
        "active": block.get("ActiveState", "unknown"),
        "cgroup": block.get("ControlGroup", ""),
        "memory_current": _number(block.get("MemoryCurrent")),
    }


def _slice(block: dict[str, str]) -> dict[str, Any]:
    return {
        "name": block.get("Id"),
        "cgroup": block.get("ControlGroup", ""),
        "memory_current": _number(block.get("MemoryCurrent")),
        "memory_high": _number(block.get("MemoryHigh")),
        "memory_max": _number(block.get("MemoryMax")),
        "memory_peak": _number(block.get("MemoryPeak")),
    }


def _size(value: int | None) -> str:
    return "-" if value is None else format_size(value)


def render_status(status: dict[str, Any]) -> str:
    host, machine = status["host"], status["machine"]
    lines = [
        f"host      {host['kind']} ({host['accel']}), API {host['api']}",
        f"machine   {machine['name']}: memory cap {_size(machine['memory'])}, swap {_size(machine['swap'])}",
        f"policy    {status['policy']}",
        "oomd watches:",
        *(f"  {w['path']}  kill above {w['limit']:.0f} % for {w['duration']:.0f} s"
          for w in status["oomd_watched"]),
        "slices:        current      high       max      peak",
        *(f"  {s['name']:<14}{_size(s['memory_current']):>8}{_size(s['memory_high']):>10}"
          f"{_size(s['memory_max']):>10}{_size(s['memory_peak']):>10}"
          for s in status["slices"]),
        "services:",
        *(f"  {u['name']:<28}{u['active']:<10}{_size(u['memory_current']):>8}  {u['cgroup']}"
          for u in status["units"]),
    ]
    if status["pod_cgroups"]:
        # Slice= moves a pod's service but not this cgroup: only podman's --cgroup-parent does.
        lines.append("pod cgroups (a pod's infra container; Slice= alone leaves it under user.slice):")
        lines += [f"  {_size(p['memory_current']):>8}  {p['cgroup']}  [{', '.join(p['processes'])}]"
                  for p in status["pod_cgroups"]]  # fmt: skip
    return "\n".join(lines)
