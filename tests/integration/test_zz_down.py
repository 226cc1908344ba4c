"""Runs last (file order): lab.down leaves no lab machine, VM or qemu process behind."""

from __future__ import annotations

import pytest

from lab import lifecycle
from lab.host import processes
from lab.host.vm import recorded_vms, vm_name_prefix
from lab.record import read_record

pytestmark = pytest.mark.integration


def test_down_leaves_nothing(lab: lifecycle.Lab) -> None:
    machine_name = lab.record.machine
    client = lab.client
    assert lifecycle.down()
    assert read_record() is None
    assert processes.pids_with_marker(vm_name_prefix()) == []
    assert recorded_vms() == []
    if lab.record.host == "local":
        assert [c.name for c in client.containers.list(all=True, filters={"label": "slicelab"})] == []
        assert machine_name not in [c.name for c in client.containers.list(all=True)]
