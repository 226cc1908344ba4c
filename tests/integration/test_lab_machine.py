"""The lab machine as booted by lab.up: cgroup v2, oomd's watched set, the twenty services."""

from __future__ import annotations

import pytest

from lab import lifecycle
from lab.oomd import read_watched
from lab.policy import USER_MANAGER
from lab.services import load_profiles, service_names, unit_name
from lab.startup import unit_states

pytestmark = pytest.mark.integration

APP_SLICE = f"{USER_MANAGER}/app.slice"


def test_cgroup_v2_with_memory_and_psi(lab: lifecycle.Lab) -> None:
    machine = lab.machine
    controllers = machine.read_file("/sys/fs/cgroup/cgroup.controllers").split()
    assert "memory" in controllers
    pressure = machine.read_file("/proc/pressure/memory")
    assert pressure.startswith("some avg10=")
    assert "full avg10=" in pressure


def test_memory_cap_seen_inside(lab: lifecycle.Lab) -> None:
    # The container's cgroup is the namespace root inside, so its memory.max is the cap.
    cap = int(lab.machine.read_file("/sys/fs/cgroup/memory.max"))
    assert cap == lab.record.memory


def test_oomd_active(lab: lifecycle.Lab) -> None:
    state = lab.machine.exec(["systemctl", "is-active", "systemd-oomd.service"], check=False)
    assert state.stdout.strip() == "active"


def test_oomd_watches_fedora_slices(lab: lifecycle.Lab) -> None:
    watched = {item.path: item for item in read_watched(lab.machine)}
    assert "/system.slice" in watched
    assert APP_SLICE in watched
    assert watched[APP_SLICE].limit == 80.0
    assert watched[APP_SLICE].duration == 20.0
    # Measured on systemd 257.13: Fedora's user-manager slice.d/ drop-in does not reach the
    # user manager's root cgroup, which belongs to the system manager's user@1000.service.
    assert USER_MANAGER not in watched


def test_all_services_active_in_app_slice(lab: lifecycle.Lab) -> None:
    names = service_names()
    assert len(names) == 20
    units = [unit_name(name) for name in names]
    states = unit_states(lab.machine, units)
    assert {unit: states.get(unit) for unit in units} == {unit: "active" for unit in units}
    cgroups = lab.machine.user_systemctl("show", "--property=ControlGroup", "--value", *units).stdout
    assert cgroups.split() == [f"{APP_SLICE}/{unit}" for unit in units]


def test_standin_payload_memory_matches_profile(lab: lifecycle.Lab) -> None:
    profiles = {p.name: p.lab_bytes for p in load_profiles(lab.record.memory)}
    mismatches = {}
    for name, target in profiles.items():
        service_cgroup = f"/sys/fs/cgroup{APP_SLICE}/{unit_name(name)}"
        found = lab.machine.exec(["sh", "-c", f"cat {service_cgroup}/libpod-payload-*/memory.current"])
        current = int(found.stdout.split()[0])
        tolerance = max(0.15 * target, 4 << 20)
        if abs(current - target) > tolerance:
            mismatches[name] = (current, target)
    assert mismatches == {}
