"""Bring the lab up and down: host, lab machine, policy, services; reap whatever a crash left."""

from __future__ import annotations

import contextlib
import logging
import secrets

import docker

from lab.errors import LabError
from lab.host import local as local_host
from lab.host.detect import choose_host
from lab.host.provision import start_vm
from lab.host.vm import VmHost, VmRecord, reap_vms, recorded_vms
from lab.image import FEDORA_BASE, LABEL, ensure_lab_image
from lab.log import step
from lab.machine import Machine, find_container
from lab.oomd import check_watched
from lab.policy import get_profile
from lab.record import LabRecord, delete_record, read_record, write_record
from lab.services import load_profiles, profiles_file, quadlet_files
from lab.sizes import format_size
from lab.startup import create_machine, wait_for_services

log = logging.getLogger(__name__)

VM_OVERHEAD_MIB = 1024


class Lab:
    """A running lab: its record, its API client and its machine."""

    def __init__(self, record: LabRecord, host: object, client: docker.DockerClient) -> None:
        self.record = record
        self.host = host
        self.client = client

    @property
    def machine(self) -> Machine:
        container = find_container(self.client, self.record.machine)
        if container is None:
            raise LabError(f"the lab machine {self.record.machine} is gone",
                           hint="run `./slicelab lab.down` and then `./slicelab lab.up`")  # fmt: skip
        return Machine(container)


def up(host_flag: str | None, policy: str, memory: int, swap: int) -> Lab:
    """Start a lab and return it; on any failure or Ctrl-C everything started is removed."""
    profile = get_profile(policy)
    existing = find_running()
    if existing is not None:
        log.info("A lab is already up (%s on %s); `./slicelab lab.down` stops it", existing.record.machine,
                 existing.record.host)  # fmt: skip
        return existing
    clean(quiet=True)
    choice = choose_host(host_flag)
    log.info("Host: %s (%s)", choice.kind, choice.reason)
    lab_id = secrets.token_hex(3)
    host: VmHost | local_host.LocalHost | None = None
    record: LabRecord | None = None
    try:
        if choice.kind == "vm":
            host, image = start_vm((memory >> 20) + VM_OVERHEAD_MIB)
            client = host.client()
        else:
            host = local_host.connect_local()
            client = host.client()
            image = ensure_lab_image(client, FEDORA_BASE)
        record = LabRecord(
            lab_id=lab_id, host=choice.kind, accel=host.accel, base_url=host.base_url,
            vm_id=host.record.vm_id if isinstance(host, VmHost) else None,
            machine=f"slicelab-{lab_id}", storage_volume=f"slicelab-{lab_id}-storage",
            image=image, policy=profile.name, memory=memory, swap=swap, state="starting",
        )  # fmt: skip
        write_record(record)
        files = {**quadlet_files(), **profiles_file(load_profiles(memory))}
        machine = create_machine(client, record, profile, files)
        with step("Waiting for the services"):
            wait_for_services(machine)
        check_watched(machine, profile)
        record.state = "up"
        write_record(record)
        return Lab(record, host, client)
    except BaseException:
        log.info("Cleaning up after the failed start")
        _remove(host, record)
        raise


def attach() -> Lab:
    """Return the running lab from its record; raise LabError when there is none."""
    lab = find_running()
    if lab is None:
        raise LabError("no lab is running", hint="start one with `./slicelab lab.up`")
    return lab


def find_running() -> Lab | None:
    """Return the running lab from its record, or None."""
    record = read_record()
    if record is not None and record.state == "up":
        host = _host_for(record)
        if host is not None:
            client = host.client()
            with contextlib.suppress(docker.errors.DockerException, OSError):
                if find_container(client, record.machine) is not None:
                    return Lab(record, host, client)
    return None


def _host_for(record: LabRecord) -> VmHost | local_host.LocalHost | None:
    if record.host == "local":
        return local_host.LocalHost(record.base_url)
    for vm in recorded_vms():
        if vm.record.vm_id == record.vm_id and vm.is_running():
            return vm
    return None


def down() -> bool:
    """Stop the running lab and remove what it created; return whether there was one."""
    record = read_record()
    if record is None:
        return False
    _remove(_host_for(record), record)
    return True


def _remove(host: VmHost | local_host.LocalHost | None, record: LabRecord | None) -> None:
    if host is not None and record is not None and record.host == "local":
        with contextlib.suppress(docker.errors.DockerException, OSError):
            _remove_machine(host.client(), record)
    if host is not None:
        host.stop(clean=False)
    delete_record()


def _remove_machine(client: docker.DockerClient, record: LabRecord) -> None:
    container = find_container(client, record.machine)
    if container is not None:
        container.remove(force=True)
    with contextlib.suppress(docker.errors.NotFound):
        client.volumes.get(record.storage_volume).remove(force=True)


def clean(quiet: bool = False) -> int:
    """Remove everything labelled slicelab: lab machines, volumes, VMs; return the count."""
    count = 0
    record = read_record()
    if record is not None and record.host == "local":
        with contextlib.suppress(docker.errors.DockerException, OSError):
            client = local_host.connect_local().client()
            for container in client.containers.list(all=True, filters={"label": LABEL}):
                container.remove(force=True)
                count += 1
            for volume in client.volumes.list(filters={"label": LABEL}):
                volume.remove(force=True)
                count += 1
    count += reap_vms()
    delete_record()
    if count and quiet:
        log.info("Reaped %d leftovers of an earlier lab", count)
    return count


__all__ = ["Lab", "VmRecord", "attach", "clean", "down", "format_size", "up"]
