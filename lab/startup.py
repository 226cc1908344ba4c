"""Create and boot the lab machine, then wait for the lab user's services."""

from __future__ import annotations

import logging
from typing import Any

import docker

from lab.errors import LabError
from lab.image import LABEL
from lab.log import step
from lab.machine import FileSpec, Machine
from lab.policy import PolicyProfile
from lab.record import LabRecord
from lab.retry import NotYet, policy
from lab.services import service_names, unit_name
from lab.sizes import format_size

log = logging.getLogger(__name__)

BOOT_SECONDS = 300.0
SERVICES_SECONDS = 600.0
STORAGE_MOUNT = "/home/lab/.local/share/containers"


def create_machine(
    client: docker.DockerClient, record: LabRecord, profile: PolicyProfile, files: dict[str, FileSpec]
) -> Machine:
    """Create the privileged systemd container, check its limits took, add files, boot it."""
    labels = {LABEL: "machine", f"{LABEL}.id": record.lab_id}
    with step(f"Creating lab machine {record.machine} (memory {format_size(record.memory)}, "
              f"swap {format_size(record.swap)}, policy {profile.name})"):  # fmt: skip
        client.volumes.create(record.storage_volume, labels={LABEL: "storage", f"{LABEL}.id": record.lab_id})
        container = client.containers.create(
            record.image, command=["/sbin/init"], name=record.machine, hostname="slicelab-lab",
            labels=labels, privileged=True, mem_limit=record.memory,
            memswap_limit=record.memory + record.swap, detach=True,
            volumes={record.storage_volume: {"bind": STORAGE_MOUNT, "mode": "rw"}},
        )  # fmt: skip
        container.reload()
        verify_limits(container.attrs, record)
        machine = Machine(container)
        policy_files = {path: FileSpec(content) for path, content in profile.files.items()}
        machine.put_files({**files, **policy_files})
    with step("Booting systemd in the lab machine"):
        container.start()
        machine.wait_until_running(BOOT_SECONDS)
    return machine


def verify_limits(attrs: dict[str, Any], record: LabRecord) -> None:
    """Refuse a container whose memory cap or privileges did not take."""
    host_config = attrs.get("HostConfig", {})
    memory = host_config.get("Memory")
    if memory != record.memory:
        raise LabError(
            f"the lab machine's memory cap did not take: asked {record.memory}, got {memory}",
            hint="the host's podman must run on cgroup v2 with the memory controller delegated",
        )
    if not host_config.get("Privileged"):
        raise LabError("the lab machine is not privileged; systemd and rootless podman need it")


def wait_for_services(machine: Machine, seconds: float = SERVICES_SECONDS) -> None:
    """Wait until the user manager runs and every service unit is active."""
    units = [unit_name(name) for name in service_names()]
    shown = -1
    try:
        for attempt in policy(seconds, 3.0):
            with attempt:
                states = unit_states(machine, units)
                waiting = [unit for unit in units if states.get(unit) != "active"]
                if len(units) - len(waiting) != shown:
                    shown = len(units) - len(waiting)
                    log.info("  %d/%d services active", shown, len(units))
                if waiting:
                    more = "…" if len(waiting) > 4 else ""
                    raise NotYet(f"waiting for {', '.join(waiting[:4])}{more}")
    except NotYet as error:
        failed = machine.failed_units(user=True)
        journal = machine.exec(["journalctl", "--user", "-n", "40", "--no-pager"], user=True,
                               check=False).stdout  # fmt: skip
        raise LabError(f"the services did not all start within {seconds:.0f} s: {error}",
                       hint=f"failed user units: {failed}\njournal tail:\n{journal}") from error


def unit_states(machine: Machine, units: list[str]) -> dict[str, str]:
    result = machine.exec(["systemctl", "--user", "show", "--property=Id,ActiveState", *units],
                          user=True, check=False)  # fmt: skip
    states: dict[str, str] = {}
    for block in result.stdout.strip().split("\n\n"):
        fields = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
        if "Id" in fields:
            states[fields["Id"]] = fields.get("ActiveState", "")
    return states
