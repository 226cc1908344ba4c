"""The container.slice migration in the real lab: podman's generator, apply and rollback."""

from __future__ import annotations

import difflib
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from invoke.context import Context

from lab import lifecycle
from lab.machine import LAB_UID, FileSpec
from lab.migrate import apply
from lab.migrate.generator import LabGenerator, find_lab_generator, generated_services
from lab.migrate.plan import plan
from lab.migrate.targets.lab_machine import lab_folder
from lab.pods import read_pod_cgroups
from lab.policy import USER_MANAGER
from lab.services import SERVICES_DIR, service_files, service_names, unit_name
from lab.tasks import migrate_tasks

pytestmark = pytest.mark.integration

DATA = Path(__file__).parent.parent / "data" / "quadlets"
QUADLETS = "/home/lab/.config/containers/systemd"
UNITS = "/home/lab/.config/systemd/user"
APP_SLICE = f"{USER_MANAGER}/app.slice"
CONTAINER_SLICE = f"{USER_MANAGER}/container.slice"
# The incident's 8G/10G on a 30 GB machine, scaled 1:10 to the 3G lab.
MEMORY_HIGH, MEMORY_MAX = "819M", "1G"


def generator_of(lab: lifecycle.Lab) -> LabGenerator:
    binary = find_lab_generator(lab.machine)
    assert binary is not None, "podman's quadlet generator is missing in the lab machine"
    return LabGenerator(lab.machine, binary)


def changed_lines(before: str, after: str) -> list[str]:
    diff = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
    return [line for line in diff if line[:1] in "+-" and line[:3] not in ("+++", "---")]


@pytest.mark.parametrize(
    ("source", "files"),
    [
        ("tests/data/quadlets", sorted(DATA.glob("*.container"))),
        ("containers/services", service_files(SERVICES_DIR)),
    ],
)
def test_generated_service_differs_by_slice(
    lab: lifecycle.Lab, tmp_path: Path, source: str, files: list[Path]
) -> None:
    folder = tmp_path / "quadlets"
    folder.mkdir()
    for path in files:
        shutil.copy2(path, folder / path.name)
    generator = generator_of(lab)

    before = generated_services(generator, folder)
    apply(folder, tmp_path / "units", backup_root=tmp_path / "backups", replace_existing=True,
          memory_high=MEMORY_HIGH, memory_max=MEMORY_MAX)  # fmt: skip
    after = generated_services(generator, folder)

    containers = [p for p in files if p.suffix == ".container"]
    assert sorted(before) == sorted(after)
    for path in containers:
        service = f"{path.stem}.service"
        assert service in before, f"{source}/{path.name}: no {service} generated"
        lines = changed_lines(before[service], after[service])
        added = [line for line in lines if line.startswith("+")]
        removed = [line for line in lines if line.startswith("-")]
        assert added == ["+Slice=container.slice"], f"{source}/{path.name}"
        assert all(line.startswith("-Slice=") for line in removed), f"{source}/{path.name}"
    others = {name for name in before if name not in {f"{p.stem}.service" for p in containers}}
    assert {name: after[name] for name in others} == {name: before[name] for name in others}


def file_states(lab: lifecycle.Lab) -> str:
    """List every file of the quadlet and unit folders with mode, owner and SHA-256."""
    listing = lab.machine.exec(
        ["find", QUADLETS, UNITS, "-type", "f", "-printf", "%p %m %u\\n"], check=False
    ).stdout
    sums = lab.machine.exec(["sh", "-c", f"find {QUADLETS} {UNITS} -type f -exec sha256sum {{}} +"],
                            check=False).stdout  # fmt: skip
    return "".join(sorted(listing.splitlines(keepends=True)) + sorted(sums.splitlines(True)))


def control_groups(lab: lifecycle.Lab) -> dict[str, str]:
    units = [unit_name(name) for name in service_names()]
    output = lab.machine.user_systemctl("show", "--property=Id,ControlGroup", *units).stdout
    groups = {}
    for block in output.strip().split("\n\n"):
        fields = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
        groups[fields["Id"]] = fields.get("ControlGroup", "")
    return groups


def new_backups(lab: lifecycle.Lab, known: set[Path]) -> list[Path]:
    found = set(lab_folder(lab.record.lab_id).glob("backups/*/*/manifest.json"))
    return sorted(path.parent for path in found - known)


