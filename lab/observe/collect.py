"""Collect a run's evidence from the lab machine: sampler, journal, units, counters, podman."""

from __future__ import annotations

import json
import logging
import shlex

from lab.loads import RUNTIME_DIR
from lab.machine import Machine
from lab.observe.outcome import Observations, OomdXattrs, OomKillCount, PodmanState, UnitState
from lab.observe.timeline import Sample, parse_timeline

log = logging.getLogger(__name__)

SAMPLER = f"{RUNTIME_DIR}/sampler.py"
RUN_DIR = "/var/lib/slicelab/run"
TIMELINE = f"{RUN_DIR}/timeline.jsonl"
UNIT_PROPERTIES = "Id,ActiveState,Result,NRestarts,ControlGroup"

# Reads counters of every cgroup below the user manager in one exec: oom_kill from
# memory.events and oomd's xattrs. Printed as one JSON object per cgroup.
_COUNTERS = r"""
import json, os
root = "/sys/fs/cgroup"
base = root + "/user.slice/user-1000.slice/user@1000.service"
for folder, subfolders, files in os.walk(base):
    path = folder[len(root):]
    events = {}
    try:
        for line in open(folder + "/memory.events"):
            key, value = line.split()
            events[key] = int(value)
    except OSError:
        continue
    xattrs = {}
    for name in ("user.oomd_ooms", "user.oomd_kill"):
        try:
            xattrs[name] = int(os.getxattr(folder, name).decode().strip("\0") or 0)
        except OSError:
            pass
    print(json.dumps({"path": path, "oom_kill": events.get("oom_kill", 0), "xattrs": xattrs}))
"""


def start_sampler(machine: Machine, interval: float = 1.0) -> None:
    """Start the sampler as a root process, writing a fresh timeline."""
    stop_sampler(machine)
    machine.exec(["sh", "-c", f"mkdir -p {RUN_DIR} && rm -f {TIMELINE}"])
    machine.exec_detached(["/usr/bin/python3", SAMPLER, TIMELINE, str(interval)])


def stop_sampler(machine: Machine) -> None:
    machine.exec(["pkill", "-f", f"{SAMPLER} "], check=False)


def read_timeline(machine: Machine) -> tuple[str, list[Sample]]:
    text = machine.exec(["cat", TIMELINE], check=False).stdout
    return text, parse_timeline(text, TIMELINE)


def last_sample(machine: Machine) -> Sample | None:
    text = machine.exec(["tail", "-n", "1", TIMELINE], check=False).stdout
    samples = parse_timeline(text, TIMELINE) if text.strip() else []
    return samples[-1] if samples else None


def read_counters(machine: Machine) -> dict[str, tuple[int, dict[str, int]]]:
    """Return per cgroup below the user manager: oom_kill and oomd's xattrs."""
    output = machine.exec(["python3", "-c", _COUNTERS]).stdout
    counters = {}
    for line in output.splitlines():
        item = json.loads(line)
        counters[item["path"]] = (int(item["oom_kill"]), dict(item["xattrs"]))
    return counters


def read_units(machine: Machine, units: list[str]) -> dict[str, dict[str, str]]:
    shown = machine.exec(["systemctl", "--user", "show", f"--property={UNIT_PROPERTIES}", *units],
                         user=True, check=False).stdout  # fmt: skip
    blocks = [dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
              for block in shown.strip().split("\n\n")]  # fmt: skip
    return {block["Id"]: block for block in blocks if "Id" in block}


def journal_since(machine: Machine, cursor_time: str) -> list[str]:
    """Lines since cursor_time of systemd-oomd, the kernel and both service managers.

    Read as root, journalctl merges the system journal with the lab user's, so the user
    manager's lines about its units come once, with the system manager's.
    """
    argv = ["journalctl", "--no-pager", "-o", "short-iso", "--since", cursor_time,
            "-t", "systemd-oomd", "-t", "systemd", "-t", "kernel"]  # fmt: skip
    output = machine.exec(argv, check=False).stdout
    return [line for line in output.splitlines() if line and not line.startswith("-- ")]


def oomd_lines_since(machine: Machine, since: str) -> list[str]:
    output = machine.exec(["journalctl", "--no-pager", "-o", "cat", "-t", "systemd-oomd", "--since", since],
                          check=False).stdout  # fmt: skip
    return output.splitlines()


def machine_time(machine: Machine) -> str:
    return machine.exec(["date", "+%Y-%m-%d %H:%M:%S"]).stdout.strip()


def podman_states(machine: Machine) -> list[PodmanState]:
    fmt = '{{json .Name}} {{json .State.OOMKilled}} {{json .Config.Labels.PODMAN_SYSTEMD_UNIT}}'
    output = machine.exec(["sh", "-c", f"podman inspect --format {shlex.quote(fmt)} $(podman ps -aq)"],
                          user=True, check=False).stdout  # fmt: skip
    states = []
    for line in output.splitlines():
        try:
            name, oom_killed, unit = (json.loads(part) for part in line.split(" ", 2))
        except ValueError:
            continue
        states.append(PodmanState(str(name), str(unit or ""), bool(oom_killed)))
    return states


def _xattr_delta(path: str, final: dict[str, int], start: dict[str, int]) -> OomdXattrs:
    """oomd's counters on a cgroup that lived through the run, minus their value at its start."""
    return OomdXattrs(
        path,
        final.get("user.oomd_ooms", 0) - start.get("user.oomd_ooms", 0),
        final.get("user.oomd_kill", 0) - start.get("user.oomd_kill", 0),
    )


class Baseline:
    """Counters at the start of a run, so the evidence counts only what the run caused."""

    def __init__(self, machine: Machine, units: list[str]) -> None:
        self.started_at = machine_time(machine)
        self.counters = read_counters(machine)
        self.restarts = {unit: int(fields.get("NRestarts") or 0)
                         for unit, fields in read_units(machine, units).items()}  # fmt: skip


def collect(machine: Machine, units: list[str], baseline: Baseline, samples: list[Sample],
            load_units: dict[str, dict[str, str]]) -> Observations:  # fmt: skip
    """Gather every independent source of evidence about the units since the baseline.

    load_units contains the load units' properties as read just before their phase stopped them.
    """
    counters = read_counters(machine)
    unit_fields = {**load_units, **read_units(machine, units)}
    unit_states = [
        UnitState(
            unit,
            fields.get("ActiveState", ""),
            fields.get("Result", ""),
            int(fields.get("NRestarts") or 0),
            baseline.restarts.get(unit, 0),
            fields.get("ControlGroup") or None,
        )
        for unit, fields in unit_fields.items()
    ]
    oom_counts = [OomKillCount(path, baseline.counters.get(path, (0, {}))[0], final)
                  for path, (final, _) in counters.items()]  # fmt: skip
    xattrs = [_xattr_delta(path, values, baseline.counters.get(path, (0, {}))[1])
              for path, (_, values) in counters.items() if values]  # fmt: skip
    return Observations(
        journal=journal_since(machine, baseline.started_at),
        units=unit_states,
        oom_kill_counts=oom_counts,
        xattrs=xattrs,
        podman=podman_states(machine),
        samples=samples,
    )