@pytest.fixture
def restored_lab(lab: lifecycle.Lab) -> Iterator[lifecycle.Lab]:
    """Yield the lab and roll back any backup made meanwhile, also when the test fails.

    Rollback keeps the unit folder that apply created for the drop-in, so an empty one that
    did not exist before is removed here.
    """
    known = set(lab_folder(lab.record.lab_id).glob("backups/*/*/manifest.json"))
    had_unit_dir = lab.machine.exec(["test", "-d", UNITS], check=False).status == 0
    try:
        yield lab
    finally:
        for backup in reversed(new_backups(lab, known)):
            migrate_tasks.rollback(Context(), target="lab", backup=str(backup), yes=True)
        if not had_unit_dir:
            lab.machine.exec(["rmdir", "--ignore-fail-on-non-empty", UNITS], user=True,
                             check=False)  # fmt: skip


def test_apply_and_rollback_in_lab(
    restored_lab: lifecycle.Lab, capsys: pytest.CaptureFixture[str]
) -> None:
    lab = restored_lab
    files_before = file_states(lab)
    assert set(control_groups(lab).values()) == {
        f"{APP_SLICE}/{unit_name(name)}" for name in service_names()
    }, "the lab must start with every service in app.slice"
    limits = {"memory_high": MEMORY_HIGH, "memory_max": MEMORY_MAX}

    migrate_tasks.plan(Context(), target="lab", **limits)
    assert file_states(lab) == files_before
    assert "Restart order after apply (20 services" in capsys.readouterr().out

    started = time.monotonic()
    migrate_tasks.apply(Context(), target="lab", yes=True, **limits)
    applied = capsys.readouterr().out
    with capsys.disabled():
        print(f"\napply took {time.monotonic() - started:.1f} s")
    assert "Restarted 20 services" in applied
    groups = control_groups(lab)
    assert groups == {unit: f"{CONTAINER_SLICE}/{unit}" for unit in groups}
    shown = lab.machine.user_systemctl("show", "container.slice", "-p", "MemoryHigh",
                                       "-p", "MemoryMax").stdout  # fmt: skip
    assert sorted(shown.split()) == [f"MemoryHigh={819 << 20}", f"MemoryMax={1 << 30}"]

    migrate_tasks.apply(Context(), target="lab", yes=True, **limits)
    assert "nothing to change" in capsys.readouterr().out

    started = time.monotonic()
    migrate_tasks.rollback(Context(), target="lab", yes=True)
    rolled_back = capsys.readouterr().out
    with capsys.disabled():
        print(f"\nrollback took {time.monotonic() - started:.1f} s")
    assert "Restarted 20 services" in rolled_back
    assert file_states(lab) == files_before
    groups = control_groups(lab)
    assert groups == {unit: f"{APP_SLICE}/{unit}" for unit in groups}


POD_FILES = {
    "probe.pod": "[Pod]\nPodName=probe\n",
    "probe-app.container": "[Container]\nContainerName=probe-app\nImage=standin.image\n"
    "Exec=node_exporter\nVolume=/etc/slicelab/standin:/etc/standin:ro\nPod=probe.pod\n",
}
POD_UNITS = ("probe-pod.service", "probe-app.service")


def test_planned_pod_lands_in_container_slice(lab: lifecycle.Lab, tmp_path: Path) -> None:
    for name, text in POD_FILES.items():
        (tmp_path / name).write_text(text)
    migration = plan(tmp_path, tmp_path / "units", memory_high=MEMORY_HIGH, memory_max=MEMORY_MAX)
    written = {f"{QUADLETS}/{file.path.name}": FileSpec((file.new or b"").decode(), 0o644, LAB_UID)
               for file in migration.files}  # fmt: skip
    lab.machine.put_files(written)
    try:
        lab.machine.user_systemctl("daemon-reload")
        lab.machine.user_systemctl("start", *POD_UNITS)
        groups = lab.machine.user_systemctl("show", "-P", "ControlGroup", *POD_UNITS).stdout.split()
        assert groups == [f"{CONTAINER_SLICE}/{unit}" for unit in POD_UNITS]
        # The infra container has a cgroup of its own, which only --cgroup-parent moves.
        (pod,) = read_pod_cgroups(lab.machine)
        assert pod.path.startswith(f"{CONTAINER_SLICE}/container-libpod_pod_"), pod
        assert "catatonit" in pod.processes, pod
    finally:
        lab.machine.user_systemctl("stop", *POD_UNITS, check=False)
        lab.machine.exec(["rm", "-f", *(f"{QUADLETS}/{name}" for name in POD_FILES)])
        lab.machine.user_systemctl("daemon-reload", check=False)
